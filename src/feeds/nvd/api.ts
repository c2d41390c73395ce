/**
 * The NVD CVE API 2.0 client: pages of up to 2,000 CVEs (`startIndex`, `resultsPerPage`), the
 * last-modified windows of an incremental update (at most 120 days each, as NVD requires), the
 * published rate limits, retries; the API key goes to the API host only, never through a redirect.
 */
import { request } from 'undici';
import { ShipshapeError } from '../../errors.js';
import { describeNetworkError, MAX_RETRY_AFTER_MS, parseRetryAfter, sleep, USER_AGENT } from '../http.js';
import { readPage } from './parse.js';
import type { RateLimiter } from './rate-limit.js';
import type { NvdResponse } from './schema.js';

export const NVD_API_URL = 'https://services.nvd.nist.gov/rest/json/cves/2.0';
/** NVD's largest page. */
export const MAX_RESULTS_PER_PAGE = 2000;
/** NVD refuses date ranges over 120 consecutive days; a day less leaves room for clock skew. */
export const MAX_WINDOW_MS = 119 * 86_400_000;
/** A response page is a few MB; anything this big is not one. */
const MAX_BODY_BYTES = 512 * 1024 * 1024;

export interface ApiOptions {
  /** The API URL to query (NVD's, or a mirror's). */
  url: string;
  /** Sent as the `apiKey` header. */
  apiKey?: string;
  resultsPerPage: number;
  limiter: RateLimiter;
  /** Longest a whole request (headers and body) may take. */
  timeoutMs: number;
  retries: number;
  retryDelayMs: number;
  signal?: AbortSignal;
  onProgress?: (done: number, total: number, label: string) => void;
}

/** NVD's extended ISO-8601 with an explicit offset, as its documentation writes it. */
export function nvdDate(d: Date): string {
  return d.toISOString().replace('Z', '+00:00');
}

/** [from, to] cut into consecutive windows of at most `maxMs` each. */
export function windows(from: Date, to: Date, maxMs = MAX_WINDOW_MS): Array<[Date, Date]> {
  const out: Array<[Date, Date]> = [];
  let start = from.getTime();
  const end = to.getTime();
  while (start < end) {
    const stop = Math.min(start + maxMs, end);
    out.push([new Date(start), new Date(stop)]);
    start = stop;
  }
  return out;
}

/** Every page of one query, in order; `params` are the query's filters (none = every CVE). */
export async function* pages(params: Record<string, string>, opts: ApiOptions): AsyncGenerator<NvdResponse> {
  let startIndex = 0;
  let total = Infinity;
  while (startIndex < total) {
    const q = new URLSearchParams({ ...params, resultsPerPage: String(opts.resultsPerPage), startIndex: String(startIndex) });
    const url = `${opts.url}?${q.toString()}`;
    const page = readPage(await get(url, opts), url);
    if (page.startIndex !== startIndex) {
      throw new ShipshapeError('bad-feed', `nvd: ${url}: answered startIndex ${page.startIndex}, asked for ${startIndex}`);
    }
    total = page.totalResults;
    yield page;
    const n = page.vulnerabilities.length;
    // An empty page before the end would loop forever: NVD's totals moved under us, or the server is broken.
    if (n === 0 && startIndex < total) {
      throw new ShipshapeError('bad-feed', `nvd: ${url}: empty page at ${startIndex} of ${total} results`);
    }
    startIndex += n;
    opts.onProgress?.(Math.min(startIndex, total), total, 'nvd');
  }
}

/** One GET with the rate limit, the key, a deadline for the whole request, and retries. */
async function get(url: string, opts: ApiOptions): Promise<Buffer> {
  let lastError = '';
  let wait = 0;
  for (let attempt = 0; attempt <= opts.retries; attempt++) {
    if (attempt > 0) await sleep(wait, opts.signal, url);
    wait = opts.retryDelayMs * 2 ** attempt;
    await opts.limiter.take(opts.signal, url);
    const deadline = AbortSignal.timeout(opts.timeoutMs);
    const signal = opts.signal ? either(opts.signal, deadline) : deadline;
    const headers: Record<string, string> = { 'user-agent': USER_AGENT, accept: 'application/json' };
    if (opts.apiKey) headers['apiKey'] = opts.apiKey;
    try {
      // undici's request follows no redirect: the key never leaves the host it was meant for.
      const res = await request(url, { method: 'GET', headers, signal });
      const status = res.statusCode;
      if (status === 200) return await readBody(res.body, url);
      await res.body.dump().catch(() => undefined);
      const message = header(res.headers['message']);
      const why = `HTTP ${status}${message ? ` (${message})` : ''}`;
      if (status === 403 || status === 429 || status >= 500) {
        // NVD answers 403 when the rate limit is exceeded: wait out a whole window before trying again.
        const after = parseRetryAfter(res.headers['retry-after']);
        if (status !== 503 && status < 500) wait = Math.max(wait, opts.limiter.windowMs);
        if (after !== undefined) wait = Math.max(wait, after);
        wait = Math.min(wait, Math.max(MAX_RETRY_AFTER_MS, opts.limiter.windowMs));
        lastError = status === 403 ? `${why}: rate limit exceeded or API key refused` : why;
        continue;
      }
      if (status >= 300 && status < 400) {
        throw new ShipshapeError('network', `GET ${url}: ${why}: redirect to ${header(res.headers.location) ?? '?'} not followed`);
      }
      throw new ShipshapeError(status === 404 ? 'not-found' : 'network', `GET ${url}: ${why}`);
    } catch (err) {
      if (err instanceof ShipshapeError) throw err;
      if (opts.signal?.aborted) throw new ShipshapeError('network', `GET ${url}: aborted`, { cause: err });
      lastError = deadline.aborted ? `no complete answer in ${opts.timeoutMs} ms` : describeNetworkError(err);
    }
  }
  const n = opts.retries + 1;
  throw new ShipshapeError('network', `GET ${url}: ${lastError} after ${n} attempt${n === 1 ? '' : 's'}`);
}

/** A signal aborted by either of two: AbortSignal.any, or (Node before 20.3) listeners of our own. */
function either(a: AbortSignal, b: AbortSignal): AbortSignal {
  if (typeof AbortSignal.any === 'function') return AbortSignal.any([a, b]);
  const c = new AbortController();
  const abort = (s: AbortSignal) => () => c.abort(s.reason);
  for (const s of [a, b]) {
    if (s.aborted) c.abort(s.reason);
    else s.addEventListener('abort', abort(s), { once: true });
  }
  return c.signal;
}

function header(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

async function readBody(body: AsyncIterable<Buffer>, url: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new ShipshapeError('too-large', `GET ${url}: answer larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
