/**
 * HTTP for one registry on undici: HTTPS with extra CAs (plain HTTP only for insecure registries),
 * per-request timeouts, retries with backoff on 429/5xx/resets, and redirects that never carry
 * the Authorization header to another host. Knows nothing of auth or of the API's paths.
 */
import { readFileSync } from 'node:fs';
import type { Readable } from 'node:stream';
import tls from 'node:tls';
// undici's parts, not its index: the index also evaluates fetch, websocket, cookies and mocks at
// start-up (~50 ms of every registry command's start; src/registry/undici-parts.d.ts).
import Agent from 'undici/lib/dispatcher/agent.js';
import dispatchRequest from 'undici/lib/api/api-request.js';
import { ShipshapeError } from '../errors.js';
import type { RegistryOptions } from './types.js';

export const DEFAULT_TIMEOUT_MS = 30_000;
/** The slowest transfer a blob may take, past the timeout itself: 64 KiB/s (a 100 MB layer gets 26 min). */
const MIN_BLOB_BYTES_PER_S = 64 << 10;

/** The whole-request budget of a blob transfer (GET or upload) of `size` bytes: bounded, but never cut short by a slow honest link. */
export function blobBudgetMs(size: number, timeoutMs: number): number {
  return timeoutMs + Math.ceil((Math.max(0, size) / MIN_BLOB_BYTES_PER_S) * 1000);
}
const MAX_REDIRECTS = 5;

export type HttpMethod = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

export interface HttpRequest {
  method: HttpMethod;
  /** Absolute URL. */
  url: string;
  headers?: Record<string, string>;
  /** A Buffer body is re-sent on retries; a stream body disables retries (it cannot be replayed). */
  body?: Buffer | string | Readable;
  /** Follow 3xx answers (default: for GET and HEAD). */
  followRedirects?: boolean;
  /**
   * The whole request (tries, redirects, waits between them, and reading the body) must end within
   * this many ms; default the transport's timeout. A server that drips bytes cannot stretch it.
   */
  budgetMs?: number;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Readable & { dump(opts?: { limit: number }): Promise<void> };
  /** The URL that answered (after redirects). */
  url: string;
}

/** The first value of a response header. */
export function header(res: HttpResponse, name: string): string | undefined {
  const v = res.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Docker Hub's API lives on registry-1.docker.io while its images are named docker.io. */
export function endpointHost(registry: string): string {
  return registry === 'docker.io' || registry === 'index.docker.io' ? 'registry-1.docker.io' : registry;
}

const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'EPROTO',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'ECONNABORTED', 'UND_ERR_CLOSED']);
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

function errorCode(err: unknown): string | undefined {
  let e = err as { code?: string; cause?: unknown } | undefined;
  for (let i = 0; e && i < 4; i++, e = e.cause as typeof e) {
    if (typeof e.code === 'string' && e.code !== 'UND_ERR') {
      // undici wraps socket errors; the socket's own code says more than UND_ERR_SOCKET.
      const inner = (e.cause as { code?: string } | undefined)?.code;
      return e.code === 'UND_ERR_SOCKET' && inner ? inner : e.code;
    }
  }
  return undefined;
}

function isResetError(err: unknown): boolean {
  return RESET_CODES.has(errorCode(err) ?? '');
}

/** One line saying why a host could not be talked to, as a `network` error. */
export function networkError(err: unknown, host: string, timeoutMs: number): ShipshapeError {
  // An aborted request carries the deadline's own error, possibly wrapped by undici.
  for (let e = err as { cause?: unknown } | undefined, i = 0; e && i < 4; i++, e = e.cause as typeof e) {
    if (e instanceof ShipshapeError) return e;
  }
  const code = errorCode(err) ?? '';
  const msg = (err as Error)?.message ?? String(err);
  let text: string;
  if (code === 'ECONNREFUSED') text = `cannot connect to registry ${host}: connection refused`;
  else if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') text = `cannot resolve registry host ${host}`;
  else if (TIMEOUT_CODES.has(code)) text = `registry ${host} did not answer within ${timeoutMs} ms`;
  else if (TLS_CODES.has(code) || /certificate|SSL|TLS/i.test(msg))
    text = `TLS connection to registry ${host} failed: ${msg} (trust its CA with caCerts, or list it in insecureRegistries if it speaks plain HTTP)`;
  else if (RESET_CODES.has(code)) text = `connection to registry ${host} was reset`;
  else text = `cannot reach registry ${host}: ${msg}${code ? ` (${code})` : ''}`;
  return new ShipshapeError('network', text, { cause: err });
}

function loadCaCerts(paths: string[]): string[] {
  return paths.map((p) => {
    try {
      return readFileSync(p, 'utf8');
    } catch (err) {
      throw new ShipshapeError('io', `cannot read CA certificate ${p}: ${(err as Error).message}`, { cause: err });
    }
  });
}

/** Default trust plus `extra`: setting `ca` replaces Node's default store, so the defaults are added back. */
function trustStore(extra: string[]): string[] {
  const t = tls as unknown as { getCACertificates?: (type: string) => string[] };
  const defaults = typeof t.getCACertificates === 'function' ? t.getCACertificates('default') : [...tls.rootCertificates];
  return [...defaults, ...extra];
}

// A context holding the default roots plus extra CAs costs ~20 ms of CPU to build; built per
// connection it dominated the admission webhook's cold lookups. One per distinct set of CAs.
const secureContexts = new Map<string, tls.SecureContext>();
function sharedSecureContext(extra: string[]): tls.SecureContext {
  const key = extra.join('\n');
  let ctx = secureContexts.get(key);
  if (!ctx) {
    ctx = tls.createSecureContext({ ca: trustStore(extra) });
    secureContexts.set(key, ctx);
  }
  return ctx;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Retry-After as seconds or an HTTP date, in ms; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const t = Date.parse(value);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now);
}

export class Transport {
  readonly registry: string;
  /** scheme://host[:port] of the API. */
  readonly baseUrl: string;
  readonly timeoutMs: number;
  private readonly insecureHosts: Set<string>;
  private readonly agent: Agent;
  private readonly tries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly keepAliveAfterHead: boolean;

  constructor(registry: string, opts: RegistryOptions = {}) {
    this.registry = registry;
    const host = endpointHost(registry);
    this.insecureHosts = new Set(opts.insecureRegistries ?? []);
    const insecure = this.insecureHosts.has(registry) || this.insecureHosts.has(host);
    this.baseUrl = `${insecure ? 'http' : 'https'}://${host}`;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const secureContext = opts.caCerts?.length ? sharedSecureContext(loadCaCerts(opts.caCerts)) : undefined;
    this.agent = new Agent({
      connect: { timeout: this.timeoutMs, ...(secureContext ? { secureContext } : {}) },
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      ...(opts.keepAliveMs !== undefined ? { keepAliveTimeout: opts.keepAliveMs, keepAliveMaxTimeout: Math.max(opts.keepAliveMs, 600_000) } : {}),
    });
    this.tries = Math.max(1, opts.retry?.tries ?? 4);
    this.baseDelayMs = opts.retry?.baseDelayMs ?? 500;
    this.maxDelayMs = opts.retry?.maxDelayMs ?? 30_000;
    this.keepAliveAfterHead = opts.keepAliveAfterHead ?? false;
  }

  /** Whether `host` was named an insecure (plain HTTP) registry: the only hosts plain HTTP may reach. */
  allowsPlainHttp(host: string): boolean {
    return this.insecureHosts.has(host);
  }

  /**
   * Sends a request, retrying and following redirects, all within the request's budget; any status
   * comes back, only transport failures and the budget running out throw. The budget also bounds
   * reading the returned body: the deadline is cleared when the body closes.
   */
  async send(req: HttpRequest): Promise<HttpResponse> {
    const budgetMs = req.budgetMs ?? this.timeoutMs;
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new ShipshapeError('network', `registry ${new URL(req.url).host} did not answer within ${budgetMs} ms`)), budgetMs);
    timer.unref();
    try {
      const res = await this.follow(req, deadline.signal, Date.now() + budgetMs);
      res.body.once('close', () => clearTimeout(timer));
      return res;
    } catch (err) {
      clearTimeout(timer);
      throw err;
    }
  }

  private async follow(req: HttpRequest, signal: AbortSignal, deadline: number): Promise<HttpResponse> {
    const follow = req.followRedirects ?? (req.method === 'GET' || req.method === 'HEAD');
    let url = req.url;
    let headers = { ...(req.headers ?? {}) };
    for (let hop = 0; ; hop++) {
      const res = await this.sendWithRetries({ ...req, url, headers }, signal, deadline);
      const location = header(res, 'location');
      if (!follow || res.status < 300 || res.status > 399 || res.status === 304 || !location) return res;
      await res.body.dump();
      if (hop >= MAX_REDIRECTS) {
        throw new ShipshapeError('registry', `registry ${this.registry}: too many redirects for ${req.method} ${req.url}`);
      }
      const next = new URL(location, url);
      // Storage backends (S3, GCS) sign their URLs; our registry credentials must not leak to them.
      if (next.origin !== new URL(url).origin) {
        headers = Object.fromEntries(Object.entries(headers).filter(([k]) => k.toLowerCase() !== 'authorization'));
      }
      url = next.toString();
    }
  }

  private async sendWithRetries(req: HttpRequest, signal: AbortSignal, deadline: number): Promise<HttpResponse> {
    const replayable = !(req.body && typeof req.body === 'object' && !Buffer.isBuffer(req.body));
    const host = new URL(req.url).host;
    for (let attempt = 1; ; attempt++) {
      const last = attempt >= this.tries || !replayable;
      let res: HttpResponse;
      try {
        const url = new URL(req.url);
        const r = await dispatchRequest.call(this.agent, {
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: req.method,
          headers: req.headers,
          body: req.body as Buffer | string | Readable | undefined,
          headersTimeout: this.timeoutMs,
          bodyTimeout: this.timeoutMs,
          signal,
          ...(this.keepAliveAfterHead && req.method === 'HEAD' ? { reset: false } : {}),
        });
        res = { status: r.statusCode, headers: r.headers, body: r.body, url: req.url };
      } catch (err) {
        const wait = this.backoff(attempt);
        if (!last && isResetError(err) && Date.now() + wait < deadline) {
          await sleep(wait);
          continue;
        }
        throw networkError(signal.aborted ? signal.reason : err, host, this.timeoutMs);
      }
      if (last || (res.status !== 429 && res.status < 500)) return res;
      const retryAfter = parseRetryAfter(header(res, 'retry-after'));
      const wait = retryAfter !== undefined ? Math.min(retryAfter, this.maxDelayMs) : this.backoff(attempt);
      // A wait that would outlast the budget is not waited: the answer we have is the answer.
      if (Date.now() + wait >= deadline) return res;
      await res.body.dump().catch(() => undefined);
      await sleep(wait);
    }
  }

  /** base × 2^(attempt-1), with half of it random so that many clients do not retry in step. */
  private backoff(attempt: number): number {
    const d = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
    return d / 2 + Math.random() * (d / 2);
  }

  /** Ends every connection, aborting streams still open: the image is done with. */
  async close(): Promise<void> {
    await this.agent.destroy();
  }
}

/** Reads a whole (small) body, failing with too-large past `max` bytes without buffering the rest. */
export async function readBody(body: Readable, max: number, what: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const chunk of body) {
    n += (chunk as Buffer).length;
    if (n > max) {
      body.destroy();
      throw new ShipshapeError('too-large', `${what} is larger than ${max} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
