/**
 * User-level: deploy/ci/run-local.sh, the GitHub Actions gate run against a local registry, pushes
 * an image (signed and attested) only when `shipshape promote`'s scan passes, and exits with its code.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { bin, runCli } from './helpers/cli.js';
import { registryToolsMissing, startRegistry, writeTinyOciLayout, type StartedRegistry } from './helpers/registry.js';
import { repoRoot, sharedPath } from './helpers/shared.js';

const images = sharedPath('images');
const vulndata = sharedPath('vulndata');
const script = path.join(repoRoot, 'deploy', 'ci', 'run-local.sh');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function runScript(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve, reject) => {
    // Run from the temp dir: a shipshape.yaml in the repository must not become the gate's policy.
    const child = spawn('sh', [script, ...args], { cwd: os.tmpdir(), env: { ...process.env, CI: 'true', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 170_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** The registry's tag list for a repository: [] when the repository was never pushed (404 NAME_UNKNOWN). */
function tagsOf(reg: StartedRegistry, repo: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    http
      .get(`http://${reg.host}/v2/${repo}/tags/list`, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => {
          if (res.statusCode === 404) resolve([]);
          else if (res.statusCode === 200) resolve((JSON.parse(body) as { tags: string[] | null }).tags ?? []);
          else reject(new Error(`tags/list ${repo}: HTTP ${res.statusCode} ${body}`));
        });
      })
      .on('error', reject);
  });
}

const missing = !images || !vulndata ? 'no ../shared' : registryToolsMissing();

describe.skipIf(missing)('deploy/ci/run-local.sh against a local registry', () => {
  let tmp = '';
  let db = '';
  let reg: StartedRegistry;
  let env: Record<string, string>;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-ci-'));
    db = path.join(tmp, 'db.sqlite');
    const built = await runCli(['db', 'build', '--from', vulndata!, '--db', db, '--quiet'], { timeoutMs: 300_000 });
    expect(built.code, built.stderr).toBe(0);
    reg = await startRegistry();
    const key = await runCli(['key', 'generate', '--output', path.join(tmp, 'cosign')], { env: { SHIPSHAPE_KEY_PASSWORD: 'ci-key-pw' } });
    expect(key.code, key.stderr).toBe(0);
    env = {
      SHIPSHAPE: bin,
      SHIPSHAPE_DB: db,
      SIGNING_KEY: path.join(tmp, 'cosign.key'),
      SHIPSHAPE_KEY_PASSWORD: 'ci-key-pw',
      DEST_INSECURE: 'true',
      // A private HOME and cache: neither skopeo nor shipshape reads or writes the user's.
      HOME: tmp,
      XDG_CACHE_HOME: path.join(tmp, 'cache'),
      XDG_RUNTIME_DIR: tmp,
      REGISTRY_AUTH_FILE: path.join(tmp, 'auth.json'),
    };
  }, 300_000);

  afterAll(async () => {
    await reg?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('a failing image (alpine-3.7, --fail-on high) exits 1 and is not pushed; the SARIF report is kept', async () => {
    const reports = path.join(tmp, 'fail');
    const r = await runScript([`oci:${path.join(images!, 'oci', 'alpine-3.7')}`, `${reg.host}/app/alpine:3.7`], { ...env, FAIL_ON: 'high', REPORT_DIR: reports });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/gate failed.*NOT pushed/);
    expect(r.stdout).toMatch(/CVE-2019-14697/); // the table is in the log
    expect(await tagsOf(reg, 'app/alpine')).toEqual([]);
    const sarif = JSON.parse(readFileSync(path.join(reports, 'shipshape.sarif'), 'utf8')) as { version: string; runs: Array<{ results: unknown[] }> };
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0]!.results.length).toBeGreaterThan(0);
  }, 180_000);

  it('a passing image (go-static, --require-minimal) exits 0 and is pushed with the same manifest digest, signed and attested', async () => {
    const reports = path.join(tmp, 'pass');
    const src = `oci:${path.join(images!, 'oci', 'go-static')}`;
    const r = await runScript([src, `${reg.host}/app/go-static:1.0`, '--require-minimal'], { ...env, FAIL_ON: 'high', REPORT_DIR: reports });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/gate passed: .* pushed to .*, signed and attested/);
    expect(await tagsOf(reg, 'app/go-static')).toContain('1.0');
    const verified = await runCli(['verify', `${reg.host}/app/go-static:1.0`, '--key', path.join(tmp, 'cosign.pub'), '--insecure-registry', reg.host, '--require-pass']);
    expect(verified.code, verified.stdout).toBe(0);
    expect(existsSync(path.join(reports, 'shipshape.sarif'))).toBe(true);
    // What is in the registry is the image that was scanned: same manifest digest as a scan of the source.
    const local = await runCli(['scan', src, '--db', db, '--format', 'json', '--quiet', '--checks', 'none']);
    const remote = await runCli(['scan', `${reg.host}/app/go-static:1.0`, '--db', db, '--format', 'json', '--quiet', '--checks', 'none', '--insecure-registry', reg.host]);
    expect([local.code, remote.code], remote.stderr).toEqual([0, 0]);
    expect((JSON.parse(remote.stdout) as { image: { digest: string } }).image.digest).toBe((JSON.parse(local.stdout) as { image: { digest: string } }).image.digest);
  }, 180_000);

  it('a docker archive (`docker save` output) goes through the same gate', async () => {
    const archive = path.join(images!, 'docker-archive', 'go-static.tar');
    const r = await runScript([`docker-archive:${archive}`, `${reg.host}/app/go-static-archive:1.0`, '--require-minimal'], {
      ...env,
      REPORT_DIR: path.join(tmp, 'archive'),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(await tagsOf(reg, 'app/go-static-archive')).toContain('1.0');
  }, 180_000);

  it('a scan error (no such image) exits 2 and pushes nothing', async () => {
    const r = await runScript([`oci:${path.join(tmp, 'no-such-layout')}`, `${reg.host}/app/missing:1`], { ...env, REPORT_DIR: path.join(tmp, 'err') });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/promote error \(exit 2\).*NOT pushed/);
    expect(await tagsOf(reg, 'app/missing')).toEqual([]);
  }, 60_000);

  it('without IMAGE and DEST it prints its usage and exits 2', async () => {
    const r = await runScript([], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^Usage: deploy\/ci\/run-local\.sh IMAGE DEST/);
  });
});

describe('the CI examples say the same thing', () => {
  const load = (f: string) => parseYaml(readFileSync(path.join(repoRoot, 'deploy', 'ci', f), 'utf8')) as Record<string, unknown>;
  const flagsOf = (cmd: string) => [...cmd.matchAll(/(?:^|\s)(--[a-z-]+)/g)].map((m) => m[1]!);

  it('GitHub Actions: build to a layout, promote with SARIF + table + --fail-on high (dry run on pull requests), upload SARIF always, verify after', async () => {
    const wf = load('github-actions.yml') as { jobs: Record<string, { steps: Array<{ name?: string; id?: string; if?: string; run?: string; uses?: string; with?: Record<string, string>; env?: Record<string, string> }> }> };
    const steps = Object.values(wf.jobs)[0]!.steps;
    const at = (pred: (s: (typeof steps)[number]) => boolean) => steps.findIndex(pred);
    const build = at((s) => /docker buildx build .*--output type=oci/.test(s.run ?? ''));
    const promote = at((s) => /^\s*shipshape promote /m.test(s.run ?? ''));
    const upload = at((s) => (s.uses ?? '').startsWith('github/codeql-action/upload-sarif'));
    const verify = at((s) => /^shipshape verify /.test(s.run ?? ''));
    expect(build).toBeGreaterThanOrEqual(0);
    expect([build < promote, promote < upload, promote < verify]).toEqual([true, true, true]);
    const promoteCmd = steps[promote]!.run!.split('\n').find((l) => /^\s*shipshape promote /.test(l))!;
    expect(promoteCmd).toContain('--format sarif=shipshape.sarif --format table --fail-on high');
    expect(steps[promote]!.run).toMatch(/--dry-run/);
    expect(steps[promote]!.env?.SHIPSHAPE_KEY_PASSWORD).toMatch(/secrets\./);
    expect(steps[upload]!.with?.sarif_file).toBe('shipshape.sarif');
    expect(steps[upload]!.if).toMatch(/always\(\)/);
    // Nothing else pushes: no skopeo copy after the gate.
    expect(steps.some((s) => /skopeo copy/.test(s.run ?? ''))).toBe(false);
    expect(steps[verify]!.if).toContain(`steps.${steps[promote]!.id}.outcome == 'success'`);
    // Every flag used is one `shipshape promote` / `verify` knows.
    const help = await runCli(['promote', '--help']);
    for (const f of [...flagsOf(promoteCmd), '--key', '--dry-run']) expect(help.stdout, f).toContain(f);
    const vhelp = await runCli(['verify', '--help']);
    for (const f of flagsOf(steps[verify]!.run!)) expect(vhelp.stdout, f).toContain(f);
    // run-local.sh runs the same promote.
    const local = readFileSync(script, 'utf8');
    expect(local).toContain('--format "sarif=$report_dir/shipshape.sarif" --format table --fail-on "$fail_on"');
  });

  it("the workflow's promote command runs as written (pull-request form): the table on stdout, shipshape.sarif beside it, exit 1 for a root image", async () => {
    const wf = load('github-actions.yml') as { jobs: Record<string, { steps: Array<{ run?: string }> }> };
    const run = Object.values(wf.jobs)[0]!.steps.find((s) => /^\s*shipshape promote /m.test(s.run ?? ''))!.run!;
    const scanCmd = run.split('\n').find((l) => /^\s*shipshape promote /.test(l))!.trim();
    const reg = await startRegistry();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'shipshape-ci-cmd-'));
    try {
      // The build step's output (an OCI layout named image-oci) and a one-record database.
      await writeTinyOciLayout(path.join(dir, 'image-oci'));
      mkdirSync(path.join(dir, 'feeds', 'alpine-secdb', 'v3.7'), { recursive: true });
      writeFileSync(path.join(dir, 'feeds', 'alpine-secdb', 'v3.7', 'main.yaml'), 'distroversion: v3.7\nreponame: main\npackages:\n  - pkg:\n      name: musl\n      secfixes:\n        1.1.18-r4:\n          - CVE-2019-14697\n');
      const db = path.join(dir, 'db.sqlite');
      expect((await runCli(['db', 'build', '--from', path.join(dir, 'feeds'), '--db', db, '--quiet'])).code).toBe(0);
      // $IMAGE:$GITHUB_SHA is a local registry here; "$@" is the pull-request branch: --dry-run.
      const args = scanCmd.replace('"$IMAGE:$GITHUB_SHA"', `${reg.host}/app/tiny:1`).replace('"$@"', '--dry-run').split(/\s+/).slice(1);
      const r = await new Promise<Run>((resolve, reject) => {
        const child = spawn(process.execPath, [bin, ...args, '--db', db, '--no-cache', '--insecure-registry', reg.host], { cwd: dir, env: { ...process.env, CI: 'true' } });
        let stdout = '';
        let stderr = '';
        child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        child.on('error', reject);
        child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      });
      // writeTinyOciLayout's config sets no User: the root-user check (high) fails the gate.
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).toMatch(/root-user/);
      const sarif = JSON.parse(readFileSync(path.join(dir, 'shipshape.sarif'), 'utf8')) as { version: string };
      expect(sarif.version).toBe('2.1.0');
      expect(await tagsOf(reg, 'app/tiny')).toEqual([]);
    } finally {
      await reg.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('GitLab CI: promote needs the build, keeps its reports on failure, signs only on the default branch', async () => {
    const ci = load('gitlab-ci.yml') as Record<string, { stage?: string; needs?: string[]; script?: string[]; variables?: Record<string, string>; artifacts?: { when?: string; paths?: string[]; reports?: Record<string, string> } }>;
    const cmd = ci.promote!.script!.find((l) => l.startsWith('shipshape promote '))!;
    expect(cmd).toContain('--format sarif=shipshape.sarif');
    expect(cmd).toContain('--fail-on high');
    expect(ci.promote!.script!.join('\n')).toMatch(/CI_DEFAULT_BRANCH.*--key "\$COSIGN_KEY".*--dry-run/);
    expect(ci.promote!.variables?.SHIPSHAPE_KEY_PASSWORD).toBe('$COSIGN_PASSWORD');
    expect(ci.promote!.needs).toContain('build');
    expect(ci.promote!.artifacts?.when).toBe('always');
    expect(ci.promote!.artifacts?.paths).toContain('shipshape.sarif');
    expect(JSON.stringify(ci)).not.toMatch(/skopeo copy/);
    const help = await runCli(['promote', '--help']);
    for (const f of flagsOf(cmd)) expect(help.stdout, f).toContain(f);
  });
});
