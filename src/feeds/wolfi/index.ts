/** The Wolfi feed: a local copy of wolfi-dev/advisories (or of its secdb), or the secdb JSON Wolfi publishes for scanners. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ShipshapeError } from '../../errors.js';
import type { Advisory } from '../../model/index.js';
import { download, feedDownloadOptions } from '../http.js';
import { listFeedDir } from '../local.js';
import type { Feed, FeedFetchOptions } from '../types.js';
import { FEED_ID, parseAdvisoriesYaml, parseWolfiSecdb, WOLFI_NAMESPACE } from './parse.js';
import { feedRuns, viaMirror, type Report } from '../runs.js';

export { FEED_ID as WOLFI_FEED_ID, parseAdvisoriesYaml, parseWolfiSecdb, WOLFI_NAMESPACE } from './parse.js';

/** Wolfi's secdb, generated from the advisories repository (https://github.com/wolfi-dev/wolfictl). */
export const WOLFI_SECDB_URL = 'https://packages.wolfi.dev/os/security.json';

const ADVISORIES_SUFFIX = '.advisories.yaml';

export interface WolfiFeedOptions {
  /** The secdb URL to download (default https://packages.wolfi.dev/os/security.json). */
  url?: string;
}

export function wolfiFeed(options: WolfiFeedOptions = {}): Feed {
  const url = options.url ?? WOLFI_SECDB_URL;

  /** A folder of `<package>.advisories.yaml` files (the advisories repository), or one holding `security.json`. */
  async function* fromDir(dir: string, opts: FeedFetchOptions, report: Report): AsyncGenerator<Advisory> {
    const entries = await listFeedDir(dir, 'Wolfi advisories');
    const files = entries.filter((e) => e.endsWith(ADVISORIES_SUFFIX)).sort();
    if (files.length === 0) {
      if (!entries.includes('security.json')) {
        throw new ShipshapeError('bad-feed', `${dir}: no <package>.advisories.yaml files and no security.json (Wolfi advisories layout)`);
      }
      const full = path.join(dir, 'security.json');
      yield* parseWolfiSecdb(await readFile(full, 'utf8'), { source: full, ...(opts.onWarning ? { onWarning: opts.onWarning } : {}) });
      report({ source: full, namespaces: [WOLFI_NAMESPACE] });
      return;
    }
    for (const file of files) {
      opts.signal?.throwIfAborted();
      const full = path.join(dir, file);
      yield* parseAdvisoriesYaml(await readFile(full, 'utf8'), { source: full, ...(opts.onWarning ? { onWarning: opts.onWarning } : {}) });
    }
    report({ source: dir, namespaces: [WOLFI_NAMESPACE] });
  }

  async function* fromUpstream(opts: FeedFetchOptions, report: Report): AsyncGenerator<Advisory> {
    const res = await download(url, feedDownloadOptions(opts));
    yield* parseWolfiSecdb((await res.read()).toString('utf8'), { source: res.url, ...(opts.onWarning ? { onWarning: opts.onWarning } : {}) });
    report({ source: viaMirror(url, opts), namespaces: [WOLFI_NAMESPACE] });
  }

  return {
    id: FEED_ID,
    dirName: 'wolfi-advisories',
    ...feedRuns({ fromDir, fromUpstream, upstream: url }),
  };
}
