/** The shipped CLI: one bundle run by bin/shipshape, its version from package.json, and its V8 code cache. */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { repoRoot } from './helpers/shared.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-bundle-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const version = (JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;

describe('the bundled CLI', () => {
  it('is one file that bin/shipshape runs, with every registered command in it', async () => {
    expect(statSync(path.join(repoRoot, 'dist', 'bundle', 'shipshape.cjs')).isFile()).toBe(true);
    const help = await runCli(['--help'], { env: { SHIPSHAPE_CODE_CACHE: '0' } });
    expect(help.code).toBe(0);
    // The same help as the unbundled modules (tsc's dist/cli/main.js) give: the same commands.
    const unbundled = spawnSync(process.execPath, ['--input-type=module', '-e', `import(${JSON.stringify(pathToFileURL(path.join(repoRoot, 'dist', 'cli', 'main.js')).href)}).then((m) => m.main(['node', 'shipshape', '--help']))`], { encoding: 'utf8' });
    expect(unbundled.status).toBe(0);
    expect(help.stdout).toBe(unbundled.stdout);
    expect(help.stdout).toMatch(/^\s+scan \[options\] <image>/m);
  });

  it('prints the version from package.json', async () => {
    const r = await runCli(['--version'], { env: { SHIPSHAPE_CODE_CACHE: '0' } });
    expect([r.code, r.stdout.trim()]).toEqual([0, version]);
  });

  it('keeps a code cache per command under XDG_CACHE_HOME, private, and survives a damaged one', async () => {
    const home = path.join(tmp, 'xdg');
    const dir = path.join(home, 'shipshape', 'code');
    const first = await runCli(['--version'], { env: { XDG_CACHE_HOME: home } });
    expect(first.code).toBe(0);
    const files = readdirSync(dir);
    expect(files).toHaveLength(1);
    expect(statSync(path.join(dir, files[0]!)).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    // Another command gets its own entry.
    expect((await runCli(['policy', '--help'], { env: { XDG_CACHE_HOME: home } })).code).toBe(0);
    expect(readdirSync(dir)).toHaveLength(2);
    // Garbage in the cache: V8 rejects it, the command runs as usual, and the entry is written anew.
    writeFileSync(path.join(dir, files[0]!), Buffer.alloc(4096, 7));
    const again = await runCli(['--version'], { env: { XDG_CACHE_HOME: home } });
    expect([again.code, again.stdout.trim(), again.stderr]).toEqual([0, version, '']);
    expect(readFileSync(path.join(dir, files[0]!)).equals(Buffer.alloc(4096, 7))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('uses the code cache it wrote: the V8 flags bin/shipshape sets are the same on every run', async () => {
    // V8 rejects a code cache made under other flags (--liftoff-only, --interrupt-budget are set at
    // run time, before the bundle compiles); a rejected cache would be written anew at every exit.
    const home = path.join(tmp, 'reuse');
    const dir = path.join(home, 'shipshape', 'code');
    for (const args of [['--version'], ['scan', '--help']]) {
      expect((await runCli(args, { env: { XDG_CACHE_HOME: home } })).code).toBe(0);
    }
    const before = readdirSync(dir).map((f) => [f, statSync(path.join(dir, f)).mtimeMs, readFileSync(path.join(dir, f))] as const);
    expect(before).toHaveLength(2);
    await new Promise((r) => setTimeout(r, 20));
    for (const args of [['--version'], ['scan', '--help']]) {
      expect((await runCli(args, { env: { XDG_CACHE_HOME: home } })).code).toBe(0);
    }
    for (const [f, mtime, bytes] of before) {
      expect(statSync(path.join(dir, f)).mtimeMs).toBe(mtime);
      expect(readFileSync(path.join(dir, f)).equals(bytes)).toBe(true);
    }
  });

  it('writes no code cache with SHIPSHAPE_CODE_CACHE=0, and runs where the cache cannot be written', async () => {
    const home = path.join(tmp, 'off');
    expect((await runCli(['--version'], { env: { XDG_CACHE_HOME: home, SHIPSHAPE_CODE_CACHE: '0' } })).code).toBe(0);
    expect(existsSync(home)).toBe(false);
    const blocked = path.join(tmp, 'a-file');
    writeFileSync(blocked, 'x');
    const r = await runCli(['--version'], { env: { XDG_CACHE_HOME: blocked } });
    expect([r.code, r.stdout.trim(), r.stderr]).toEqual([0, version, '']);
  });
});
