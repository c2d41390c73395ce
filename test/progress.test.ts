/**
 * User-level: a progress bar on stderr only for a person at a terminal; nothing extra in CI, with
 * --quiet, or when stderr is not a TTY. The terminal is a real pseudo-terminal from script(1).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bin, runCli } from './helpers/cli.js';
import { buildImage, writeOciLayout } from './helpers/image-builder.js';

const hasScript = spawnSync('sh', ['-c', 'command -v script'], { stdio: 'ignore' }).status === 0;

describe.skipIf(!hasScript)('progress on stderr', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-progress-'));
  let image = '';
  let db = '';
  beforeAll(async () => {
    image = writeOciLayout(path.join(tmp, 'img'), await buildImage({ layers: [[{ path: 'etc/os-release', content: 'ID=alpine\nVERSION_ID=3.10.9\n' }], [{ path: 'app/x', content: 'x' }]] }), { tag: 'latest' });
    const feeds = path.join(tmp, 'feeds', 'alpine-secdb', 'v3.10');
    mkdirSync(feeds, { recursive: true });
    writeFileSync(path.join(feeds, 'main.yaml'), 'distroversion: v3.10\nreponame: main\npackages: []\n');
    db = path.join(tmp, 'db.sqlite');
    expect((await runCli(['db', 'build', '--from', path.join(tmp, 'feeds'), '--db', db, '-q'])).code).toBe(0);
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  /** Runs the CLI under script(1): stdin, stdout and stderr are a terminal; report goes to a file. */
  const atTerminal = (extra: string[], env: Record<string, string | undefined>) => {
    const out = path.join(tmp, `out-${Math.random().toString(36).slice(2)}.json`);
    const cmd = [process.execPath, bin, 'scan', `oci:${image}`, '--db', db, '--no-cache', '--format', 'json', '--output', out, ...extra].map((a) => `'${a}'`).join(' ');
    const childEnv = { ...process.env, ...env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
    const r = spawnSync('script', ['-qec', cmd, '/dev/null'], { env: childEnv, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, tty: r.stdout };
  };

  it('draws a layers bar at a terminal', () => {
    const r = atTerminal([], { CI: undefined });
    expect(r.code).toBe(0);
    expect(r.tty).toMatch(/layers \[[#.]+\] 2\/2/);
  });

  it('stays quiet in CI and with --quiet', () => {
    expect(atTerminal([], { CI: 'true' }).tty).not.toContain('layers [');
    expect(atTerminal(['--quiet'], { CI: undefined }).tty).not.toContain('layers [');
  });

  it('stays quiet when stderr is not a terminal', async () => {
    const r = await runCli(['scan', `oci:${image}`, '--db', db, '--no-cache', '--format', 'json'], { env: { CI: '' } });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain('layers [');
  });
});
