/** The feeds `db build` and `db update` run, in order: an explicit list, no registration by import. */
import { alpineSecdbFeed } from './alpine-secdb/index.js';
import { debianTrackerFeed } from './debian-tracker/index.js';
import { nodejsSecurityWgFeed } from './nodejs-security-wg/index.js';
import { nvdFeed } from './nvd/index.js';
import { ghsaMavenFeed, ghsaNpmFeed, goVulndbFeed, pypaFeed, rustsecFeed } from './osv/index.js';
import { rubysecFeed } from './rubysec/index.js';
import type { AnyFeed } from './types.js';

export const feeds: readonly AnyFeed[] = [
  alpineSecdbFeed(),
  debianTrackerFeed(),
  goVulndbFeed(),
  pypaFeed(),
  rustsecFeed(),
  ghsaNpmFeed(),
  ghsaMavenFeed(),
  nodejsSecurityWgFeed(),
  rubysecFeed(),
  // Scores, not advisories: rates the findings of the feeds above that carry no severity.
  nvdFeed(),
];

export function getFeed(id: string): AnyFeed | undefined {
  return feeds.find((f) => f.id === id);
}
