/** The Node.js Security WG feed: `vuln/npm/<n>.json` from a local copy or the WG repository's zip archive. */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ShipshapeError } from '../../errors.js';
import type { Advisory } from '../../model/index.js';
import { archiveFiles, type ZipLimits } from '../osv/zip.js';
import type { Feed, FeedFetchOptions, FeedInfo } from '../types.js';
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
  const url = options.url ?? NODEJS_SECURITY_WG_URL;
  let last: FeedInfo | undefined;

  async function* fromDir(dir: string, opts: FeedFetchOptions): AsyncGenerator<Advisory> {
    const npmDir = path.join(dir, 'vuln', 'npm');
    let names: string[];
    try {
      names = (await readdir(npmDir)).filter((f) => /^\d+\.json$/.test(f));
    } catch (err) {
      throw new ShipshapeError('not-found', `${npmDir}: cannot read the Node.js Security WG folder`, { cause: err });
    }
    if (names.length === 0) throw new ShipshapeError('bad-feed', `${npmDir}: no <n>.json advisories (nodejs/security-wg layout)`);
    names.sort((a, b) => parseInt(a, 10) - parseInt(b, 10));
    for (const name of names) {
      opts.signal?.throwIfAborted();
      const file = path.join(npmDir, name);
      const adv = parseNspRecord(await readFile(file, 'utf8'), { source: path.relative(dir, file), ...warn(opts) });
      if (adv) yield adv;
    }
    last = { source: dir, namespaces: ['npm'] };
  }

  async function* fromUpstream(opts: FeedFetchOptions): AsyncGenerator<Advisory> {
    for await (const entry of archiveFiles(url, opts, RECORD, 'vuln/npm/<n>.json', options.zipLimits)) {
      const adv = parseNspRecord(entry.data.toString('utf8'), { source: entry.name, ...warn(opts) });
      if (adv) yield adv;
    }
    last = { source: opts.mirror ? `${url} via ${opts.mirror}` : url, namespaces: ['npm'] };
  }

  return {
    id: FEED_ID,
    dirName: 'nodejs-security-wg',
    fetch(opts: FeedFetchOptions): AsyncIterable<Advisory> {
      last = undefined;
      return opts.dir ? fromDir(opts.dir, opts) : fromUpstream(opts);
    },
    describe(opts: FeedFetchOptions): FeedInfo {
      return last ?? { source: opts.dir ?? url };
    },
  };
}

function warn(opts: FeedFetchOptions): { onWarning?: (m: string) => void } {
  return opts.onWarning ? { onWarning: opts.onWarning } : {};
}
