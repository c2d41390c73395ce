/** The Node.js Security WG feed: `vuln/npm/<n>.json` from a local copy or the WG repository's zip archive. */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { ShipshapeError } from '../../errors.js';
import type { ZipLimits } from '../osv/zip.js';
import { recordFeed } from '../record-feed.js';
import type { Feed } from '../types.js';
import { FEED_ID, parseNspRecord } from './parse.js';

export { npmRangeToOsv, nspToAdvisory, parseNspRecord, NspRecord } from './parse.js';

/** GitHub's archive of the default branch: the WG publishes no other bundle. */
export const NODEJS_SECURITY_WG_URL = 'https://github.com/nodejs/security-wg/archive/refs/heads/main.zip';

export interface NodejsSecurityWgOptions {
  /** Zip archive of the repository (default: GitHub's archive of main). */
  url?: string;
  zipLimits?: ZipLimits;
}

/** `vuln/npm/<n>.json`, at the root of a checkout or under the archive's top folder. */
const RECORD = /(?:^|\/)vuln\/npm\/\d+\.json$/;

export function nodejsSecurityWgFeed(options: NodejsSecurityWgOptions = {}): Feed {
  return recordFeed({
    id: FEED_ID,
    dirName: 'nodejs-security-wg',
    url: options.url ?? NODEJS_SECURITY_WG_URL,
    namespace: 'npm',
    record: RECORD,
    what: 'vuln/npm/<n>.json',
    ...(options.zipLimits ? { zipLimits: options.zipLimits } : {}),
    async listDir(dir) {
      const npmDir = path.join(dir, 'vuln', 'npm');
      let names: string[];
      try {
        names = (await readdir(npmDir)).filter((f) => /^\d+\.json$/.test(f));
      } catch (err) {
        throw new ShipshapeError('not-found', `${npmDir}: cannot read the Node.js Security WG folder`, { cause: err });
      }
      if (names.length === 0) throw new ShipshapeError('bad-feed', `${npmDir}: no <n>.json advisories (nodejs/security-wg layout)`);
      return names.sort((a, b) => parseInt(a, 10) - parseInt(b, 10)).map((n) => path.join(npmDir, n));
    },
    parse: parseNspRecord,
  });
}
