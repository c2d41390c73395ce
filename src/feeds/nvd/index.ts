/**
 * The NVD feed (`nvd`): CVSS scores per CVE from the NVD CVE API 2.0, read from a local copy of
 * its response pages or downloaded (whole the first time, then only what changed), so findings
 * whose own feed gives no severity (Alpine secdb, Debian DSA/DLA) can still be rated.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ShipshapeError } from '../../errors.js';
import type { CveScore } from '../../model/index.js';
import { localMirrorDir, mirrorUrl } from '../http.js';
import type { FeedFetchOptions, ScoreFeed } from '../types.js';
import { MAX_RESULTS_PER_PAGE, NVD_API_URL, nvdDate, pages, windows, type ApiOptions } from './api.js';
import { FEED_ID, readPage, scoreOf, trimCve, type StoredCve } from './parse.js';
import { RateLimiter } from './rate-limit.js';
import type { NvdResponse } from './schema.js';
import { loadState, saveState, statePath } from './state.js';
import { feedRuns, viaMirror, type Report } from '../runs.js';

export { NVD_API_URL, MAX_WINDOW_MS, nvdDate, windows } from './api.js';
export { readPage, scoreOf, trimCve, NVD_SOURCE, type StoredCve } from './parse.js';
export { RateLimiter } from './rate-limit.js';
export { statePath } from './state.js';

export interface NvdFeedOptions {
  /** The API URL (default NVD's own). */
  apiUrl?: string;
  /** Sent as the `apiKey` header to the API URL (never to a --mirror); default $SHIPSHAPE_NVD_API_KEY or $NVD_API_KEY. */
  apiKey?: string;
  resultsPerPage?: number;
  /** Requests per window: NVD publishes 5 per 30 s without a key, 50 with one (31 s counted, for skew). */
  rateLimit?: { max: number; windowMs: number };
  timeoutMs?: number;
  retries?: number;
  retryDelayMs?: number;
  /** The clock that ends an incremental window (tests). */
  now?: () => Date;
}

/**
 * An incremental update starts this long before the last one ended: our clock and NVD's may
 * differ, and asking for an hour of changes twice costs one small page.
 */
const OVERLAP_MS = 3600_000;

/** How many record warnings one fetch prints before it only counts them. */
const MAX_WARNINGS = 10;

export function nvdFeed(o: NvdFeedOptions = {}): ScoreFeed {
  const apiUrl = o.apiUrl ?? NVD_API_URL;

  /** Record warnings, the first few in words and the rest as a count. */
  function warner(opts: FeedFetchOptions): { warn: (m: string) => void; done: () => void } {
    let n = 0;
    return {
      warn: (m) => {
        if (n++ < MAX_WARNINGS) opts.onWarning?.(`${FEED_ID}: ${m}`);
      },
      done: () => {
        if (n > MAX_WARNINGS) opts.onWarning?.(`${FEED_ID}: ${n} record problems in all`);
      },
    };
  }

  function merge(cves: Map<string, StoredCve>, page: NvdResponse, warn: (m: string) => void): void {
    for (const v of page.vulnerabilities) {
      const c = trimCve(v.cve, warn);
      if (!c) continue;
      if ('rejected' in c) {
        cves.delete(c.id);
        continue;
      }
      const prev = cves.get(c.id);
      // Pages of a local copy may repeat a CVE: its latest change wins.
      if (!prev || prev.lastModified <= c.lastModified) cves.set(c.id, c);
    }
  }

  function* scores(cves: Map<string, StoredCve>): Generator<CveScore> {
    for (const id of [...cves.keys()].sort()) {
      const s = scoreOf(cves.get(id)!);
      if (s) yield s;
    }
  }

  /** A local copy: every `*.json` / `*.json.gz` page in the directory, in name order. */
  async function* fromDir(dir: string, opts: FeedFetchOptions, report: Report): AsyncGenerator<CveScore> {
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => /\.json(\.gz)?$/.test(n)).sort();
    } catch (err) {
      throw new ShipshapeError('not-found', `nvd: cannot read ${dir}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
    }
    if (names.length === 0) throw new ShipshapeError('bad-feed', `nvd: ${dir} holds no NVD API response pages (*.json or *.json.gz)`);
    const { warn, done } = warner(opts);
    const cves = new Map<string, StoredCve>();
    for (const name of names) {
      opts.signal?.throwIfAborted();
      merge(cves, readPage(await readFile(path.join(dir, name)), path.join(path.basename(dir), name)), warn);
    }
    yield* scores(cves);
    done();
    report({ source: dir, namespaces: [] });
  }

  async function* fromApi(opts: FeedFetchOptions, report: Report): AsyncGenerator<CveScore> {
    const local = localMirrorDir(opts.mirror);
    if (local) {
      const u = new URL(apiUrl);
      yield* fromDir(path.join(local, u.host, ...u.pathname.split('/').filter(Boolean)), opts, report);
      return;
    }
    const url = mirrorUrl(apiUrl, opts.mirror);
    // A key is NVD's credential: a mirror is another host, so it gets none.
    const apiKey = opts.mirror ? undefined : (o.apiKey ?? (process.env.SHIPSHAPE_NVD_API_KEY || process.env.NVD_API_KEY || undefined));
    const api: ApiOptions = {
      url,
      resultsPerPage: o.resultsPerPage ?? MAX_RESULTS_PER_PAGE,
      limiter: new RateLimiter(o.rateLimit?.max ?? (apiKey ? 50 : 5), o.rateLimit?.windowMs ?? 31_000),
      timeoutMs: o.timeoutMs ?? 120_000,
      retries: o.retries ?? 3,
      retryDelayMs: o.retryDelayMs ?? 2000,
      ...(apiKey ? { apiKey } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    };
    const { warn, done } = warner(opts);
    const file = statePath(opts.cacheDir);
    const state = await loadState(file, url, (m) => opts.onWarning?.(`${FEED_ID}: ${m}`));
    const started = (o.now?.() ?? new Date()).toISOString();
    const cves = state?.cves ?? new Map<string, StoredCve>();
    let how: string;
    if (state) {
      // Only what changed since the last run, in windows NVD accepts.
      const spans = windows(new Date(Date.parse(state.lastModEnd) - OVERLAP_MS), new Date(started));
      for (const [from, to] of spans) {
        for await (const page of pages({ lastModStartDate: nvdDate(from), lastModEndDate: nvdDate(to) }, api)) merge(cves, page, warn);
      }
      how = `changes since ${state.lastModEnd}`;
    } else {
      for await (const page of pages({}, api)) merge(cves, page, warn);
      how = 'every CVE';
    }
    // Saved before the scores are used: the state is whole by itself, whatever happens to this build.
    await saveState(file, { source: url, lastModEnd: started, cves });
    yield* scores(cves);
    done();
    report({ source: `${viaMirror(apiUrl, opts)} (${how})`, namespaces: [] });
  }

  return {
    kind: 'scores',
    id: FEED_ID,
    dirName: 'nvd',
    ...feedRuns({ fromDir, fromUpstream: fromApi, upstream: apiUrl, namespaces: [] }),
  };
}
