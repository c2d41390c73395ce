/** The NVD feed: choosing a CVE's score, reading local pages, bad files, and the API download (paging, incremental windows, rate limit, key). */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeNvd, sampleRecords, type FakeNvd, type NvdRecord } from '../../../test/helpers/nvd-api.js';
import { sharedPath } from '../../../test/helpers/shared.js';
import type { CveScore } from '../../model/index.js';
import { MAX_WINDOW_MS, nvdFeed, RateLimiter, scoreOf, statePath, trimCve, windows, type NvdFeedOptions } from './index.js';

const sample = sharedPath('vulndata/nvd');
const API_PATH = '/rest/json/cves/2.0';
const DAY = 86_400_000;

async function collect(it: AsyncIterable<CveScore>): Promise<CveScore[]> {
  const out: CveScore[] = [];
  for await (const s of it) out.push(s);
  return out;
}

function metric(source: string, type: 'Primary' | 'Secondary', vector: string, baseScore: number) {
  const version = /^CVSS:(\d\.\d)\//.exec(vector)?.[1] ?? '2.0';
  return { source, type, cvssData: { version, vectorString: vector, baseScore } };
}

const V31_CRIT = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H'; // 9.8
const V31_HIGH = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N'; // 7.5
const V31_LOW = 'CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N'; // 1.6
const V2_HIGH = 'AV:N/AC:L/Au:N/C:C/I:C/A:C'; // 10.0

function score(cve: unknown, warnings: string[] = []): CveScore | undefined {
  const t = trimCve(cve, (m) => warnings.push(m));
  return t && !('rejected' in t) ? scoreOf(t) : undefined;
}

describe('choosing the score of a CVE', () => {
  const base = { id: 'CVE-2024-0001', lastModified: '2024-01-01T00:00:00.000', vulnStatus: 'Analyzed' };

  it("takes NVD's Primary score over a CNA's Secondary one, whatever their order", () => {
    const s = score({ ...base, metrics: { cvssMetricV31: [metric('cna@example.org', 'Secondary', V31_CRIT, 9.8), metric('nvd@nist.gov', 'Primary', V31_HIGH, 7.5)] } });
    expect(s).toEqual({ id: base.id, cvss: { vector: V31_HIGH, score: 7.5, version: '3.1', source: 'nvd@nist.gov' }, severity: 'high', feed: 'nvd' });
  });

  it('takes the newest CVSS version of the same source; v2 only when nothing else scores it, and v2 has no critical', () => {
    expect(score({ ...base, metrics: { cvssMetricV31: [metric('nvd@nist.gov', 'Primary', V31_LOW, 1.6)], cvssMetricV2: [metric('nvd@nist.gov', 'Primary', V2_HIGH, 10)] } })?.severity).toBe('low');
    expect(score({ ...base, metrics: { cvssMetricV2: [metric('nvd@nist.gov', 'Primary', V2_HIGH, 10)] } })).toMatchObject({ severity: 'high', cvss: { version: '2.0', score: 10 } });
  });

  it("falls back to a CNA's Secondary score when NVD has none", () => {
    expect(score({ ...base, metrics: { cvssMetricV31: [metric('cna@example.org', 'Secondary', V31_CRIT, 9.8)] } })).toMatchObject({ severity: 'critical', cvss: { source: 'cna@example.org' } });
  });

  it('gives nothing for a CVE without CVSS (awaiting analysis, SSVC only), and marks a rejected one', () => {
    expect(score({ ...base, vulnStatus: 'Awaiting Analysis', metrics: {} })).toBeUndefined();
    expect(score({ ...base, metrics: { ssvcV203: [{ source: 'x', ssvcData: {} }] } })).toBeUndefined();
    expect(trimCve({ ...base, vulnStatus: 'Rejected' }, () => undefined)).toEqual({ id: base.id, rejected: true });
  });

  it('warns about a malformed record, an unparseable vector and a published score that does not match its vector', () => {
    const warnings: string[] = [];
    expect(score({ id: 'CVE-2024-0001' }, warnings)).toBeUndefined();
    expect(score({ ...base, metrics: { cvssMetricV31: [metric('nvd@nist.gov', 'Primary', 'CVSS:3.1/AV:Q', 5)] } }, warnings)).toBeUndefined();
    expect(score({ ...base, metrics: { cvssMetricV31: [metric('nvd@nist.gov', 'Primary', V31_HIGH, 9.9)] } }, warnings)?.cvss.score).toBe(9.9);
    expect(warnings).toEqual([
      'record CVE-2024-0001 skipped: lastModified: Required',
      'CVE-2024-0001: CVSS vector "CVSS:3.1/AV:Q" from nvd@nist.gov does not parse: skipped',
      `CVE-2024-0001: nvd@nist.gov gives 9.9 for ${V31_HIGH}, which scores 7.5: the published score is kept`,
    ]);
  });
});

describe('incremental windows', () => {
  it('cuts 300 days into contiguous windows NVD accepts (at most 120 days each)', () => {
    const from = new Date('2026-01-01T00:00:00.000Z');
    const to = new Date(from.getTime() + 300 * DAY);
    const w = windows(from, to);
    expect(w.length).toBe(3);
    expect(w[0]![0]).toEqual(from);
    expect(w.at(-1)![1]).toEqual(to);
    for (let i = 0; i < w.length; i++) {
      expect(w[i]![1].getTime() - w[i]![0].getTime()).toBeLessThanOrEqual(120 * DAY);
      if (i > 0) expect(w[i]![0]).toEqual(w[i - 1]![1]);
    }
    expect(MAX_WINDOW_MS).toBeLessThanOrEqual(120 * DAY);
    expect(windows(to, from)).toEqual([]);
  });
});

describe('rate limiter', () => {
  it('lets at most max requests start in any window', async () => {
    const limiter = new RateLimiter(2, 300);
    const starts: number[] = [];
    for (let i = 0; i < 5; i++) {
      await limiter.take(undefined, 'x');
      starts.push(Date.now());
    }
    for (let i = 2; i < starts.length; i++) expect(starts[i]! - starts[i - 2]!).toBeGreaterThanOrEqual(299);
  });
});

describe.skipIf(!sample)('local copy (../shared/vulndata/nvd)', () => {
  it('reads the 25-CVE sample: musl CVE-2019-14697 is 9.8 critical from NVD', async () => {
    const scores = await collect(nvdFeed().fetch({ dir: sample!, cacheDir: tmpdir() }));
    expect(scores.length).toBe(25);
    expect(scores.find((s) => s.id === 'CVE-2019-14697')).toEqual({
      id: 'CVE-2019-14697',
      cvss: { vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: 9.8, version: '3.1', source: 'nvd@nist.gov' },
      severity: 'critical',
      feed: 'nvd',
    });
    // Only v3.0 and v2 for glibc's CVE-2015-7547: the v3.0 score.
    expect(scores.find((s) => s.id === 'CVE-2015-7547')).toMatchObject({ cvss: { version: '3.0', score: 8.1 }, severity: 'high' });
    // Every score is NVD's own and matches our calculation of its vector (no warning).
    expect(scores.every((s) => s.cvss.source === 'nvd@nist.gov')).toBe(true);
  });
});

describe('bad local copies', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'shipshape-nvd-bad-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const page = (vulns: unknown[]) => JSON.stringify({ resultsPerPage: vulns.length, startIndex: 0, totalResults: vulns.length, format: 'NVD_CVE', version: '2.0', timestamp: '2026-01-01T00:00:00.000', vulnerabilities: vulns });

  const cases: Array<[string, Buffer | string, RegExp]> = [
    ['truncated gzip', gzipSync(page([])).subarray(0, 20), /nvd-0001\.json\.gz: truncated or corrupt gzip/],
    ['not JSON', '{"resultsPerPage": 1,', /nvd-0001\.json\.gz: not JSON/],
    ['another format', JSON.stringify({ format: 'OSV' }), /not an NVD CVE API 2\.0 response: resultsPerPage: Required/],
    ['vulnerabilities not a list', page([]).replace('"vulnerabilities":[]', '"vulnerabilities":{}'), /vulnerabilities: Expected array/],
  ];
  for (const [name, content, message] of cases) {
    it(`refuses ${name} with one line (bad-feed)`, async () => {
      const d = path.join(dir, name.replace(/\W+/g, '-'));
      await rm(d, { recursive: true, force: true });
      await mkdir(d);
      await writeFile(path.join(d, 'nvd-0001.json.gz'), content);
      const err = await collect(nvdFeed().fetch({ dir: d, cacheDir: dir })).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'bad-feed', message: expect.stringMatching(message) });
      expect((err as Error).message).not.toContain('\n');
    });
  }

  it('refuses a directory without pages', async () => {
    await expect(collect(nvdFeed().fetch({ dir, cacheDir: dir }))).rejects.toMatchObject({ code: 'bad-feed', message: expect.stringContaining('holds no NVD API response pages') });
  });
});

describe.skipIf(!sample)('download from the API', () => {
  let nvd: FakeNvd;
  let cacheDir = '';
  const T0 = new Date('2026-11-01T00:00:00.000Z');

  beforeAll(async () => {
    nvd = await startFakeNvd(sampleRecords(path.join(sample!, 'nvd-0001.json.gz')), API_PATH);
  });
  afterAll(() => nvd.close());
  afterEach(async () => {
    await rm(cacheDir, { recursive: true, force: true });
  });

  const feed = (o: Partial<NvdFeedOptions> = {}) =>
    nvdFeed({ apiUrl: `${nvd.url}${API_PATH}`, resultsPerPage: 10, rateLimit: { max: 2, windowMs: 400 }, retryDelayMs: 10, now: () => T0, ...o });

  it('pages through every CVE with startIndex/resultsPerPage, sends the key, keeps the rate limit, then fetches only changes in ≤120-day windows', async () => {
    cacheDir = await mkdtemp(path.join(tmpdir(), 'shipshape-nvd-dl-'));
    nvd.log.length = 0;
    const first = await collect(feed({ apiKey: 'k-123' }).fetch({ cacheDir }));
    expect(first.length).toBe(25);
    expect(nvd.log.map((r) => [r.params.startIndex, r.params.resultsPerPage, r.params.lastModStartDate])).toEqual([
      ['0', '10', undefined],
      ['10', '10', undefined],
      ['20', '10', undefined],
    ]);
    expect(nvd.log.every((r) => r.apiKey === 'k-123')).toBe(true);
    // 2 requests per 400 ms: the third started a window after the first.
    expect(nvd.log[2]!.at - nvd.log[0]!.at).toBeGreaterThanOrEqual(350);
    const state = JSON.parse(await readFile(statePath(cacheDir), 'utf8')) as { lastModEnd: string; cves: unknown[] };
    expect(state.lastModEnd).toBe(T0.toISOString());
    expect(state.cves.length).toBe(25);

    // 300 days later: musl's CVE re-scored, zlib's rejected; nothing else changed.
    const musl = nvd.records.find((r) => r.id === 'CVE-2019-14697')!;
    const zlib = nvd.records.find((r) => r.id === 'CVE-2022-37434')!;
    const saved = [{ ...musl }, { ...zlib }];
    const later = new Date(T0.getTime() + 300 * DAY);
    Object.assign(musl, { lastModified: new Date(T0.getTime() + 200 * DAY).toISOString().slice(0, -1), metrics: { cvssMetricV31: [metric('nvd@nist.gov', 'Primary', V31_LOW, 1.6)] } });
    Object.assign(zlib, { lastModified: new Date(T0.getTime() + 10 * DAY).toISOString().slice(0, -1), vulnStatus: 'Rejected', metrics: {} });
    try {
      nvd.log.length = 0;
      const second = await collect(feed({ now: () => later }).fetch({ cacheDir }));
      const spans = nvd.log.map((r) => [Date.parse(r.params.lastModStartDate!), Date.parse(r.params.lastModEndDate!)] as const);
      expect(nvd.log.every((r) => r.status === 200)).toBe(true);
      expect(spans.length).toBe(3);
      // From the last run's start, less an hour of overlap for clock skew.
      expect(spans[0]![0]).toBe(T0.getTime() - 3600_000);
      expect(spans.at(-1)![1]).toBe(later.getTime());
      for (const [a, b] of spans) expect(b - a).toBeLessThanOrEqual(120 * DAY);
      expect(nvd.log.every((r) => r.apiKey === undefined)).toBe(true);
      expect(second.length).toBe(24);
      expect(second.find((s) => s.id === 'CVE-2019-14697')).toMatchObject({ severity: 'low', cvss: { score: 1.6 } });
      expect(second.find((s) => s.id === 'CVE-2022-37434')).toBeUndefined();
      expect(second.filter((s) => s.id !== 'CVE-2019-14697')).toEqual(first.filter((s) => s.id !== 'CVE-2019-14697' && s.id !== 'CVE-2022-37434'));
    } finally {
      Object.assign(musl, saved[0]);
      Object.assign(zlib, saved[1]);
      if (!('vulnStatus' in saved[1]!)) delete (zlib as Partial<NvdRecord>).vulnStatus;
    }
  });

  it('sends no key to a mirror, and reads the API through it as BASE/<host>/<path>', async () => {
    cacheDir = await mkdtemp(path.join(tmpdir(), 'shipshape-nvd-dl-'));
    nvd.log.length = 0;
    const scores = await collect(nvdFeed({ apiKey: 'k-123', now: () => T0 }).fetch({ cacheDir, mirror: nvd.url }));
    expect(scores.length).toBe(25);
    expect(nvd.log.map((r) => [r.path, r.apiKey, r.params.resultsPerPage])).toEqual([['/services.nvd.nist.gov/rest/json/cves/2.0', undefined, '2000']]);
  });

  it('waits out a 403 (NVD: rate limit exceeded) and goes on', async () => {
    cacheDir = await mkdtemp(path.join(tmpdir(), 'shipshape-nvd-dl-'));
    nvd.log.length = 0;
    nvd.failNext(403);
    const scores = await collect(feed().fetch({ cacheDir }));
    expect(scores.length).toBe(25);
    expect(nvd.log.map((r) => r.status)).toEqual([403, 200, 200, 200]);
    // The retry waited a whole rate-limit window.
    expect(nvd.log[1]!.at - nvd.log[0]!.at).toBeGreaterThanOrEqual(350);
  });

  it('fails in one line, without looping, on an empty page before the end, and keeps no state', async () => {
    cacheDir = await mkdtemp(path.join(tmpdir(), 'shipshape-nvd-dl-'));
    nvd.breakPaging(true);
    try {
      const err = await collect(feed().fetch({ cacheDir })).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'bad-feed', message: expect.stringMatching(/empty page at 0 of 25 results$/) });
    } finally {
      nvd.breakPaging(false);
    }
    await expect(readFile(statePath(cacheDir))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('gives up after the retries with one line naming the last answer', async () => {
    cacheDir = await mkdtemp(path.join(tmpdir(), 'shipshape-nvd-dl-'));
    nvd.failNext(503, 3);
    const err = await collect(feed({ retries: 2 }).fetch({ cacheDir })).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'network', message: expect.stringMatching(/HTTP 503 after 3 attempts$/) });
  });

  it('starts over with a full download when the kept state is corrupt, and says so', async () => {
    cacheDir = await mkdtemp(path.join(tmpdir(), 'shipshape-nvd-dl-'));
    await mkdir(path.dirname(statePath(cacheDir)), { recursive: true });
    await writeFile(statePath(cacheDir), '{"format":"shipshape-nvd-state",');
    const warnings: string[] = [];
    nvd.log.length = 0;
    expect((await collect(feed().fetch({ cacheDir, onWarning: (m) => warnings.push(m) }))).length).toBe(25);
    expect(nvd.log.every((r) => r.params.lastModStartDate === undefined)).toBe(true);
    expect(warnings).toEqual([expect.stringMatching(/^nvd: .*state\.json is unreadable .*: downloading every CVE again$/)]);
  });
});
