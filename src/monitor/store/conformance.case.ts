/** The one conformance suite every monitor store runs (SQLite and PostgreSQL): same calls, same answers. */
import { expect, it } from 'vitest';
import { findingsSignature } from '../judge.js';
import type { Judgement, MonitoredFinding } from '../types.js';
import { LeaseLost, zeroCounts, type MonitorStore } from './index.js';

const D1 = `sha256:${'1'.repeat(64)}`;
const D2 = `sha256:${'2'.repeat(64)}`;

function finding(id: string, pkg: string, severity: MonitoredFinding['severity'] = 'high'): MonitoredFinding {
  return { fkey: `${id} apk/${pkg}@1.0 /lib/apk/db/installed`, id, aliases: [], severity, package: pkg, version: '1.0', type: 'apk', fixedIn: '1.1', path: '/lib/apk/db/installed', suppressed: null };
}

function judgement(findings: MonitoredFinding[], verdict: 'pass' | 'fail' = 'fail'): Judgement {
  const counts = zeroCounts();
  for (const f of findings) if (!f.suppressed) counts[f.severity]++;
  return { findings, verdict, reasons: [], counts, db: { digest: 'sha256:db1', builtAt: '2026-01-01T00:00:00Z' }, signature: findingsSignature(findings) };
}

/** Registers the suite; `open` gives a fresh, migrated, empty store each time. */
export function storeConformance(open: () => Promise<MonitorStore>): void {
  it('migrations are versioned and idempotent', async () => {
    const s = await open();
    try {
      expect(await s.schemaVersion()).toBe(4);
      expect(await s.migrate()).toBe(4);
      expect(await s.schemaVersion()).toBe(4);
      expect((await s.sql.all<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).map((r) => Number(r.version))).toEqual([1, 2, 3, 4]);
      await s.sql.run('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)', [99, 'from the future', 0]);
      await expect(s.migrate()).rejects.toThrow(/schema version 99, newer than this shipshape knows/);
    } finally {
      await s.close();
    }
  });

  it('records references; a digest becomes a pending image once; errors are kept on the reference', async () => {
    const s = await open();
    try {
      const ref = { ref: 'r:5000/apps/a:v1', registry: 'r:5000', repository: 'apps/a', tag: 'v1', digest: D1, source: 'registry' as const };
      expect(await s.recordRefs([ref])).toEqual([D1]);
      expect(await s.recordRefs([ref, { ...ref, ref: 'r:5000/apps/a:latest', tag: 'latest' }])).toEqual([]);
      await s.refError({ ref: 'r:5000/apps/b:v1', registry: 'r:5000', repository: 'apps/b', source: 'registry' }, 'registry r:5000 is unreachable');
      const refs = await s.refs();
      expect(refs.map((r) => r.ref)).toEqual(['r:5000/apps/a:latest', 'r:5000/apps/a:v1', 'r:5000/apps/b:v1']);
      expect(refs.find((r) => r.ref.endsWith('b:v1'))!.error).toMatch(/unreachable/);
      expect(await s.unscanned()).toEqual([{ digest: D1, ref: 'r:5000/apps/a:v1' }]);
      const imgs = await s.images();
      expect(imgs).toHaveLength(1);
      expect(imgs[0]!.refs).toEqual(['r:5000/apps/a:latest', 'r:5000/apps/a:v1']);
    } finally {
      await s.close();
    }
  });

  it('stores an SBOM once; findings replace, search by id and package is parameterised', async () => {
    const s = await open();
    try {
      await s.recordRefs([{ ref: 'r/a:1', registry: 'r', repository: 'a', tag: '1', digest: D1, source: 'registry' }]);
      const sbom = { schema: 1 as const, os: { id: 'alpine', version: '3.10.9' }, packages: [] };
      expect(await s.sql.tx((q) => s.putSbom(q, D1, sbom, { layers: ['sha256:l1'] }))).toBe(true);
      expect(await s.sql.tx((q) => s.putSbom(q, D1, { ...sbom, packages: [{ name: 'x', version: '1', type: 'apk', locations: [] }] }, { layers: [] }))).toBe(false);
      expect(JSON.parse((await s.sboms([D1]))[0]!.sbom!).packages).toEqual([]);
      expect(await s.staleMatches('sha256:db1')).toEqual([D1]);
      await s.sql.tx((q) => s.putJudgement(q, D1, judgement([finding('CVE-2020-1', 'musl'), finding('GHSA-abcd-efgh-ijkl', 'zlib', 'critical')]), true));
      expect(await s.staleMatches('sha256:db1')).toEqual([]);
      expect((await s.findingsById('cve-2020-1')).map((h) => [h.ref, h.package, h.fixedIn])).toEqual([['r/a:1', 'musl', '1.1']]);
      expect(await s.findingsById('GHSA-abcd-efgh-ijkl')).toHaveLength(1);
      expect(await s.findingsByPackage('zlib')).toHaveLength(1);
      expect(await s.findingsById("' OR 1=1 --")).toEqual([]);
      expect(await s.findingsByPackage("x'; DROP TABLE findings; --")).toEqual([]);
      await s.sql.tx((q) => s.putJudgement(q, D1, judgement([finding('CVE-2020-1', 'musl')]), true));
      expect((await s.findingsOf([D1])).get(D1)!.map((f) => f.id)).toEqual(['CVE-2020-1']);
      expect((await s.sboms([D1]))[0]!.findings_sig).toBe(findingsSignature([finding('CVE-2020-1', 'musl')]));
      // Unchanged findings: the new database and verdict recorded in one statement, findings untouched.
      const j2 = { ...judgement([finding('CVE-2020-1', 'musl')], 'pass'), db: { digest: 'sha256:db2', builtAt: '' } };
      await s.sql.tx((q) => s.putUnchanged(q, [{ digest: D1, j: j2 }]));
      expect(await s.staleMatches('sha256:db2')).toEqual([]);
      expect((await s.image(D1))!.verdict).toBe('pass');
      expect((await s.findingsOf([D1])).get(D1)).toHaveLength(1);
      await s.sql.tx((q) => s.putJudgement(q, D1, judgement([finding('CVE-2020-1', 'musl')]), false));
      const img = await s.image(D1);
      expect(img!.verdict).toBe('fail');
      expect(img!.counts!.high).toBe(1);
      expect(img!.layers).toEqual(['sha256:l1']);
    } finally {
      await s.close();
    }
  });

  it('enqueue is idempotent by key; two workers never hold one job; a lost lease commits nothing', async () => {
    const s = await open();
    try {
      await s.recordRefs([{ ref: 'r/a:1', registry: 'r', repository: 'a', tag: '1', digest: D1, source: 'registry' }]);
      const round = await s.startRound('test', 'sha256:db1');
      const spec = { key: 'scan:x', kind: 'scan' as const, payload: { digest: D1 }, roundId: round, maxAttempts: 2 };
      expect(await s.enqueue([spec, { ...spec, key: 'scan:y' }])).toBe(2);
      expect(await s.enqueue([spec])).toBe(0);
      const t0 = Date.now();
      const [a, b] = await Promise.all([s.claim('w1', 1000, t0), s.claim('w2', 1000, t0)]);
      expect(a && b && a.id !== b.id).toBe(true);
      expect(await s.claim('w3', 1000, t0)).toBeNull();
      // w1 stops renewing (killed): after its lease ends w3 takes the job over.
      const again = await s.claim('w3', 1000, t0 + 1500);
      expect(again?.id).toBe(a!.id);
      expect(again!.attempts).toBe(2);
      await expect(s.complete(a!, 'w1', async (q) => s.addEvents(q, round, [{ digest: D1, kind: 'new', fkey: 'k' }]))).rejects.toBeInstanceOf(LeaseLost);
      expect(await s.events({ roundId: round })).toEqual([]);
      await s.complete(again!, 'w3', async (q) => s.addEvents(q, round, [{ digest: D1, kind: 'new', fkey: 'k' }, { digest: D1, kind: 'new', fkey: 'k' }]));
      await s.sql.tx((q) => s.addEvents(q, round, [{ digest: D1, kind: 'new', fkey: 'k' }]));
      expect(await s.events({ roundId: round })).toHaveLength(1);
      expect((await s.job('scan:x'))!.state).toBe('done');
      expect(await s.openJobs(round)).toBe(1);
    } finally {
      await s.close();
    }
  });

  it('a failing job is retried after its backoff, then failed for good', async () => {
    const s = await open();
    try {
      const round = await s.startRound('test', null);
      await s.enqueue([{ key: 'j', kind: 'scan', payload: {}, roundId: round, maxAttempts: 2 }]);
      const t0 = Date.now();
      const j1 = (await s.claim('w', 60_000, t0))!;
      expect(await s.fail(j1, 'w', 'registry unreachable', 5000, t0)).toBe('retry');
      expect(await s.claim('w', 60_000, t0 + 1000)).toBeNull();
      const j2 = (await s.claim('w', 60_000, t0 + 6000))!;
      expect(j2.attempts).toBe(2);
      expect(await s.fail(j2, 'w', 'registry unreachable', 5000, t0 + 6000)).toBe('failed');
      expect(await s.claim('w', 60_000, t0 + 60_000)).toBeNull();
      const j = (await s.job('j'))!;
      expect([j.state, j.error]).toEqual(['failed', 'registry unreachable']);
      expect(await s.openJobs(round)).toBe(0);
      expect(await s.jobCounts()).toMatchObject({ failed: 1 });
    } finally {
      await s.close();
    }
  });

  it('a round is closed once, with fleet totals; the delivery log keeps attempts', async () => {
    const s = await open();
    try {
      await s.recordRefs([{ ref: 'r/a:1', registry: 'r', repository: 'a', digest: D2, source: 'kubectl', running: ['prod/web-1'] }]);
      await s.sql.tx((q) => s.putSbom(q, D2, { schema: 1, os: null, packages: [] }, { layers: [] }));
      await s.sql.tx((q) => s.putJudgement(q, D2, judgement([finding('CVE-1', 'a', 'critical'), { ...finding('CVE-2', 'b', 'low'), suppressed: { kind: 'ignore', reason: 'accepted' } }]), true));
      const id = await s.startRound('test', 'sha256:db1');
      const [one, two] = await Promise.all([s.finishRound(id, { a: 1 }), s.finishRound(id, { a: 2 })]);
      expect([one, two].filter(Boolean)).toHaveLength(1);
      const r = (await s.rounds())[0]!;
      expect(r.totals!.critical).toBe(1);
      expect(r.totals!.low).toBe(0);
      await s.logDelivery({ roundId: id, target: 'http://x/hook', attempt: 1, ok: false, status: 500, error: 'HTTP 500', at: 1 });
      await s.logDelivery({ roundId: id, target: 'http://x/hook', attempt: 2, ok: true, status: 200, error: null, at: 2 });
      expect((await s.deliveries()).map((d) => [d.attempt, d.ok])).toEqual([[2, true], [1, false]]);
      expect((await s.findingsById('CVE-1'))[0]!.running).toEqual(['prod/web-1']);
      expect(await s.imageCount()).toMatchObject({ total: 1, byVerdict: { fail: 1 } });
    } finally {
      await s.close();
    }
  });
}
