/**
 * User-level: `monitor rescan --no-work` queues a round in a PostgreSQL store the test starts;
 * `monitor worker` processes do the jobs. A worker killed with SIGKILL mid-job loses nothing: after
 * its lease the job completes on another worker, and no row is written twice. Then two workers
 * share a re-match round after a database update.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDb } from '../src/db/index.js';
import { getFeed } from '../src/feeds/registry.js';
import { openStore, type MonitorStore } from '../src/monitor/index.js';
import { bin, runCli } from './helpers/cli.js';
import { createDatabase, postgresMissing, startPostgres, type StartedPostgres } from './helpers/postgres.js';
import { pushWithSkopeo, registryToolsMissing, startRegistry, type StartedRegistry } from './helpers/registry.js';
import { sharedPath } from './helpers/shared.js';

const vulndata = sharedPath('vulndata/alpine-secdb');
const images = sharedPath('images/oci');
const skip = !vulndata || !images || registryToolsMissing() || postgresMissing();

function startWorker(args: string[], env: Record<string, string>): ChildProcess & { done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> } {
  const child = spawn(process.execPath, [bin, 'monitor', 'worker', ...args], { env: { ...process.env, CI: 'true', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stderr })));
  process.once('exit', () => child.kill('SIGKILL'));
  return Object.assign(child, { done });
}

/** Waits for the workers (each exits 0) and the rescan that waited for them; its JSON round. */
async function finished(workers: Array<ReturnType<typeof startWorker>>, rescan: ReturnType<typeof runCli>): Promise<{ scans: number; rematches: number; events: Record<string, number> }> {
  for (const w of workers) {
    const r = await w.done;
    expect(r.code, r.stderr).toBe(0);
  }
  const r = await rescan;
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe.skipIf(skip)('monitor workers on PostgreSQL', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-workers-'));
  const feeds = path.join(tmp, 'vulndata');
  const dbPath = path.join(tmp, 'shipshape.db');
  const configFile = path.join(tmp, 'monitor.yaml');
  const env = { XDG_CACHE_HOME: path.join(tmp, 'cache'), XDG_DATA_HOME: path.join(tmp, 'data') };
  let pg: StartedPostgres;
  let reg: StartedRegistry;
  let url = '';
  let store: MonitorStore;

  beforeAll(async () => {
    cpSync(vulndata!, path.join(feeds, 'alpine-secdb'), { recursive: true });
    await buildDb({ path: dbPath, from: feeds, feeds: [getFeed('alpine-secdb')!], cacheDir: path.join(tmp, 'feed-cache') });
    [pg, reg] = await Promise.all([startPostgres(), startRegistry()]);
    url = await createDatabase(pg.url, 'workers');
    for (const [img, dest] of [
      ['debian-bookworm', 'apps/deb:12'],
      ['alpine-3.7', 'apps/old:3.7'],
      ['alpine-3.10', 'apps/alpine:3.10'],
      ['go-static', 'apps/go:1'],
    ] as const) {
      await pushWithSkopeo(`oci:${path.join(images!, img)}:latest`, `docker://${reg.host}/${dest}`, reg);
    }
    writeFileSync(configFile, `advisoryDb: ${dbPath}\nstore: ${url}\nwatch:\n  - registry: ${reg.host}\n    insecure: true\n    repositories: ["apps/*"]\nfailOn: unknown\nimageChecks: []\n`);
    store = await openStore(url);
  });

  afterAll(async () => {
    await store?.close();
    await reg?.stop();
    await pg?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('a worker killed with SIGKILL mid-job: the job completes on another worker after the lease, no row twice', async () => {
    const rescan = runCli(['monitor', 'rescan', '-c', configFile, '--no-work', '--format', 'json', '-q'], { env, timeoutMs: 180_000 });
    // Worker A takes the first job and is killed while it holds it.
    const a = startWorker(['-c', configFile, '--lease', '3s', '--id', 'A', '--no-cache', '-q'], env);
    let killed: string | undefined;
    const deadline = Date.now() + 60_000;
    while (!killed && Date.now() < deadline) {
      const rows = await store.sql.all<{ key: string }>("SELECT key FROM jobs WHERE state = 'running' AND lease_owner LIKE 'A-%'");
      if (rows[0]) {
        a.kill('SIGKILL');
        killed = rows[0].key;
      } else await new Promise((r) => setTimeout(r, 10));
    }
    expect(killed, 'worker A never took a job').toBeDefined();
    expect((await a.done).signal).toBe('SIGKILL');
    const round = await finished([startWorker(['-c', configFile, '--lease', '3s', '--id', 'B', '--once', '-q'], env)], rescan);
    expect(round.scans).toBe(4);
    expect(round.events).toEqual({ scanned: 4 });

    const job = (await store.job(killed!))!;
    expect([job.state, job.attempts]).toEqual(['done', 2]);
    const imgs = await store.images();
    expect(imgs.map((i) => i.state)).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(await store.sql.all('SELECT digest, kind, COUNT(*) AS n FROM events GROUP BY digest, kind HAVING COUNT(*) > 1')).toEqual([]);
    expect(await store.sql.all('SELECT digest, fkey, COUNT(*) AS n FROM findings GROUP BY digest, fkey HAVING COUNT(*) > 1')).toEqual([]);
    const sboms = await store.sql.all<{ n: number }>('SELECT COUNT(*) AS n FROM images WHERE sbom IS NOT NULL');
    expect(sboms[0]!.n).toBe(4);
    expect((await store.findingsById('CVE-2019-14697')).length).toBe(2);
  });

  it('two workers share a re-match round after a database update: the same judgement, each image once', async () => {
    const mainYaml = path.join(feeds, 'alpine-secdb', 'v3.10', 'main.yaml');
    const doc = parseYaml(readFileSync(mainYaml, 'utf8')) as { packages: Array<{ pkg: { name: string; secfixes: Record<string, string[]> } }> };
    doc.packages.find((p) => p.pkg.name === 'busybox')!.pkg.secfixes['1.30.1-r99'] = ['CVE-2099-0002'];
    writeFileSync(mainYaml, stringifyYaml(doc));
    await buildDb({ path: dbPath, from: feeds, feeds: [getFeed('alpine-secdb')!], cacheDir: path.join(tmp, 'feed-cache') });
    const rescan = runCli(['monitor', 'rescan', '-c', configFile, '--no-work', '--batch-size', '1', '--format', 'json', '-q'], { env, timeoutMs: 180_000 });
    // --once stops on an empty queue: start the workers once the round has queued its jobs.
    for (const end = Date.now() + 60_000; Date.now() < end; await new Promise((r) => setTimeout(r, 50))) {
      if ((await store.sql.all("SELECT id FROM jobs WHERE kind = 'rematch'")).length === 4) break;
    }
    const round = await finished([startWorker(['-c', configFile, '--id', 'C', '--once', '-q'], env), startWorker(['-c', configFile, '--id', 'D', '--once', '-q'], env)], rescan);
    expect(round.rematches).toBe(4);
    expect(round.events).toEqual({ new: 2, verdict: 1 });
    const hits = await store.findingsById('CVE-2099-0002');
    expect(hits.map((h) => h.package).sort()).toEqual(['busybox', 'ssl_client']);
    expect(hits[0]!.ref).toBe(`${reg.host}/apps/alpine:3.10`);
    const owners = await store.sql.all<{ n: number }>("SELECT COUNT(*) AS n FROM jobs WHERE kind = 'rematch' AND state = 'done'");
    expect(owners[0]!.n).toBe(4);
  });
});
