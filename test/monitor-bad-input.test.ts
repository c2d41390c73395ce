/**
 * User-level bad input for `shipshape monitor`: config errors, a missing token, a bad --listen or
 * store, a pod list that is not JSON give one line and exit 2; an unreachable registry and a 401
 * are recorded on the watched references and the round goes on (exit 0).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDb } from '../src/db/index.js';
import { getFeed } from '../src/feeds/registry.js';
import { openStore } from '../src/monitor/index.js';
import { expectOneLineError, runCli } from './helpers/cli.js';
import { registryToolsMissing, startRegistry, type StartedRegistry } from './helpers/registry.js';
import { sharedPath } from './helpers/shared.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-monbad-'));
const env = { XDG_CACHE_HOME: path.join(tmp, 'cache'), XDG_DATA_HOME: path.join(tmp, 'data'), SHIPSHAPE_MONITOR_TOKEN: '' };
const write = (name: string, text: string) => {
  const p = path.join(tmp, name);
  writeFileSync(p, text);
  return p;
};

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('monitor: bad input is one line and exit 2', () => {
  const good = write('good.yaml', `advisoryDb: ${path.join(tmp, 'none.db')}\nwatch:\n  - registry: 127.0.0.1:1\n    insecure: true\n    repositories: ["apps/a"]\n`);
  const cases: Array<[string, string[], RegExp]> = [
    ['a config that does not exist', ['monitor', 'rescan', '-c', path.join(tmp, 'nope.yaml')], /cannot read config .*nope\.yaml: no such file/],
    ['a config with an unknown key', ['monitor', 'rescan', '-c', write('bad.yaml', 'advisoryDb: x\nwatch:\n  - registry: r\n    repos: [a]\n')], /bad\.yaml:4:5: unknown key "repos" in watch\[0\]/],
    ['a config that is not YAML', ['monitor', 'worker', '-c', write('bad2.yaml', 'advisoryDb: "x\n')], /bad2\.yaml:\d+:\d+: invalid YAML/],
    ['no advisory database', ['monitor', 'rescan', '-c', good, '--store', path.join(tmp, 's1.db')], /no advisory database at .*none\.db/],
    ['serve without a token', ['monitor', 'serve', '-c', good], /SHIPSHAPE_MONITOR_TOKEN must be set/],
    ['a bad --listen', ['monitor', 'serve', '-c', good, '--listen', 'here'], /SHIPSHAPE_MONITOR_TOKEN|--listen/],
    ['a store that is not one', ['monitor', 'rescan', '-c', good, '--store', write('junk.db', 'x'.repeat(4096))], /monitor store .*junk\.db.*not a database/],
    ['an unreachable PostgreSQL', ['monitor', 'rescan', '-c', good, '--store', 'postgres://u:pw@127.0.0.1:1/m'], /cannot reach PostgreSQL at postgres:\/\/u:\*\*\*@127\.0\.0\.1:1\/m/],
    ['a pod list that is not JSON', ['monitor', 'import', '-c', good, '--store', path.join(tmp, 's2.db'), '--pods', write('pods.json', '{"items": [')], /pods\.json: not JSON/],
    ['import with nothing to import', ['monitor', 'import', '-c', good], /give --pods FILE or --decision-log FILE/],
    ['an unknown rescan format', ['monitor', 'rescan', '-c', good, '--format', 'xml'], /--format: expected table or json/],
    ['a bad worker lease', ['monitor', 'worker', '-c', good, '--lease', 'soon'], /--lease: invalid duration "soon"/],
  ];
  it.each(cases)('%s', async (_name, args, re) => {
    const r = await runCli(args, { env });
    expect(expectOneLineError(r)).toMatch(re);
  });

  it('a bad --listen with a token set', async () => {
    const r = await runCli(['monitor', 'serve', '-c', good, '--listen', 'here'], { env: { ...env, SHIPSHAPE_MONITOR_TOKEN: 'x'.repeat(20) } });
    expect(expectOneLineError(r)).toMatch(/--listen: expected HOST:PORT/);
  });
});

const vulndata = sharedPath('vulndata/alpine-secdb');

describe.skipIf(!vulndata || registryToolsMissing())('monitor: registry errors are recorded, the round goes on', () => {
  let reg: StartedRegistry;
  const dbPath = path.join(tmp, 'shipshape.db');
  beforeAll(async () => {
    mkdirSync(path.join(tmp, 'vulndata'), { recursive: true });
    const { cpSync } = await import('node:fs');
    cpSync(vulndata!, path.join(tmp, 'vulndata', 'alpine-secdb'), { recursive: true });
    await buildDb({ path: dbPath, from: path.join(tmp, 'vulndata'), feeds: [getFeed('alpine-secdb')!], cacheDir: path.join(tmp, 'feed-cache') });
    reg = await startRegistry({ tls: true, auth: { username: 'alice', password: 'wonderland' } });
  });
  afterAll(async () => {
    await reg?.stop();
  });

  it('an unreachable registry and a 401 end up on the references; rescan exits 0 and tries again next round', async () => {
    const store = path.join(tmp, 'errors.db');
    const cfg = write(
      'errs.yaml',
      `advisoryDb: ${dbPath}\nwatch:\n  - registry: 127.0.0.1:1\n    insecure: true\n    repositories: ["apps/a"]\n  - registry: ${reg.host}\n    caCert: ${reg.caCert}\n    repositories: ["apps/*"]\n`,
    );
    for (let round = 1; round <= 2; round++) {
      const r = await runCli(['monitor', 'rescan', '-c', cfg, '--store', store, '--format', 'json'], { env });
      expect(r.code, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.roundId).toBe(round);
      const errors = out.discover.errors.map((e: { ref: string; error: string }) => `${e.ref}: ${e.error}`).join('\n');
      expect(errors).toMatch(/127\.0\.0\.1:1\/apps\/a: .*127\.0\.0\.1:1/);
      expect(errors).toMatch(new RegExp(`${reg.host.replace(/\./g, '\\.')}.*(authentication required|no credentials)`, 'i'));
      expect(r.stderr.trim().split('\n').every((l) => l.startsWith('shipshape'))).toBe(true);
    }
    const s = await openStore(store);
    try {
      const refs = await s.refs();
      expect(refs.find((x) => x.ref === '127.0.0.1:1/apps/a')!.error).toMatch(/127\.0\.0\.1:1/);
    } finally {
      await s.close();
    }
  });
});
