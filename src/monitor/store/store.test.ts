/** The store conformance suite on SQLite (always) and on a PostgreSQL the test starts (skipped when absent). */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, postgresMissing, startPostgres, type StartedPostgres } from '../../../test/helpers/postgres.js';
import { storeConformance } from './conformance.case.js';
import { defaultStorePath, openStore } from './index.js';

describe('SQLite store', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shipshape-store-'));
  let n = 0;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  storeConformance(() => openStore(path.join(dir, `s${n++}`, 'monitor.db')));

  it('lives under $XDG_DATA_HOME/shipshape by default', () => {
    expect(defaultStorePath({ XDG_DATA_HOME: '/data' })).toBe('/data/shipshape/monitor.db');
    expect(defaultStorePath({ HOME: '/home/u' })).toMatch(/\.local\/share\/shipshape\/monitor\.db$/);
  });

  it('refuses a file that is not a store with one line', async () => {
    const f = path.join(dir, 'not-sqlite');
    (await import('node:fs')).writeFileSync(f, 'hello, this is not a database at all '.repeat(100));
    await expect(openStore(f)).rejects.toThrow(/monitor store.*file is not a database/);
  });
});

describe.skipIf(postgresMissing())('PostgreSQL store', () => {
  let pg: StartedPostgres;
  let n = 0;
  beforeAll(async () => {
    pg = await startPostgres();
  });
  afterAll(async () => {
    await pg?.stop();
  });
  storeConformance(async () => openStore(await createDatabase(pg.url, `conf${n++}`)));

  it('names an unreachable server in one line, password hidden', async () => {
    await expect(openStore('postgres://u:secret@127.0.0.1:1/x')).rejects.toThrow(/^cannot reach PostgreSQL at postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/x/);
  });
});
