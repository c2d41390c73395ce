/**
 * The monitor's HTTP door: read-only dashboard pages, the JSON API under /api/, /metrics
 * (Prometheus text), /healthz and /readyz. Every route reads the store and renders; no decisions here.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import http from 'node:http';
import { describeError } from '../../errors.js';
import type { ScanReport } from '../../model/index.js';
import type { MonitorStore } from '../store/index.js';
import { ICON_SVG, STYLE_CSS } from './assets.js';
import { errorPage, imagePage, isAdvisoryId, overviewPage, searchPage } from './pages.js';

export interface ServerOptions {
  /** The dashboard token (SHIPSHAPE_MONITOR_TOKEN): `Authorization: Bearer TOKEN`, or basic auth with TOKEN as the password. */
  token: string;
  /** Extra lines for /metrics (the process's own counters). */
  metrics?: () => string;
}

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
  'cache-control': 'no-store',
};

const hash = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time check of a bearer token or a basic-auth password against the token. */
export function authorized(header: string | undefined, token: string): boolean {
  if (!header || !token) return false;
  let given: string | undefined;
  const m = /^(Bearer|Basic)\s+(.+)$/i.exec(header.trim());
  if (!m) return false;
  if (m[1]!.toLowerCase() === 'bearer') given = m[2]!;
  else {
    const decoded = Buffer.from(m[2]!, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    given = i >= 0 ? decoded.slice(i + 1) : undefined;
  }
  return given !== undefined && timingSafeEqual(hash(given), hash(token));
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

export function createMonitorServer(store: MonitorStore, opts: ServerOptions): http.Server {
  const requests = new Map<string, number>();
  const count = (code: number) => requests.set(String(code), (requests.get(String(code)) ?? 0) + 1);

  const handler = async (req: http.IncomingMessage, res: http.ServerResponse) => {
    const send = (status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}) => {
      count(status);
      res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'content-length': String(Buffer.byteLength(body)), ...extra });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    const json = (status: number, v: unknown) => send(status, 'application/json; charset=utf-8', JSON.stringify(v));
    const html = (status: number, body: string) => send(status, 'text/html; charset=utf-8', body);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://monitor');
    } catch {
      return json(400, { error: 'bad request URL' });
    }
    const p = url.pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'text/plain; charset=utf-8', 'read-only: GET and HEAD only\n', { allow: 'GET, HEAD' });
    // Probes need no token: they say nothing about the fleet.
    if (p === '/healthz') return send(200, 'text/plain; charset=utf-8', 'ok\n');
    if (p === '/readyz') {
      try {
        await store.schemaVersion();
        return send(200, 'text/plain; charset=utf-8', 'ready\n');
      } catch (err) {
        return send(503, 'text/plain; charset=utf-8', `store unavailable: ${describeError(err)}\n`);
      }
    }
    if (!authorized(req.headers.authorization, opts.token)) {
      const api = p.startsWith('/api/') || p === '/metrics';
      count(401);
      const body = api ? JSON.stringify({ error: 'unauthorized: send Authorization: Bearer <SHIPSHAPE_MONITOR_TOKEN>' }) : errorPage(401, 'This dashboard needs the monitor token.');
      res.writeHead(401, {
        ...SECURITY_HEADERS,
        'www-authenticate': api ? 'Bearer realm="shipshape monitor"' : 'Basic realm="shipshape monitor", charset="UTF-8"',
        'content-type': api ? 'application/json; charset=utf-8' : 'text/html; charset=utf-8',
      });
      return res.end(body);
    }
    if (p === '/assets/style.css') return send(200, 'text/css; charset=utf-8', STYLE_CSS, { 'cache-control': 'public, max-age=3600' });
    if (p === '/assets/icon.svg' || p === '/favicon.ico') return send(200, 'image/svg+xml', ICON_SVG, { 'cache-control': 'public, max-age=3600' });
    if (p === '/') {
      const page = Math.max(0, Math.min(1e6, Number.parseInt(url.searchParams.get('page') ?? '0', 10) || 0));
      const v = url.searchParams.get('verdict');
      return html(200, await overviewPage(store, page, v === 'pass' || v === 'fail' ? v : undefined));
    }
    if (p.startsWith('/images/')) {
      const digest = decodeURIComponent(p.slice('/images/'.length));
      if (!DIGEST.test(digest)) return html(404, errorPage(404, 'No such image.'));
      const page = await imagePage(store, digest);
      return page ? html(200, page) : html(404, errorPage(404, 'No such image.'));
    }
    if (p === '/search') return html(200, await searchPage(store, url.searchParams.get('q') ?? ''));
    if (p === '/metrics') return send(200, 'text/plain; version=0.0.4; charset=utf-8', await metricsText(store, requests, opts.metrics?.()));
    if (p === '/api/images') {
      const limit = clampInt(url.searchParams.get('limit'), 10_000, 1, 100_000);
      const offset = clampInt(url.searchParams.get('offset'), 0, 0, 1e9);
      const imgs = await store.images({ limit, offset });
      return json(
        200,
        imgs.flatMap((i) => i.refs.map((ref) => ({ ref, digest: i.digest, verdict: i.verdict, counts: i.counts, scannedAt: i.scannedAt ? new Date(i.scannedAt).toISOString() : null, state: i.state, ...(i.error ? { error: i.error } : {}) }))),
      );
    }
    const sbomPath = /^\/api\/images\/(sha256:[0-9a-f]{64})\/sbom$/.exec(p);
    if (sbomPath) {
      // The stored SBOM as a document other tools read: CycloneDX 1.6 (default) or SPDX 2.3 JSON.
      const format = url.searchParams.get('format') ?? 'cyclonedx';
      if (format !== 'cyclonedx' && format !== 'spdx') return json(400, { error: 'format must be cyclonedx or spdx' });
      const img = await store.image(sbomPath[1]!);
      if (!img?.sbom) return json(404, { error: 'no SBOM stored for this image' });
      const { getReporter } = await import('../../report/index.js');
      const report: ScanReport = {
        schemaVersion: 1,
        createdAt: new Date(img.scannedAt ?? Date.now()).toISOString(),
        image: { reference: img.refs[0] ?? img.ref, digest: img.digest, layers: img.layers },
        os: img.sbom.os,
        packages: img.sbom.packages,
        findings: [],
        warnings: [],
        db: null,
        verdict: { pass: true, failOn: null, reasons: [], minimal: null },
      };
      return send(200, 'application/json; charset=utf-8', getReporter(format).render(report));
    }
    if (p.startsWith('/api/images/')) {
      const digest = decodeURIComponent(p.slice('/api/images/'.length));
      const img = DIGEST.test(digest) ? await store.image(digest) : undefined;
      if (!img) return json(404, { error: 'no such image' });
      const { sbom, ...rest } = img;
      return json(200, { ...rest, packages: sbom?.packages.map((x) => ({ name: x.name, version: x.version, type: x.type, path: x.locations[0]?.path })) ?? [] });
    }
    if (p === '/api/findings') {
      const id = url.searchParams.get('id');
      const pkg = url.searchParams.get('package');
      if (!id && !pkg) return json(400, { error: 'give id=CVE-… or package=NAME' });
      const limit = clampInt(url.searchParams.get('limit'), 10_000, 1, 100_000);
      const hits = id ? await store.findingsById(id.slice(0, 200), limit) : await store.findingsByPackage(pkg!.slice(0, 200), limit);
      return json(200, hits.map((h) => ({ ref: h.ref, digest: h.digest, id: h.id, severity: h.severity, package: h.package, version: h.version, fixedIn: h.fixedIn, suppressed: h.suppressed, running: h.running })));
    }
    if (p === '/api/search') {
      const q = (url.searchParams.get('q') ?? '').trim().slice(0, 200);
      const hits = !q ? [] : isAdvisoryId(q) ? await store.findingsById(q) : await store.findingsByPackage(q);
      return json(200, hits);
    }
    if (p === '/api/rounds') return json(200, await store.rounds(clampInt(url.searchParams.get('limit'), 50, 1, 1000)));
    if (p === '/api/events') {
      const round = url.searchParams.get('round');
      return json(200, await store.events({ ...(round ? { roundId: clampInt(round, 0, 0, 1e12) } : {}), limit: clampInt(url.searchParams.get('limit'), 1000, 1, 100_000) }));
    }
    if (p === '/api/deliveries') return json(200, await store.deliveries(clampInt(url.searchParams.get('limit'), 100, 1, 10_000)));
    if (p === '/api/jobs') return json(200, await store.jobCounts());
    return p.startsWith('/api/') ? json(404, { error: 'no such endpoint' }) : html(404, errorPage(404, 'Not found.'));
  };

  return http.createServer((req, res) => {
    handler(req, res).catch((err) => {
      count(500);
      if (!res.headersSent) res.writeHead(500, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8' });
      res.end(`internal error: ${describeError(err)}\n`);
    });
  });
}

function clampInt(v: string | null, dflt: number, min: number, max: number): number {
  const n = v === null ? dflt : Number.parseInt(v, 10);
  return Number.isFinite(n) ? Math.max(min, Math.min(max, n)) : dflt;
}

async function metricsText(store: MonitorStore, requests: Map<string, number>, extra?: string): Promise<string> {
  const [counts, rounds, jobs] = await Promise.all([store.imageCount(), store.rounds(1), store.jobCounts()]);
  const lines: string[] = [];
  const metric = (name: string, help: string, type: string, samples: Array<[Record<string, string>, number]>) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of samples) {
      const l = Object.entries(labels).map(([k, x]) => `${k}="${x.replace(/["\\\n]/g, '_')}"`).join(',');
      lines.push(`${name}${l ? `{${l}}` : ''} ${v}`);
    }
  };
  metric('shipshape_monitor_images', 'Images by verdict.', 'gauge', Object.entries(counts.byVerdict).map(([v, n]) => [{ verdict: v }, n]));
  const last = rounds[0];
  if (last?.totals) metric('shipshape_monitor_findings', 'Active findings by severity after the last finished round.', 'gauge', Object.entries(last.totals).map(([s, n]) => [{ severity: s }, n]));
  metric('shipshape_monitor_jobs', 'Jobs by state.', 'gauge', Object.entries(jobs).map(([s, n]) => [{ state: s }, n]));
  metric('shipshape_monitor_last_round', 'Id of the last round started.', 'gauge', [[{}, last?.id ?? 0]]);
  metric('shipshape_monitor_http_requests_total', 'HTTP requests answered, by status.', 'counter', [...requests].map(([c, n]) => [{ code: c }, n]));
  return `${lines.join('\n')}\n${extra ?? ''}`;
}
