/** Tests of building and opening the advisory database with feeds made in code: atomicity, digest, errors, lookups. */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShipshapeError } from '../errors.js';
import type { Feed, FeedFetchOptions, ScoreFeed } from '../feeds/types.js';
import type { Advisory, CveScore } from '../model/index.js';
import { buildDb, defaultDbPath, openDb, SCHEMA_VERSION } from './index.js';

let tmp: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'shipshape-db-'));
});
afterAll(() => rm(tmp, { recursive: true, force: true }));

function adv(namespace: string, pkg: string, id: string, extra: Partial<Advisory> = {}): Advisory {
  return {
    id,
    aliases: [],
    feed: 'fake',
    namespace,
    package: pkg,
    scheme: namespace.startsWith('alpine') ? 'apk' : 'deb',
    severity: 'unknown',
    ranges: [{ introduced: '0', fixed: '1.0-r1' }],
    ...extra,
  };
}

/** A feed over fixed records; `fail` throws after `failAfter` records, as a corrupt file would. */
function fakeFeed(
  id: string,
  records: Advisory[],
  opts: { dirName?: string; covers?: string[]; fail?: Error; failAfter?: number; gate?: Promise<void> } = {},
): Feed {
  return {
    id,
    dirName: opts.dirName ?? id,
    async *fetch(_o: FeedFetchOptions) {
      let n = 0;
      for (const r of records) {
        if (opts.fail && n === (opts.failAfter ?? 0)) throw opts.fail;
        if (opts.gate && n === 1) await opts.gate;
        yield { ...r, feed: id };
        n++;
      }
      if (opts.fail) throw opts.fail;
    },
    describe: (o) => ({ source: o.dir ?? `https://${id}.example/`, ...(opts.covers ? { namespaces: opts.covers } : {}) }),
  };
}

const BASE: Advisory[] = [
  adv('alpine:3.10', 'musl', 'CVE-2019-14697', { ranges: [{ introduced: '0', fixed: '1.1.22-r3' }], url: 'https://x/CVE-2019-14697' }),
  adv('alpine:3.10', 'openssl', 'CVE-2019-1547', { ranges: [{ introduced: '0', fixed: '1.1.1d-r0' }] }),
  adv('debian:11', 'openssl', 'CVE-2023-0286', {
    aliases: ['DSA-5343-1'],
    severity: 'high',
    status: 'unfixed',
    ranges: [{ introduced: '0' }],
    title: 'X.400 type confusion',
    versions: ['1.1.1n-0+deb11u3'],
  }),
];

function tempFiles(dir: string): string[] {
  return readdirSync(dir).filter((n) => n.includes('.tmp-'));
}

describe('buildDb and openDb', () => {
  it('builds a database that answers lookups, status and namespaces', async () => {
    const file = path.join(tmp, 'basic', 'a.db');
    const status = await buildDb({
      path: file,
      cacheDir: tmp,
      feeds: [fakeFeed('fake', BASE, { covers: ['alpine:3.10', 'alpine:3.11'] })],
    });
    expect(status.schemaVersion).toBe(SCHEMA_VERSION);
    expect(status.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(status.feeds).toEqual([
      {
        id: 'fake',
        source: 'https://fake.example/',
        fetchedAt: expect.any(String),
        records: 3,
        namespaces: ['alpine:3.10', 'alpine:3.11', 'debian:11'],
      },
    ]);

    const db = openDb(file);
    try {
      expect(db.status()).toEqual(status);
      expect(db.lookup('alpine:3.10', 'musl')).toEqual([{ ...BASE[0], feed: 'fake' }]);
      expect(db.lookup('debian:11', 'openssl')).toEqual([{ ...BASE[2], feed: 'fake' }]);
      expect(db.lookup('alpine:3.10', 'nothing')).toEqual([]);
      expect(db.lookup('alpine:3.99', 'musl')).toEqual([]);
      // a covered release without advisories still counts: "no data" differs from "clean"
      expect(db.namespaces()).toEqual(new Set(['alpine:3.10', 'alpine:3.11', 'debian:11']));
    } finally {
      db.close();
    }
    expect(tempFiles(path.dirname(file))).toEqual([]);
  });

  it('reports the same status from the build and from the file', async () => {
    const file = path.join(tmp, 'order.db');
    const built = await buildDb({ path: file, cacheDir: tmp, feeds: [fakeFeed('zeta', BASE.slice(0, 1)), fakeFeed('alpha', BASE.slice(1))] });
    expect(built.feeds.map((f) => [f.id, f.records])).toEqual([
      ['alpha', 2],
      ['zeta', 1],
    ]);
    const db = openDb(file);
    expect(db.status()).toEqual(built);
    db.close();
  });

  it('gives the same digest for the same data in any order, another for other data', async () => {
    const a = await buildDb({ path: path.join(tmp, 'd1.db'), cacheDir: tmp, feeds: [fakeFeed('fake', BASE)] });
    const b = await buildDb({ path: path.join(tmp, 'd2.db'), cacheDir: tmp, feeds: [fakeFeed('fake', [...BASE].reverse())] });
    expect(b.digest).toBe(a.digest);
    const c = await buildDb({
      path: path.join(tmp, 'd3.db'),
      cacheDir: tmp,
      feeds: [fakeFeed('fake', [...BASE.slice(1), { ...BASE[0]!, ranges: [{ introduced: '0', fixed: '1.1.22-r4' }] }])],
    });
    expect(c.digest).not.toBe(a.digest);
  });

  it('unites a feed’s repeated records and drops another feed’s copies with a warning', async () => {
    const warnings: string[] = [];
    const file = path.join(tmp, 'dups.db');
    await buildDb({
      path: file,
      cacheDir: tmp,
      onWarning: (m) => warnings.push(m),
      feeds: [
        fakeFeed('one', [
          BASE[0]!,
          { ...BASE[0]!, aliases: ['XSA-1'], ranges: [{ introduced: '0', fixed: '1.1.22-r9' }] },
          adv('', 'x', 'CVE-1'),
        ]),
        fakeFeed('two', [BASE[0]!, BASE[1]!]),
      ],
    });
    const db = openDb(file);
    try {
      expect(db.lookup('alpine:3.10', 'musl')).toEqual([
        {
          ...BASE[0],
          feed: 'one',
          aliases: ['XSA-1'],
          ranges: [
            { introduced: '0', fixed: '1.1.22-r3' },
            { introduced: '0', fixed: '1.1.22-r9' },
          ],
        },
      ]);
      expect(db.lookup('alpine:3.10', 'openssl')[0]?.feed).toBe('two');
      expect(db.status().feeds.map((f) => f.id)).toEqual(['one', 'two']);
      expect(db.status().feeds.map((f) => [f.id, f.records])).toEqual([
        ['one', 1],
        ['two', 1],
      ]);
    } finally {
      db.close();
    }
    expect(warnings).toEqual([
      'one: record CVE-1 skipped: missing id, namespace, package or scheme',
      'two: 1 advisories already given by an earlier feed were dropped',
    ]);
  });

  it('leaves the previous database untouched and no temp file when a feed fails', async () => {
    const dir = path.join(tmp, 'fail');
    const file = path.join(dir, 'a.db');
    const before = await buildDb({ path: file, cacheDir: tmp, feeds: [fakeFeed('fake', BASE)] });
    const bytes = readFileSync(file);
    const bad = new ShipshapeError('bad-feed', 'main.yaml: not valid YAML');
    await expect(
      buildDb({ path: file, cacheDir: tmp, feeds: [fakeFeed('ok', BASE), fakeFeed('broken', BASE, { fail: bad, failAfter: 2 })] }),
    ).rejects.toBe(bad);
    expect(readFileSync(file).equals(bytes)).toBe(true);
    expect(tempFiles(dir)).toEqual([]);
    const db = openDb(file);
    expect(db.status().digest).toBe(before.digest);
    db.close();

    // a non-shipshape error is wrapped, still one line
    await expect(buildDb({ path: file, cacheDir: tmp, feeds: [fakeFeed('odd', BASE, { fail: new Error('EIO: disk on fire') })] })).rejects.toMatchObject({
      code: 'io',
      message: expect.stringMatching(/^cannot build .*: EIO: disk on fire$/),
    });
    expect(readFileSync(file).equals(bytes)).toBe(true);
    expect(tempFiles(dir)).toEqual([]);
  });

  it('stops on abort without touching the database', async () => {
    const dir = path.join(tmp, 'abort');
    const file = path.join(dir, 'a.db');
    await buildDb({ path: file, cacheDir: tmp, feeds: [fakeFeed('fake', BASE)] });
    const bytes = readFileSync(file);
    const ac = new AbortController();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const p = buildDb({ path: file, cacheDir: tmp, signal: ac.signal, feeds: [fakeFeed('slow', BASE, { gate }), fakeFeed('after', BASE)] });
    ac.abort();
    release();
    await expect(p).rejects.toMatchObject({ code: 'io', message: expect.stringMatching(/interrupted/) });
    expect(readFileSync(file).equals(bytes)).toBe(true);
    expect(tempFiles(dir)).toEqual([]);
  });

  it('removes temp files of killed builds (dead pids) on the next build', async () => {
    const dir = path.join(tmp, 'stale');
    await mkdir(dir, { recursive: true });
    const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(child.stdout);
    expect(deadPid).toBeGreaterThan(0);
    const stale = path.join(dir, `a.db.tmp-${deadPid}`);
    await writeFile(stale, 'half a database');
    // a live process's temp file (our parent's pid stands in) is not ours to remove
    const live = path.join(dir, `a.db.tmp-${process.ppid}`);
    await writeFile(live, 'someone else is building');
    await buildDb({ path: path.join(dir, 'a.db'), cacheDir: tmp, feeds: [fakeFeed('fake', BASE)] });
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(live)).toBe(true);
  });

  it('with --from, skips missing feed folders with a warning and refuses a folder with none', async () => {
    const from = path.join(tmp, 'vulndata');
    await mkdir(path.join(from, 'present'), { recursive: true });
    const warnings: string[] = [];
    const seenDirs: string[] = [];
    const present = fakeFeed('present', BASE);
    const spy: Feed = { ...present, fetch: (o) => (seenDirs.push(o.dir ?? ''), present.fetch(o)) };
    const status = await buildDb({
      path: path.join(tmp, 'from.db'),
      from,
      cacheDir: tmp,
      feeds: [spy, fakeFeed('absent', BASE)],
      onWarning: (m) => warnings.push(m),
    });
    expect(seenDirs).toEqual([path.join(from, 'present')]);
    expect(status.feeds.map((f) => f.id)).toEqual(['present']);
    expect(status.feeds[0]!.source).toBe(path.join(from, 'present'));
    expect(warnings).toEqual([`absent: ${path.join(from, 'absent')} is absent: feed skipped`]);

    await expect(buildDb({ path: path.join(tmp, 'none.db'), from: path.join(tmp, 'stale'), cacheDir: tmp, feeds: [spy] })).rejects.toMatchObject({
      code: 'not-found',
      message: expect.stringMatching(/holds no feed folder \(expected one of: present\)/),
    });
    expect(existsSync(path.join(tmp, 'none.db'))).toBe(false);
  });
});

describe('openDb refuses what is not a shipshape database', () => {
  it('a missing file: not-found', () => {
    expect(() => openDb(path.join(tmp, 'nope.db'))).toThrow(expect.objectContaining({ code: 'not-found', message: expect.stringMatching(/run shipshape db build/) }));
  });

  it.each([
    ['random bytes', Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 251))],
    ['an empty file', Buffer.alloc(0)],
    ['a text file', Buffer.from('SQLite format 3 but not really\n')],
  ])('%s: bad-db', async (name, bytes) => {
    const file = path.join(tmp, `${name.replace(/ /g, '-')}.db`);
    await writeFile(file, bytes);
    expect(() => openDb(file)).toThrow(expect.objectContaining({ code: 'bad-db', message: `${file} is not a shipshape database` }));
  });

  it('a directory: bad-db', () => {
    expect(() => openDb(tmp)).toThrow(expect.objectContaining({ code: 'bad-db' }));
  });

  it('a SQLite file of another schema: bad-db', () => {
    const file = path.join(tmp, 'other.db');
    const d = new Database(file);
    d.exec('CREATE TABLE packages (name TEXT); INSERT INTO packages VALUES (1)');
    d.close();
    expect(() => openDb(file)).toThrow(expect.objectContaining({ code: 'bad-db', message: `${file} is not a shipshape database` }));
  });

  it('our database at another schema version: bad-db naming both versions', async () => {
    const file = path.join(tmp, 'v99.db');
    await buildDb({ path: file, cacheDir: tmp, feeds: [fakeFeed('fake', BASE)] });
    const d = new Database(file);
    d.prepare("UPDATE meta SET value = '99' WHERE key = 'schema_version'").run();
    d.pragma('user_version = 99');
    d.close();
    expect(() => openDb(file)).toThrow(
      expect.objectContaining({ code: 'bad-db', message: `${file}: schema version 99, expected ${SCHEMA_VERSION}: run shipshape db build` }),
    );
  });
});

describe('lookups', () => {
  const NS = 'debian:12';
  let file: string;
  beforeAll(async () => {
    // 60,000 advisories over 6,000 packages: the size of a large distro release.
    const records: Advisory[] = [];
    for (let p = 0; p < 6000; p++) for (let v = 0; v < 10; v++) records.push(adv(NS, `pkg${p}`, `CVE-2024-${p * 10 + v}`, { aliases: [`DSA-${p}-1`] }));
    file = path.join(tmp, 'big.db');
    const t = performance.now();
    await buildDb({ path: file, cacheDir: tmp, feeds: [fakeFeed('big', records)] });
    const ms = performance.now() - t;
    process.stdout.write(`build of 60,000 advisories: ${ms.toFixed(0)} ms (${statSync(file).size} bytes)\n`);
    expect(ms).toBeLessThan(10_000);
  });

  it('answer the same before and after a namespace is loaded whole', () => {
    const a = openDb(file);
    const b = openDb(file);
    try {
      const single = a.lookup(NS, 'pkg42');
      expect(single.map((x) => x.id)).toEqual(Array.from({ length: 10 }, (_, v) => `CVE-2024-${420 + v}`).sort());
      b.preload(NS);
      expect(b.lookup(NS, 'pkg42')).toEqual(single);
      expect(b.lookup(NS, 'absent')).toEqual([]);
      // many lookups (a quarter of the namespace's packages) switch a to the preloaded path, with the same answers
      for (let i = 0; i < 1600; i++) a.lookup(NS, `pkg${i}`);
      expect(a.lookup(NS, 'pkg42')).toEqual(single);
      expect(a.lookup(NS, 'pkg5999')).toEqual(b.lookup(NS, 'pkg5999'));
      expect(() => (a.lookup(NS, 'absent') as Advisory[]).push(single[0]!)).toThrow(TypeError);
      expect(a.lookup(NS, 'absent2')).toEqual([]);
    } finally {
      a.close();
      b.close();
    }
  });

  it('reach well over 100,000 packages per second', () => {
    const rate = (db: ReturnType<typeof openDb>, n: number, names: number): number => {
      let found = 0;
      const t = performance.now();
      for (let i = 0; i < n; i++) found += db.lookup(NS, `pkg${(i * 7) % names}`).length;
      expect(found).toBeGreaterThan(0);
      return n / ((performance.now() - t) / 1000);
    };
    const cold = openDb(file);
    const warm = openDb(file);
    try {
      // cold: one query per package, as for a small image (300 packages) against a big release
      const coldRate = rate(cold, 300, 300);
      warm.preload(NS);
      const warmRate = rate(warm, 200_000, 8000);
      const fmt = (r: number) => Math.round(r).toLocaleString('en');
      process.stdout.write(`lookups: ${fmt(coldRate)} packages/s cold (single queries), ${fmt(warmRate)} packages/s preloaded\n`);
      expect(warmRate).toBeGreaterThan(100_000);
    } finally {
      cold.close();
      warm.close();
    }
  });
});

describe('defaultDbPath', () => {
  it('follows XDG_CACHE_HOME, else ~/.cache', () => {
    expect(defaultDbPath({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/shipshape/db/shipshape.db');
    expect(defaultDbPath({})).toBe(path.join(os.homedir(), '.cache', 'shipshape', 'db', 'shipshape.db'));
  });
});

describe('CVSS scores from a score feed', () => {
  const score = (id: string, s: number, extra: Partial<CveScore> = {}): CveScore => ({
    id,
    cvss: { vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H', score: s, version: '3.1', source: 'nvd@nist.gov' },
    severity: s >= 9 ? 'critical' : 'high',
    feed: 'scores',
    ...extra,
  });
  const scoreFeed = (records: CveScore[]): ScoreFeed => ({
    kind: 'scores',
    id: 'scores',
    dirName: 'scores',
    async *fetch() {
      yield* records;
    },
    describe: () => ({ source: 'https://scores.example/', namespaces: [] }),
  });

  it('stores one score per CVE, answers cvss(id), skips invalid scores with a warning, and counts them in the digest', async () => {
    const warnings: string[] = [];
    const plain = await buildDb({ path: path.join(tmp, 'plain.db'), cacheDir: tmp, feeds: [fakeFeed('fake', BASE)] });
    const file = path.join(tmp, 'scored.db');
    const built = await buildDb({
      path: file,
      cacheDir: tmp,
      feeds: [fakeFeed('fake', BASE), scoreFeed([score('CVE-2019-14697', 9.8), score('CVE-2019-1547', 7.5), score('not-a-cve', 5), score('CVE-2020-0001', 11)])],
      onWarning: (m) => warnings.push(m),
    });
    expect(warnings).toEqual(['scores: score not-a-cve skipped: not a CVE id', 'scores: score CVE-2020-0001 skipped: missing or out-of-range CVSS']);
    expect(built.feeds.find((f) => f.id === 'scores')).toMatchObject({ records: 2, namespaces: [] });
    expect(built.digest).not.toBe(plain.digest);
    // No scores: the digest is the one a database without the cvss table had.
    const again = await buildDb({ path: path.join(tmp, 'empty-scores.db'), cacheDir: tmp, feeds: [fakeFeed('fake', BASE), scoreFeed([])] });
    expect(again.digest).toBe(plain.digest);
    const db = openDb(file);
    try {
      expect(db.cvss('CVE-2019-14697')).toEqual(score('CVE-2019-14697', 9.8));
      expect(db.cvss('CVE-2099-0001')).toBeUndefined();
      // Scores name no namespace: a release is not "covered" by them.
      expect([...db.namespaces()].sort()).toEqual(['alpine:3.10', 'debian:11']);
    } finally {
      db.close();
    }
  });
});
