/** The RubySec feed: ruby-advisory-db `gems/<gem>/*.yml` from a local copy or the repository's zip archive. */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { ShipshapeError } from '../../errors.js';
import type { ZipLimits } from '../osv/zip.js';
import { recordFeed } from '../record-feed.js';
import type { Feed } from '../types.js';
import { FEED_ID, parseRubysecRecord } from './parse.js';

export { parseRubysecRecord, rubysecToAdvisory, RubysecRecord } from './parse.js';

/** GitHub's archive of the default branch (master): ruby-advisory-db publishes no other bundle. */
export const RUBYSEC_URL = 'https://github.com/rubysec/ruby-advisory-db/archive/refs/heads/master.zip';

export interface RubysecOptions {
  url?: string;
  zipLimits?: ZipLimits;
}

/** `gems/<gem>/<id>.yml`, at the root of a checkout or under the archive's top folder. */
const RECORD = /(?:^|\/)gems\/[^/]+\/[^/]+\.ya?ml$/;

export function rubysecFeed(options: RubysecOptions = {}): Feed {
  return recordFeed({
    id: FEED_ID,
    dirName: 'rubysec',
    url: options.url ?? RUBYSEC_URL,
    namespace: 'rubygems',
    record: RECORD,
    what: 'gems/<gem>/*.yml',
    ...(options.zipLimits ? { zipLimits: options.zipLimits } : {}),
    async listDir(dir) {
      const gemsDir = path.join(dir, 'gems');
      const files: string[] = [];
      try {
        for (const gem of (await readdir(gemsDir, { withFileTypes: true })).filter((e) => e.isDirectory())) {
          for (const f of await readdir(path.join(gemsDir, gem.name), { withFileTypes: true })) {
            if (f.isFile() && /\.ya?ml$/.test(f.name)) files.push(path.join(gemsDir, gem.name, f.name));
          }
        }
      } catch (err) {
        throw new ShipshapeError('not-found', `${gemsDir}: cannot read the ruby-advisory-db folder`, { cause: err });
      }
      if (files.length === 0) throw new ShipshapeError('bad-feed', `${gemsDir}: no gems/<gem>/*.yml advisories (ruby-advisory-db layout)`);
      return files.sort();
    },
    parse: parseRubysecRecord,
    // Strip the archive's top folder (ruby-advisory-db-master/) so sources read like a checkout.
    sourceOf: (member) => member.replace(/^[^/]+\/(?=gems\/)/, ''),
  });
}
