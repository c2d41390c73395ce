/** The scan's database pool: one open handle per unchanged file, a rebuilt file opened afresh, openDb's errors kept. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { buildDb } from '../db/index.js';
import type { Feed } from '../feeds/types.js';
import { acquireDb, closeIdleDbs, openDbCount } from './db-pool.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-dbpool-'));
afterEach(() => closeIdleDbs());
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function feed(version: string): Feed {
  return {
    id: 'fake',
    dirName: 'fake',
    async *fetch() {
      yield { id: 'CVE-2020-0001', aliases: [], feed: 'fake', namespace: 'npm', package: 'left-pad', scheme: 'semver', severity: 'high', ranges: [{ fixed: version }] };
    },
    describe: () => ({ source: 'https://fake.example/' }),
  };
}

const build = (file: string, version: string) => buildDb({ path: file, cacheDir: tmp, feeds: [feed(version)] });

describe('acquireDb', () => {
  it('hands the same open database to every scan while the file is unchanged', async () => {
    const file = path.join(tmp, 'a.db');
    await build(file, '1.0.0');
    const a = acquireDb(file);
    const b = acquireDb(file);
    expect(b.db).toBe(a.db);
    a.release();
    b.release();
    const c = acquireDb(file);
    expect(c.db).toBe(a.db);
    c.release();
    expect(c.db.lookup('npm', 'left-pad')[0]!.ranges[0]!.fixed).toBe('1.0.0');
  });

  it('opens a rebuilt file afresh and closes the old one once its last scan is done', async () => {
    const file = path.join(tmp, 'b.db');
    await build(file, '1.0.0');
    const old = acquireDb(file);
    await build(file, '2.0.0');
    const fresh = acquireDb(file);
    expect(fresh.db).not.toBe(old.db);
    expect(fresh.db.lookup('npm', 'left-pad')[0]!.ranges[0]!.fixed).toBe('2.0.0');
    // The scan that holds the old one can still read it until it releases it.
    expect(old.db.status().digest).not.toBe(fresh.db.status().digest);
    old.release();
    expect(() => old.db.status()).toThrow();
    fresh.release();
  });

  it('keeps a bounded number of files open', async () => {
    for (const n of ['c1', 'c2', 'c3', 'c4']) {
      const file = path.join(tmp, `${n}.db`);
      await build(file, '1.0.0');
      acquireDb(file).release();
    }
    expect(openDbCount()).toBeLessThanOrEqual(2);
  });

  it('fails as openDb does: a missing file, a file that is not a database', () => {
    expect(() => acquireDb(path.join(tmp, 'missing.db'))).toThrow(/no database at/);
    const junk = path.join(tmp, 'junk.db');
    writeFileSync(junk, 'not sqlite at all');
    expect(() => acquireDb(junk)).toThrow(/is not a shipshape database/);
    expect(openDbCount()).toBe(0);
  });
});
