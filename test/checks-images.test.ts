/** User-level: on every shared image, each image check agrees with the hygiene facts in its README. */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { SHARED_IMAGES, sharedPath } from './helpers/shared.js';

const images = sharedPath('images');
const vulndata = sharedPath('vulndata');

interface Hygiene {
  shellPresent: boolean;
  shells: string[];
  packageManagerPresent: boolean;
  packageManagers: string[];
  runsAsRoot: boolean;
  secretEnvKeys: string[];
}

describe.skipIf(!images || !vulndata)('image checks on the shared images', () => {
  let tmp = '';
  let db = '';
  let facts: Array<{ name: string; hygiene: Hygiene }> = [];
  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-checks-'));
    db = path.join(tmp, 'db.sqlite');
    expect((await runCli(['db', 'build', '--from', vulndata!, '--db', db, '--quiet'], { timeoutMs: 300_000 })).code).toBe(0);
    facts = JSON.parse(readFileSync(path.join(images!, 'expected-facts.json'), 'utf8')).images;
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  for (const name of SHARED_IMAGES) {
    it(`${name}: checks match the README's hygiene facts`, async () => {
      const h = facts.find((f) => f.name === name)!.hygiene;
      const r = await runCli(['scan', `oci:${path.join(images!, 'oci', name)}:latest`, '--format', 'json', '--db', db, '--cache-dir', path.join(tmp, 'cache')]);
      expect(r.code).toBe(0);
      const report = JSON.parse(r.stdout) as { findings: Array<{ kind: string; id: string; message: string; locations: Array<{ path: string }> }>; verdict: { minimal: boolean } };
      const check = (id: string) => report.findings.filter((f) => f.kind === 'check' && f.id === id);
      const paths = (id: string) => check(id).flatMap((f) => f.locations.map((l) => l.path));

      expect(check('shell-present').length > 0).toBe(h.shellPresent);
      expect(paths('shell-present')).toEqual(expect.arrayContaining(h.shells));
      expect(check('package-manager-present').length > 0).toBe(h.packageManagerPresent);
      expect(paths('package-manager-present')).toEqual(expect.arrayContaining(h.packageManagers));
      expect(check('root-user').length > 0).toBe(h.runsAsRoot);
      const envSecrets = check('secret-in-config').map((f) => f.message).filter((m) => m.startsWith('secret in Env '));
      expect(envSecrets.map((m) => m.slice('secret in Env '.length)).sort()).toEqual([...h.secretEnvKeys].sort());
      for (const f of check('secret-in-config')) expect(f.message).not.toMatch(/AKIA|wJalr/); // names, never values
      expect(report.verdict.minimal).toBe(name === 'go-static');
      if (name === 'debian-app') {
        const layerSecrets = check('secret-in-layers');
        expect(layerSecrets.map((f) => f.message)).toEqual([expect.stringMatching(/^\/app\/\.env holds secrets .*DB_PASSWORD.*\(deleted by a later layer/)]);
      }
      if (name.startsWith('alpine-3.10') || name === 'alpine-3.7') expect(check('eol-os')).toHaveLength(1);
    });
  }

  it('a policy requiring minimal images passes go-static (exit 0) and fails alpine-3.10 (exit 1)', async () => {
    const run = (name: string) =>
      runCli(['scan', `oci:${path.join(images!, 'oci', name)}:latest`, '--db', db, '--require-minimal', '--quiet', '--cache-dir', path.join(tmp, 'cache')]);
    expect((await run('go-static')).code).toBe(0);
    const fail = await run('alpine-3.10');
    expect(fail.code).toBe(1);
    expect(fail.stdout).toContain('not minimal');

    // The same gate from a policy file in the working directory, as a CI job would keep it.
    const dir = path.join(tmp, 'policy');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'shipshape.yaml'), 'checks:\n  requireMinimal: true\n');
    const withPolicy = (name: string) =>
      runCli(['scan', `oci:${path.join(images!, 'oci', name)}:latest`, '--db', db, '--quiet', '--cache-dir', path.join(tmp, 'cache')], { cwd: dir });
    expect((await withPolicy('go-static')).code).toBe(0);
    expect((await withPolicy('alpine-3.10')).code).toBe(1);
  });
});
