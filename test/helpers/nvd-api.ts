/**
 * A local stand-in for the NVD CVE API 2.0 (https://nvd.nist.gov/developers/vulnerabilities) on
 * 127.0.0.1: serves CVE records with startIndex/resultsPerPage paging and lastModStartDate/
 * lastModEndDate filtering (refusing ranges over 120 days, as NVD does), and logs each request.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

export interface NvdRecord {
  id: string;
  lastModified: string;
  vulnStatus?: string;
  metrics?: unknown;
  [k: string]: unknown;
}

export interface NvdRequest {
  path: string;
  params: Record<string, string>;
  apiKey: string | undefined;
  at: number;
  status: number;
}

export interface FakeNvd {
  /** Base URL of the server: the API is at `${url}${apiPath}`. */
  url: string;
  records: NvdRecord[];
  log: NvdRequest[];
  /** Answers the next N requests with this status instead (403 for "rate limit exceeded"). */
  failNext(status: number, n?: number): void;
  /** Serves an empty page while claiming more results (a broken server). */
  breakPaging(on: boolean): void;
  close(): Promise<void>;
}

/** The CVE records of the shared NVD sample (nvd-0001.json.gz). */
export function sampleRecords(file: string): NvdRecord[] {
  const doc = JSON.parse(gunzipSync(readFileSync(file)).toString('utf8')) as { vulnerabilities: Array<{ cve: NvdRecord }> };
  return doc.vulnerabilities.map((v) => v.cve);
}

/** NVD's dates: no zone means UTC. */
function parseNvdDate(s: string): number {
  return Date.parse(/(Z|[+-]\d\d:\d\d)$/.test(s) ? s : `${s}Z`);
}

export async function startFakeNvd(records: NvdRecord[], apiPath: string): Promise<FakeNvd> {
  const log: NvdRequest[] = [];
  let failing: { status: number; n: number } | undefined;
  let broken = false;
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://x');
    const params = Object.fromEntries(u.searchParams);
    const entry: NvdRequest = { path: u.pathname, params, apiKey: req.headers['apikey'] as string | undefined, at: Date.now(), status: 200 };
    log.push(entry);
    const fail = (status: number, message?: string) => {
      entry.status = status;
      res.writeHead(status, message ? { message } : {}).end();
    };
    // Served at the API path itself and under a mirror's BASE/<host>/<path> layout.
    if (u.pathname !== apiPath && u.pathname !== `/services.nvd.nist.gov${apiPath}`) return fail(404);
    if (failing && failing.n > 0) {
      failing.n--;
      return fail(failing.status);
    }
    const start = Number(params.startIndex ?? 0);
    const per = Math.min(Number(params.resultsPerPage ?? 2000), 2000);
    let list = [...records].sort((a, b) => (a.id < b.id ? -1 : 1));
    if (params.lastModStartDate !== undefined || params.lastModEndDate !== undefined) {
      const from = parseNvdDate(params.lastModStartDate ?? '');
      const to = parseNvdDate(params.lastModEndDate ?? '');
      if (Number.isNaN(from) || Number.isNaN(to)) return fail(404, 'Invalid date format');
      if (to - from > 120 * 86_400_000 || to < from) return fail(404, 'The date range must not exceed 120 days');
      list = list.filter((r) => {
        const t = parseNvdDate(r.lastModified);
        return t >= from && t <= to;
      });
    }
    const page = broken ? [] : list.slice(start, start + per);
    const body = JSON.stringify({
      resultsPerPage: page.length,
      startIndex: start,
      totalResults: list.length,
      format: 'NVD_CVE',
      version: '2.0',
      timestamp: new Date().toISOString().slice(0, -1),
      vulnerabilities: page.map((cve) => ({ cve })),
    });
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    records,
    log,
    failNext(status, n = 1) {
      failing = { status, n };
    },
    breakPaging(on) {
      broken = on;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
