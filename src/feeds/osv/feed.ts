/**
 * OSV feeds (Go vulndb, PyPA, RustSec, GHSA): read a local copy in its upstream layout (one JSON
 * or YAML file per advisory, anywhere below the folder) or download OSV.dev's per-ecosystem
 * `all.zip` and stream its entries.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { ShipshapeError } from '../../errors.js';
import type { Advisory } from '../../model/index.js';
import { download, feedDownloadOptions, type DownloadOptions } from '../http.js';
import type { Feed, FeedFetchOptions } from '../types.js';
import { ecosystemFromOsv } from './ecosystems.js';
import { convertOsvText, describeStats, emptyStats, type OsvStats } from './parse.js';
import { DEFAULT_ZIP_LIMITS, zipEntries, type ZipLimits } from './zip.js';
import { feedRuns, viaMirror, type Report } from '../runs.js';

/** OSV.dev's bucket: `<base>/<Ecosystem>/all.zip` holds every record of an ecosystem, one JSON file each. */
export const OSV_BUCKET_URL = 'https://osv-vulnerabilities.storage.googleapis.com/';

export interface OsvFeedSpec {
  id: string;
  /** Folder of this feed in a vulndata directory. */
  dirName: string;
  /** Record ids this feed keeps (OSV.dev's zips mix databases: PYSEC-, GHSA-, MAL-, ...). */
  idPrefixes: readonly string[];
  /** OSV ecosystems whose `all.zip` is downloaded. */
  ecosystems: readonly string[];
}

export interface OsvFeedOptions {
  /** Base URL of the OSV bucket (default OSV_BUCKET_URL); `--mirror` applies on top of it. */
  baseUrl?: string;
  zipLimits?: ZipLimits;
}

/** How many files are read ahead while the previous ones are parsed. */
const READ_AHEAD = 16;

export function osvFeed(spec: OsvFeedSpec, options: OsvFeedOptions = {}): Feed {
  const baseUrl = (options.baseUrl ?? OSV_BUCKET_URL).replace(/\/*$/, '/');
  const limits = options.zipLimits ?? DEFAULT_ZIP_LIMITS;
  const urls = spec.ecosystems.map((e) => `${baseUrl}${encodeURIComponent(e)}/all.zip`);
  const wanted = (name: string) => {
    const base = path.posix.basename(name);
    return /\.(json|ya?ml)$/.test(base) && spec.idPrefixes.some((p) => base.startsWith(p));
  };

  function finish(stats: OsvStats, opts: FeedFetchOptions): void {
    const note = describeStats(spec.id, stats);
    if (note) opts.onWarning?.(note);
  }

  async function* fromDir(dir: string, opts: FeedFetchOptions, report: Report): AsyncGenerator<Advisory> {
    const files: string[] = [];
    try {
      await walk(dir, wanted, files);
    } catch (err) {
      throw new ShipshapeError('not-found', `${dir}: cannot read the ${spec.id} folder`, { cause: err });
    }
    if (files.length === 0) {
      throw new ShipshapeError('bad-feed', `${dir}: no ${spec.idPrefixes.join('/')}*.json or .yaml files (${spec.id} layout)`);
    }
    files.sort();
    const stats = emptyStats();
    const conv = { feed: spec.id, idPrefixes: spec.idPrefixes, stats, ...(opts.onWarning ? { onWarning: opts.onWarning } : {}) };
    // Read ahead a few files at a time; parse and yield in order.
    // A read error is settled into a value at once, so a failure ahead of the consumer is never an
    // unhandled rejection; it becomes a warning for that one file when its turn comes.
    const pending: Array<Promise<string | Error>> = [];
    let next = 0;
    const fill = () => {
      while (pending.length < READ_AHEAD && next < files.length) {
        pending.push(readFile(files[next++]!, 'utf8').catch((err: Error) => err));
      }
    };
    fill();
    for (const file of files) {
      opts.signal?.throwIfAborted();
      const text = await pending.shift()!;
      fill();
      const rel = path.relative(dir, file);
      if (text instanceof Error) {
        stats.malformed++;
        opts.onWarning?.(`${spec.id}: ${rel}: cannot read: ${text.message}`);
        continue;
      }
      yield* convertOsvText(text, /\.json$/.test(file) ? 'json' : 'yaml', rel, conv);
    }
    finish(stats, opts);
    report({ source: dir, namespaces: namespacesOf(spec) });
  }

  async function* fromUpstream(opts: FeedFetchOptions, report: Report): AsyncGenerator<Advisory> {
    const dl: DownloadOptions = feedDownloadOptions(opts);
    const stats = emptyStats();
    const conv = { feed: spec.id, idPrefixes: spec.idPrefixes, stats, ...(opts.onWarning ? { onWarning: opts.onWarning } : {}) };
    for (const url of urls) {
      const got = await download(url, dl);
      for await (const entry of zipEntries(got.path, wanted, limits, opts.onWarning)) {
        opts.signal?.throwIfAborted();
        yield* convertOsvText(entry.data.toString('utf8'), /\.json$/.test(entry.name) ? 'json' : 'yaml', entry.name, conv);
      }
    }
    if (stats.records === 0) throw new ShipshapeError('bad-feed', `${spec.id}: no ${spec.idPrefixes.join('/')} records in ${urls.join(', ')}`);
    finish(stats, opts);
    report({ source: viaMirror(urls.join(', '), opts), namespaces: namespacesOf(spec) });
  }

  return {
    id: spec.id,
    dirName: spec.dirName,
    ...feedRuns({ fromDir, fromUpstream, upstream: urls.join(', ') }),
  };
}

function namespacesOf(spec: OsvFeedSpec): string[] {
  return spec.ecosystems.map((e) => ecosystemFromOsv(e)?.namespace).filter((n): n is string => !!n);
}

/** Collects matching files below `dir`; symlinks are not followed (no loops, no escaping the folder). */
async function walk(dir: string, wanted: (name: string) => boolean, out: string[]): Promise<void> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) await walk(full, wanted, out);
    else if (e.isFile() && wanted(e.name)) out.push(full);
  }
}

/** The Go vulnerability database (https://vuln.go.dev): `data/osv/GO-*.json`; stdlib and toolchain included. */
export function goVulndbFeed(options?: OsvFeedOptions): Feed {
  return osvFeed({ id: 'go-vulndb', dirName: 'go-vulndb', idPrefixes: ['GO-'], ecosystems: ['Go'] }, options);
}

/** The Python Packaging Advisory Database: `vulns/<package>/PYSEC-*.yaml`. */
export function pypaFeed(options?: OsvFeedOptions): Feed {
  return osvFeed({ id: 'pypa', dirName: 'pypa-advisory-database', idPrefixes: ['PYSEC-'], ecosystems: ['PyPI'] }, options);
}

/** The RustSec advisory database, OSV export (branch `osv`): `crates/RUSTSEC-*.json`. */
export function rustsecFeed(options?: OsvFeedOptions): Feed {
  return osvFeed({ id: 'rustsec', dirName: 'rustsec-osv', idPrefixes: ['RUSTSEC-'], ecosystems: ['crates.io'] }, options);
}

/**
 * GitHub's advisory database for one ecosystem: `advisories/**\/GHSA-*.json` locally; downloaded
 * as OSV.dev's `<Ecosystem>/all.zip` keeping only GHSA- records (OSV.dev imports
 * github/advisory-database as is; the whole repository archive is several hundred MB of all
 * ecosystems). One feed per ecosystem, so each has one folder (`ghsa-npm`) and one download.
 */
export function ghsaFeed(ecosystem: string, options?: OsvFeedOptions): Feed {
  const eco = ecosystemFromOsv(ecosystem);
  if (!eco) throw new ShipshapeError('usage', `ghsa: unknown ecosystem ${ecosystem}`);
  const name = `ghsa-${eco.namespace.replace(/[^a-z0-9]+/g, '-')}`;
  return osvFeed({ id: name, dirName: name, idPrefixes: ['GHSA-'], ecosystems: [eco.osv] }, options);
}

export function ghsaNpmFeed(options?: OsvFeedOptions): Feed {
  return ghsaFeed('npm', options);
}

export function ghsaMavenFeed(options?: OsvFeedOptions): Feed {
  return ghsaFeed('Maven', options);
}
