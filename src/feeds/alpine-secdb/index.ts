/** The Alpine secdb feed: `vX.Y/{main,community}.{json,yaml}` from a local copy or secdb.alpinelinux.org. */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ShipshapeError } from '../../errors.js';
import type { Advisory } from '../../model/index.js';
import { download, feedDownloadOptions } from '../http.js';
import { listFeedDir } from '../local.js';
import type { Feed, FeedFetchOptions } from '../types.js';
import { alpineNamespace, FEED_ID, parseSecdb } from './parse.js';
import { feedRuns, viaMirror, type Report } from '../runs.js';

export { alpineNamespace, parseSecdb, splitEntry } from './parse.js';

export const ALPINE_SECDB_URL = 'https://secdb.alpinelinux.org/';
/** Used when the index page is absent (a mirror that copied only the files): the releases secdb has published JSON for. */
export const FALLBACK_RELEASES = [
  'v3.12', 'v3.13', 'v3.14', 'v3.15', 'v3.16', 'v3.17', 'v3.18', 'v3.19', 'v3.20', 'v3.21', 'v3.22',
];
/** The repositories secdb publishes per release. */
export const ALPINE_REPOS = ['main', 'community'] as const;

export interface AlpineSecdbOptions {
  /** Base URL of the secdb (default https://secdb.alpinelinux.org/). */
  baseUrl?: string;
  /** Releases to fetch (`v3.20`, `3.20` or `edge`); default: every `vX.Y/` listed on the index page. */
  releases?: string[];
}

/** Release directory names a secdb tree may hold: v3.10, edge. */
const RELEASE_DIR = /^(v\d+\.\d+|edge)$/;

/** Sorts v3.9 before v3.10, edge last. */
function byRelease(a: string, b: string): number {
  const num = (r: string) => (r === 'edge' ? [Infinity, 0] : r.slice(1).split('.').map(Number));
  const [am = 0, an = 0] = num(a);
  const [bm = 0, bn = 0] = num(b);
  return am - bm || an - bn;
}

/** `v3.10/` links of the secdb index page (an HTML directory listing). */
export function releasesFromIndex(html: string): string[] {
  const found = new Set<string>();
  for (const m of html.matchAll(/href="(?:\.\/)?(v\d+\.\d+|edge)\/"/g)) found.add(m[1]!);
  return [...found].sort(byRelease);
}

function normaliseRelease(r: string): string {
  const v = r.trim();
  return v === 'edge' || v.startsWith('v') ? v : `v${v}`;
}

export function alpineSecdbFeed(options: AlpineSecdbOptions = {}): Feed {
  const baseUrl = (options.baseUrl ?? ALPINE_SECDB_URL).replace(/\/*$/, '/');

  async function* fromDir(dir: string, opts: FeedFetchOptions, report: Report): AsyncGenerator<Advisory> {
    const entries = await listFeedDir(dir, 'Alpine secdb');
    const releases = entries.filter((e) => RELEASE_DIR.test(e)).sort(byRelease);
    if (releases.length === 0) throw new ShipshapeError('bad-feed', `${dir}: no vX.Y release folders (Alpine secdb layout)`);
    const namespaces: string[] = [];
    for (const release of releases) {
      const files = await readdir(path.join(dir, release));
      // One file per repository; the JSON twin wins over YAML when both are there.
      const repos = new Map<string, string>();
      for (const f of files.sort()) {
        const m = /^([a-z]+)\.(json|ya?ml)$/.exec(f);
        if (!m) continue;
        if (!repos.has(m[1]!) || m[2] === 'json') repos.set(m[1]!, f);
      }
      const fallback = alpineNamespace(release);
      for (const file of [...repos.values()].sort()) {
        opts.signal?.throwIfAborted();
        const full = path.join(dir, release, file);
        const text = await readFile(full, 'utf8');
        const { namespace, advisories } = parseSecdb(text, {
          format: file.endsWith('.json') ? 'json' : 'yaml',
          source: full,
          ...(fallback ? { namespace: fallback } : {}),
          ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
        });
        if (!namespaces.includes(namespace)) namespaces.push(namespace);
        yield* advisories;
      }
    }
    report({ source: dir, namespaces });
  }

  async function* fromUpstream(opts: FeedFetchOptions, report: Report): AsyncGenerator<Advisory> {
    const dl = feedDownloadOptions(opts);
    let releases = options.releases?.map(normaliseRelease);
    if (!releases) {
      try {
        const index = await download(baseUrl, dl);
        releases = releasesFromIndex((await index.read()).toString('utf8'));
        if (releases.length === 0) throw new ShipshapeError('bad-feed', `${index.url}: no vX.Y/ release links on the secdb index page`);
      } catch (err) {
        if (!(err instanceof ShipshapeError && err.code === 'not-found')) throw err;
        opts.onWarning?.(`alpine-secdb: no index page at ${baseUrl}: trying releases ${FALLBACK_RELEASES[0]} to ${FALLBACK_RELEASES.at(-1)}`);
        releases = FALLBACK_RELEASES;
      }
    }
    const namespaces: string[] = [];
    let files = 0;
    for (const release of releases) {
      for (const repo of ALPINE_REPOS) {
        const url = `${baseUrl}${release}/${repo}.json`;
        let body: Buffer;
        try {
          body = await (await download(url, dl)).read();
        } catch (err) {
          // A release without a community repository (or not yet published) is not fatal.
          if (err instanceof ShipshapeError && err.code === 'not-found') {
            opts.onWarning?.(`alpine-secdb: ${url} is absent: skipped`);
            continue;
          }
          throw err;
        }
        const fallback = alpineNamespace(release);
        const { namespace, advisories } = parseSecdb(body.toString('utf8'), {
          format: 'json',
          source: url,
          ...(fallback ? { namespace: fallback } : {}),
          ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
        });
        files++;
        if (!namespaces.includes(namespace)) namespaces.push(namespace);
        yield* advisories;
      }
    }
    if (files === 0) throw new ShipshapeError('bad-feed', `alpine-secdb: none of ${releases.length} releases could be fetched`);
    report({ source: viaMirror(baseUrl, opts), namespaces });
  }

  return {
    id: FEED_ID,
    dirName: 'alpine-secdb',
    ...feedRuns({ fromDir, fromUpstream, upstream: baseUrl }),
  };
}
