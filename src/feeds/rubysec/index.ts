/** The RubySec feed: ruby-advisory-db `gems/<gem>/*.yml` from a local copy or the repository's zip archive. */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ShipshapeError } from '../../errors.js';
import type { Advisory } from '../../model/index.js';
import { archiveFiles, type ZipLimits } from '../osv/zip.js';
import type { Feed, FeedFetchOptions, FeedInfo } from '../types.js';
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
  const url = options.url ?? RUBYSEC_URL;
  let last: FeedInfo | undefined;

  async function* fromDir(dir: string, opts: FeedFetchOptions): AsyncGenerator<Advisory> {
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
    files.sort();
    for (const file of files) {
      opts.signal?.throwIfAborted();
      const adv = parseRubysecRecord(await readFile(file, 'utf8'), { source: path.relative(dir, file), ...warn(opts) });
      if (adv) yield adv;
    }
    last = { source: dir, namespaces: ['rubygems'] };
  }

  async function* fromUpstream(opts: FeedFetchOptions): AsyncGenerator<Advisory> {
    for await (const entry of archiveFiles(url, opts, RECORD, 'gems/<gem>/*.yml', options.zipLimits)) {
      // Strip the archive's top folder (ruby-advisory-db-master/) so sources read like a checkout.
      const source = entry.name.replace(/^[^/]+\/(?=gems\/)/, '');
      const adv = parseRubysecRecord(entry.data.toString('utf8'), { source, ...warn(opts) });
      if (adv) yield adv;
    }
    last = { source: opts.mirror ? `${url} via ${opts.mirror}` : url, namespaces: ['rubygems'] };
  }

  return {
    id: FEED_ID,
    dirName: 'rubysec',
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
