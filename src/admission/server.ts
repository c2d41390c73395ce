/**
 * The admission webhook's HTTPS server: TLS ≥ 1.2 with the certificate and key re-read when their
 * files change (cert-manager rotation), the policy re-read when it or a key changes (requests in
 * flight keep the policy they started with), a body limit, routes that are thin doors onto the
 * handlers, health and readiness, Prometheus metrics, one JSON log line per request.
 */
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { describeError, ShipshapeError } from '../errors.js';
import type { RegistryOptions } from '../registry/types.js';
import { AdmissionEngine, type ResolveTagFn, type VerifyFn } from './engine.js';
import { accountRequest, answerPost, logLine, postRoutes, type HandlerResult } from './handlers.js';
import { AdmissionMetrics, METRICS_CONTENT_TYPE } from './metrics.js';
import { loadAdmissionPolicy, type AdmissionPolicy } from './policy.js';
import { warmUp } from './warmup.js';

/** The API server's own request limit (3 MiB): no review it sends is larger. */
export const DEFAULT_MAX_BODY_BYTES = 3 << 20;
/** The webhook configurations' timeoutSeconds. */
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;

/** How long start-up waits for the registry connections preconnect() opens, and for the warm-up. */
const PRECONNECT_WAIT_MS = 2_000;

export interface ServeOptions {
  policyFile: string;
  certFile: string;
  keyFile: string;
  /** 0 picks a free port. */
  port?: number;
  host?: string;
  registry?: RegistryOptions;
  /** The webhook's timeoutSeconds; lookups stop a second before it. */
  webhookTimeoutMs?: number;
  maxBodyBytes?: number;
  /** How often the policy, key, certificate files are polled for changes (fs.watchFile; survives symlink swaps). */
  watchIntervalMs?: number;
  verify?: VerifyFn;
  resolveTag?: ResolveTagFn;
  /** Receives one JSON line per request and per reload (default: stdout). */
  log?: (line: string) => void;
  /** Run before ready (default: warmUp() of warmup.ts, synthetic requests on a throwaway engine); false: none. */
  warmUp?: false | ((policy: AdmissionPolicy) => Promise<unknown>);
}

export interface AdmissionServer {
  port: number;
  url: string;
  engine: AdmissionEngine;
  metrics: AdmissionMetrics;
  /** Re-reads the policy now; false (old policy kept, error logged) when the new one is invalid. */
  reloadPolicy(): boolean;
  /** Re-reads certificate and key now; false when they do not load or do not match. */
  reloadCertificate(): boolean;
  close(): Promise<void>;
}

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new ShipshapeError('io', `cannot read ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
}

function loadTls(certFile: string, keyFile: string): { cert: Buffer; key: Buffer } {
  const cert = readPem(certFile, 'TLS certificate');
  const key = readPem(keyFile, 'TLS key');
  try {
    tls.createSecureContext({ cert, key });
  } catch (err) {
    throw new ShipshapeError('io', `TLS certificate ${certFile} and key ${keyFile} do not load: ${(err as Error).message}`, { cause: err });
  }
  return { cert, key };
}

function readBodyLimited(req: IncomingMessage, max: number): Promise<Buffer | { tooLarge: true }> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? -1);
    if (declared > max) {
      req.resume();
      resolve({ tooLarge: true });
      return;
    }
    const chunks: Buffer[] = [];
    let n = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      if (over) return;
      n += c.length;
      if (n > max) {
        over = true;
        chunks.length = 0;
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(over ? { tooLarge: true } : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startAdmissionServer(opts: ServeOptions): Promise<AdmissionServer> {
  const log = opts.log ?? ((line: string) => process.stdout.write(`${line}\n`));
  const emit = (rec: object) => log(logLine(rec));
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const webhookTimeout = opts.webhookTimeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
  const watchInterval = opts.watchIntervalMs ?? 2_000;

  let policy: AdmissionPolicy = loadAdmissionPolicy(opts.policyFile);
  if (policy.registryTimeoutMs >= webhookTimeout) {
    throw new ShipshapeError('bad-policy', `${opts.policyFile}: registryTimeout (${policy.registryTimeoutMs} ms) must be shorter than the webhook timeout (${webhookTimeout} ms)`);
  }
  let tlsFiles = loadTls(opts.certFile, opts.keyFile);
  const metrics = new AdmissionMetrics();
  const engine = new AdmissionEngine({
    policy,
    ...(opts.verify ? { verify: opts.verify } : {}),
    ...(opts.resolveTag ? { resolveTag: opts.resolveTag } : {}),
    ...(opts.registry ? { registry: opts.registry } : {}),
    deadlineMs: Math.max(100, webhookTimeout - 1_000),
    events: {
      registryError: (code) => metrics.registryErrors.inc({ code }),
      cache: (cache, hit) => metrics.cache.inc({ cache, result: hit ? 'hit' : 'miss' }),
    },
  });
  let ready = false;

  /** `work`, or undefined once PRECONNECT_WAIT_MS have passed or it failed: start-up never waits longer. */
  const bounded = <T>(work: () => Promise<T>): Promise<T | undefined> => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), PRECONNECT_WAIT_MS)));
    return Promise.race([work().catch(() => undefined), late]).finally(() => clearTimeout(timer));
  };
  const preconnect = () => bounded(() => engine.preconnect());

  const send = (res: ServerResponse, status: number, body: string, type = 'application/json') => {
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
    res.end(body);
  };
  const sendStatus = (res: ServerResponse, status: number, reason: string, message: string) =>
    send(res, status, JSON.stringify({ apiVersion: 'v1', kind: 'Status', status: 'Failure', message, reason, code: status }));

  const routes = postRoutes(engine);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'https://webhook');
    const route = url.pathname;
    const post = routes[route];
    if (req.method === 'GET' && route === '/healthz') return send(res, 200, 'ok\n', 'text/plain');
    if (req.method === 'GET' && route === '/readyz') return ready ? send(res, 200, 'ok\n', 'text/plain') : send(res, 503, 'not ready\n', 'text/plain');
    if (req.method === 'GET' && route === '/metrics') return send(res, 200, metrics.render(), METRICS_CONTENT_TYPE);
    if (!post) {
      req.resume();
      metrics.requests.inc({ route: 'other', code: '404' });
      return sendStatus(res, 404, 'NotFound', `no route ${req.method} ${route.slice(0, 100)}`);
    }
    if (req.method !== 'POST') {
      req.resume();
      res.setHeader('allow', 'POST');
      metrics.requests.inc({ route, code: '405' });
      return sendStatus(res, 405, 'MethodNotAllowed', `${route} takes POST`);
    }
    let result: HandlerResult;
    const body = await readBodyLimited(req, maxBody);
    if (!Buffer.isBuffer(body)) {
      const message = `body is larger than ${maxBody} bytes (the API server's own limit is 3 MiB)`;
      result = {
        status: 400,
        body: { apiVersion: 'v1', kind: 'Status', status: 'Failure', message, reason: 'BadRequest', code: 400 },
        log: { route, decision: 'bad-request', reasons: [message] },
      };
    } else {
      result = await answerPost(post, route, body);
    }
    emit(accountRequest(metrics, route, result, Number(process.hrtime.bigint() - started) / 1e6));
    send(res, result.status, JSON.stringify(result.body));
  };

  const server = https.createServer({ cert: tlsFiles.cert, key: tlsFiles.key, minVersion: 'TLSv1.2' }, (req, res) => {
    handle(req, res).catch((err) => {
      emit({ route: req.url, decision: 'error', reasons: [describeError(err)] });
      if (!res.headersSent) sendStatus(res, 500, 'InternalError', 'internal error');
      else res.destroy();
    });
  });
  // A slow client must not hold a socket for ever.
  server.requestTimeout = webhookTimeout + 5_000;
  server.headersTimeout = 10_000;

  /** Runs one reload; on failure what was loaded before stays in use. Counted and logged either way. */
  const reloader = (what: 'policy' | 'certificate', file: string, kept: string, load: () => void) => (): boolean => {
    try {
      load();
      metrics.reloads.inc({ what, result: 'ok' });
      emit({ event: 'reload', what, result: 'ok', file });
      return true;
    } catch (err) {
      metrics.reloads.inc({ what, result: 'error' });
      emit({ event: 'reload', what, result: 'error', error: describeError(err), note: kept });
      return false;
    }
  };
  const reloadPolicy = reloader('policy', opts.policyFile, 'the previous policy stays in force', () => {
    const next = loadAdmissionPolicy(opts.policyFile);
    if (next.registryTimeoutMs >= webhookTimeout) throw new ShipshapeError('bad-policy', `registryTimeout must be shorter than the webhook timeout (${webhookTimeout} ms)`);
    policy = next;
    engine.setPolicy(next);
    rewatch();
    void preconnect();
  });
  // cert-manager writes the pair one file at a time: a mismatch now is fixed by the next change.
  const reloadCertificate = reloader('certificate', opts.certFile, 'the previous certificate stays in use', () => {
    tlsFiles = loadTls(opts.certFile, opts.keyFile);
    server.setSecureContext({ cert: tlsFiles.cert, key: tlsFiles.key, minVersion: 'TLSv1.2' });
  });

  const watched = new Map<string, () => void>();
  const watch = (file: string, fn: () => void) => {
    if (watched.has(file)) return;
    const listener = (cur: { mtimeMs: number; ino: number; size: number }, prev: { mtimeMs: number; ino: number; size: number }) => {
      if (cur.mtimeMs !== prev.mtimeMs || cur.ino !== prev.ino || cur.size !== prev.size) fn();
    };
    watchFile(file, { interval: watchInterval, persistent: false }, listener);
    watched.set(file, () => unwatchFile(file, listener));
  };
  function rewatch() {
    for (const f of policy.files) watch(f, reloadPolicy);
  }
  rewatch();
  watch(opts.certFile, reloadCertificate);
  watch(opts.keyFile, reloadCertificate);

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new ShipshapeError('io', `cannot listen on ${opts.host ?? '0.0.0.0'}:${opts.port ?? 8443}: ${(err as Error).message}`, { cause: err })));
    server.listen(opts.port ?? 8443, opts.host ?? '0.0.0.0', () => resolve());
  });
  // Before the server says it is ready: connections to the allowed registries are opened, so the
  // first lookups pay no TLS handshake (an unreachable registry holds readiness back at most 2 s),
  // and synthetic requests on a throwaway engine (no network) run the request path, so the first
  // real ones do not wait for V8 to compile it. Neither can hold readiness back more than 2 s.
  const warm = opts.warmUp === false ? undefined : (opts.warmUp ?? warmUp);
  const [, warmed] = await Promise.all([preconnect(), warm ? bounded(async () => (await engine.prepare(), await warm(policy))) : undefined]);
  ready = true;
  const port = (server.address() as AddressInfo).port;
  const shownHost = !opts.host || opts.host === '0.0.0.0' ? '127.0.0.1' : opts.host;
  emit({ event: 'listening', port, policy: opts.policyFile, policyDigest: policy.global.digest, ...(warmed && typeof warmed === 'object' ? { warmUp: warmed } : {}) });
  return {
    port,
    url: `https://${shownHost}:${port}`,
    engine,
    metrics,
    reloadPolicy,
    reloadCertificate,
    async close() {
      ready = false;
      for (const stop of watched.values()) stop();
      watched.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await engine.close();
    },
  };
}
