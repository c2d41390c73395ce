/** Feed downloads: conditional GETs against a local cache, mirrors, retries with backoff, atomic cache writes. */
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { Agent, interceptors, request, type Dispatcher } from 'undici';
import { ShipshapeError } from '../errors.js';

export interface DownloadOptions {
  /** Root of the download cache; bodies live under `<cacheDir>/http/<host>/<path>`. */
  cacheDir: string;
  /**
   * Base URL (or local directory / file: URL) of a mirror: `https://host/path` is fetched from
   * `<mirror>/host/path` instead. A mirror is a static tree `BASE/<host>/<path>` (docs/feeds.md).
   */
  mirror?: string;
  signal?: AbortSignal;
  /** Bytes done and total (-1 when the server does not say), with a label naming the download. */
  onProgress?: (done: number, total: number, label: string) => void;
  /** Longest wait for response headers, and longest silence while reading the body. Default 60 s. */
  timeoutMs?: number;
  /** Extra attempts after a 429, a 5xx or a network error. Default 3. */
  retries?: number;
  /** First backoff delay; it doubles on each retry. Default 1000 ms. */
  retryDelayMs?: number;
  /** Label passed to onProgress; default the URL's file name. */
  label?: string;
}

export interface DownloadResult {
  /** The URL actually requested (after mirror rewriting) or the local mirror file. */
  url: string;
  /** The upstream URL asked for. */
  upstreamUrl: string;
  /** The file holding the body: in the cache, or in a local mirror. */
  path: string;
  /** True when the server answered 304 and the cached copy was reused. */
  notModified: boolean;
  bytes: number;
  read(): Promise<Buffer>;
}

/** What is stored beside a cached body so the next fetch can be conditional. */
interface CacheMeta {
  url: string;
  etag?: string;
  lastModified?: string;
  fetchedAt: string;
}

/** Sent with every feed request. */
export const USER_AGENT = 'shipshape (+https://shipshape.dev)';
const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_RETRIES = 3;
const DEFAULT_RETRY_DELAY_MS = 1000;
export const MAX_RETRY_AFTER_MS = 30_000;

let agent: Dispatcher | undefined;
/** One shared agent following redirects (upstream hosts like salsa.debian.org redirect raw files). */
function dispatcher(): Dispatcher {
  agent ??= new Agent().compose(interceptors.redirect({ maxRedirections: 5 }));
  return agent;
}

/** Rewrites `scheme://host/path` to `<mirror>/host/path`. Without a mirror the URL is returned unchanged. */
export function mirrorUrl(url: string, mirror?: string): string {
  if (!mirror) return url;
  const u = new URL(url);
  return `${mirror.replace(/\/+$/, '')}/${u.host}${u.pathname}${u.search}`;
}

/** The cache file for an upstream URL: readable paths, with unsafe characters and `..` neutralised. */
export function cachePath(cacheDir: string, url: string): string {
  const u = new URL(url);
  const segments = u.pathname.split('/').slice(1);
  if (segments.length === 0 || segments[segments.length - 1] === '') {
    segments[Math.max(segments.length - 1, 0)] = 'index.html';
  }
  const safe = segments.map((s) => {
    let v: string;
    try {
      v = decodeURIComponent(s);
    } catch {
      v = s;
    }
    v = v.replace(/[^A-Za-z0-9._+~@=-]/g, '_');
    return v === '' || v === '.' || v === '..' ? '_' : v;
  });
  if (u.search) {
    const h = createHash('sha256').update(u.search).digest('hex').slice(0, 12);
    safe[safe.length - 1] += `@${h}`;
  }
  const host = u.host.replace(/[^A-Za-z0-9.-]/g, '_');
  return path.join(cacheDir, 'http', host, ...safe);
}

/** Whether the mirror names a local directory (a path or a file: URL) rather than an HTTP server. */
export function localMirrorDir(mirror: string | undefined): string | undefined {
  if (!mirror) return undefined;
  if (mirror.startsWith('file:')) return fileURLToPath(mirror);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(mirror)) return undefined;
  return path.resolve(mirror);
}

function labelOf(url: string): string {
  const u = new URL(url);
  return `${u.host}${u.pathname}`;
}

/**
 * Downloads `url` into the cache (or reuses the cached copy on a 304) and says where the body is.
 * Throws ShipshapeError: 'not-found' on 404/410, 'network' on anything else that keeps failing.
 */
export async function download(url: string, opts: DownloadOptions): Promise<DownloadResult> {
  const label = opts.label ?? labelOf(url);
  const localDir = localMirrorDir(opts.mirror);
  if (localDir) return readLocalMirror(url, localDir, opts, label);

  const target = mirrorUrl(url, opts.mirror);
  const file = cachePath(opts.cacheDir, url);
  const metaFile = `${file}.meta.json`;
  const retries = opts.retries ?? DEFAULT_RETRIES;
  const baseDelay = opts.retryDelayMs ?? DEFAULT_RETRY_DELAY_MS;
  const timeout = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;

  let meta = await readMeta(metaFile, file);
  let lastError = '';
  let retryAfter: number | undefined;
  for (let attempt = 0; attempt <= retries; attempt++) {
    if (attempt > 0) await sleep(retryDelay(baseDelay, attempt, retryAfter), opts.signal, target);
    retryAfter = undefined;
    const headers: Record<string, string> = { 'user-agent': USER_AGENT };
    if (meta?.etag) headers['if-none-match'] = meta.etag;
    if (meta?.lastModified) headers['if-modified-since'] = meta.lastModified;
    let res: Dispatcher.ResponseData;
    try {
      res = await request(target, {
        method: 'GET',
        headers,
        signal: opts.signal,
        dispatcher: dispatcher(),
        headersTimeout: timeout,
        bodyTimeout: timeout,
      });
    } catch (err) {
      if (opts.signal?.aborted) throw aborted(target, err);
      lastError = describeNetworkError(err);
      continue;
    }

    const status = res.statusCode;
    if (status === 304) {
      await res.body.dump();
      const st = await stat(file).catch(() => undefined);
      if (st && meta) {
        await writeAtomic(metaFile, JSON.stringify({ ...meta, fetchedAt: new Date().toISOString() }));
        return result(target, url, file, true, st.size);
      }
      if (!meta) throw new ShipshapeError('network', `GET ${target}: HTTP 304 to an unconditional request`);
      // The validators survived but the body did not: ask again, unconditionally.
      meta = undefined;
      attempt--;
      continue;
    }
    if (status === 429 || status >= 500) {
      retryAfter = parseRetryAfter(res.headers['retry-after']);
      await res.body.dump().catch(() => undefined);
      lastError = `HTTP ${status}`;
      continue;
    }
    if (status === 404 || status === 410) {
      await res.body.dump().catch(() => undefined);
      throw new ShipshapeError('not-found', `GET ${target}: HTTP ${status}`);
    }
    if (status < 200 || status >= 300) {
      await res.body.dump().catch(() => undefined);
      throw new ShipshapeError('network', `GET ${target}: HTTP ${status}`);
    }

    const total = Number(res.headers['content-length'] ?? -1);
    try {
      const bytes = await writeBody(res.body, file, Number.isFinite(total) ? total : -1, label, opts.onProgress);
      const next: CacheMeta = { url: target, fetchedAt: new Date().toISOString() };
      const etag = header(res.headers.etag);
      const lastModified = header(res.headers['last-modified']);
      if (etag) next.etag = etag;
      if (lastModified) next.lastModified = lastModified;
      await writeAtomic(metaFile, JSON.stringify(next));
      return result(target, url, file, false, bytes);
    } catch (err) {
      if (opts.signal?.aborted) throw aborted(target, err);
      if (err instanceof ShipshapeError) throw err;
      lastError = describeNetworkError(err);
      continue;
    }
  }
  const n = retries + 1;
  throw new ShipshapeError('network', `GET ${target}: ${lastError} after ${n} attempt${n === 1 ? '' : 's'}`);
}

/** Exponential backoff, stretched to the server's Retry-After (capped, so a hostile value cannot stall us). */
function retryDelay(base: number, attempt: number, retryAfter: number | undefined): number {
  const backoff = base * 2 ** (attempt - 1);
  return retryAfter !== undefined ? Math.min(Math.max(retryAfter, backoff), MAX_RETRY_AFTER_MS) : backoff;
}

export function parseRetryAfter(v: string | string[] | undefined): number | undefined {
  const s = header(v);
  if (!s) return undefined;
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : Math.max(0, t - Date.now());
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function result(url: string, upstreamUrl: string, file: string, notModified: boolean, bytes: number): DownloadResult {
  return { url, upstreamUrl, path: file, notModified, bytes, read: () => readFile(file) };
}

async function readLocalMirror(url: string, dir: string, opts: DownloadOptions, label: string): Promise<DownloadResult> {
  const u = new URL(url);
  const rel = u.pathname.endsWith('/') ? `${u.pathname}index.html` : u.pathname;
  const file = path.join(dir, u.host, ...rel.split('/').filter((s) => s !== '' && s !== '.' && s !== '..'));
  const st = await stat(file).catch(() => undefined);
  if (!st?.isFile()) throw new ShipshapeError('not-found', `${url}: ${file} is absent from the mirror`);
  opts.onProgress?.(st.size, st.size, label);
  return result(file, url, file, false, st.size);
}

async function readMeta(metaFile: string, bodyFile: string): Promise<CacheMeta | undefined> {
  try {
    const meta = JSON.parse(await readFile(metaFile, 'utf8')) as CacheMeta;
    await stat(bodyFile);
    return meta;
  } catch {
    return undefined;
  }
}

/** Streams the body to a temp file beside the target, then renames it into place. */
async function writeBody(
  body: Dispatcher.ResponseData['body'],
  file: string,
  total: number,
  label: string,
  onProgress: DownloadOptions['onProgress'],
): Promise<number> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = tempName(file);
  let done = 0;
  let lastReport = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      done += chunk.length;
      // Report at most every 256 KiB so a callback cannot slow a big download.
      if (onProgress && done - lastReport >= 256 * 1024) {
        lastReport = done;
        onProgress(done, total, label);
      }
      cb(null, chunk);
    },
  });
  try {
    await pipeline(body, counter, createWriteStream(tmp));
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  onProgress?.(done, total, label);
  return done;
}

async function writeAtomic(file: string, content: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = tempName(file);
  try {
    await writeFile(tmp, content);
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

function tempName(file: string): string {
  return `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
}

export function describeNetworkError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: string }).code;
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return code ? `${err.message} (${code})${cause}` : `${err.message}${cause}`;
  }
  return String(err);
}

function aborted(url: string, cause: unknown): ShipshapeError {
  return new ShipshapeError('network', `GET ${url}: aborted`, { cause });
}

export function sleep(ms: number, signal: AbortSignal | undefined, url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(aborted(url, signal.reason));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(aborted(url, signal?.reason));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The download options a feed passes on from its fetch options (cache, mirror, abort, progress). */
export function feedDownloadOptions(opts: {
  cacheDir: string;
  mirror?: string;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, label: string) => void;
}): DownloadOptions {
  return {
    cacheDir: opts.cacheDir,
    ...(opts.mirror ? { mirror: opts.mirror } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  };
}
