/** The feeds `db build` and `db update` run, in order: an explicit list, no registration by import. */
import { alpineSecdbFeed } from './alpine-secdb/index.js';
import { debianTrackerFeed } from './debian-tracker/index.js';
import { nodejsSecurityWgFeed } from './nodejs-security-wg/index.js';
import { ghsaMavenFeed, ghsaNpmFeed, goVulndbFeed, pypaFeed, rustsecFeed } from './osv/index.js';
import { rubysecFeed } from './rubysec/index.js';
import { wolfiFeed } from './wolfi/index.js';
import type { Feed } from './types.js';

export const feeds: readonly Feed[] = [
  alpineSecdbFeed(),
  debianTrackerFeed(),
  goVulndbFeed(),
  pypaFeed(),
  rustsecFeed(),
  ghsaNpmFeed(),
  ghsaMavenFeed(),
  nodejsSecurityWgFeed(),
  rubysecFeed(),
  wolfiFeed(),
];

export function getFeed(id: string): Feed | undefined {
  return feeds.find((f) => f.id === id);
}
