/**
 * User-level: `shipshape scan --format json` on every image of ../shared/images, in its OCI layout
 * and docker-archive forms, lists exactly the packages the image's own database lists and the right OS;
 * Alpine findings are exactly the secdb fixes newer than the installed origin version.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareVersions } from '../src/version/index.js';
import { runCli } from './helpers/cli.js';
import { SHARED_IMAGES, sharedPath } from './helpers/shared.js';

const images = sharedPath('images');
const vulndata = sharedPath('vulndata');

interface Facts {
  name: string;
  osRelease: { id: string; versionId: string } | null;
  packages: { apk: Array<{ name: string; version: string; origin: string }>; dpkg: Array<{ name: string; version: string; sourceName: string; sourceVersion: string }> };
}

describe.skipIf(!images || !vulndata)('scan of the shared images', () => {
  let tmp = '';
  let db = '';
  let facts: Facts[] = [];

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-scan-'));
    db = path.join(tmp, 'db.sqlite');
    const r = await runCli(['db', 'build', '--from', vulndata!, '--db', db, '--quiet'], { timeoutMs: 300_000 });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    facts = (JSON.parse(readFileSync(path.join(images!, 'expected-facts.json'), 'utf8')) as { images: Facts[] }).images;
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  const scan = async (ref: string, extra: string[] = []) => {
    const r = await runCli(['scan', ref, '--format', 'json', '--db', db, '--cache-dir', path.join(tmp, 'cache'), ...extra]);
    if (r.code !== 0) throw new Error(`scan ${ref} exited ${r.code}: ${r.stderr}`);
    return JSON.parse(r.stdout) as {
      os: { id: string; version: string } | null;
      packages: Array<{ name: string; version: string; type: string; sourceName?: string; sourceVersion?: string; locations: Array<{ layer: string; path: string }> }>;
      findings: Array<{ kind: string; id: string; aliases: string[]; package: { name: string; version: string; type: string }; fixedVersion: string | null; severity: string }>;
      warnings: Array<{ message: string }>;
      image: { digest: string };
    };
  };

  for (const name of SHARED_IMAGES) {
    for (const form of ['oci', 'docker-archive'] as const) {
      it(`${name} (${form}): exact OS packages and OS`, async () => {
        const f = facts.find((x) => x.name === name)!;
        const ref = form === 'oci' ? `oci:${path.join(images!, 'oci', name)}:latest` : `docker-archive:${path.join(images!, 'docker-archive', `${name}.tar`)}`;
        const report = await scan(ref);
        const osPkgs = report.packages.filter((p) => p.type === 'apk' || p.type === 'deb');
        const got = osPkgs.map((p) => `${p.name}@${p.version}`).sort();
        const want = [...f.packages.apk.map((p) => `${p.name}@${p.version}`), ...f.packages.dpkg.map((p) => `${p.name}@${p.version}`)].sort();
        expect(got).toEqual(want);
        for (const p of f.packages.dpkg) {
          const mine = osPkgs.find((x) => x.name === p.name)!;
          expect([mine.sourceName, mine.sourceVersion]).toEqual([p.sourceName, p.sourceVersion]);
        }
        for (const p of f.packages.apk) expect(osPkgs.find((x) => x.name === p.name)!.sourceName).toBe(p.origin);
        for (const p of osPkgs) expect(p.locations[0]!.layer).toMatch(/^sha256:[a-f0-9]{64}$/);
        if (f.osRelease) expect([report.os?.id, report.os?.version]).toEqual([f.osRelease.id, f.osRelease.versionId]);
        else expect(report.os).toBeNull();
      });
    }
  }

  it('alpine images: findings are exactly the secdb fixes newer than the installed origin version', async () => {
    for (const [name, release] of [['alpine-3.7', 'v3.7'], ['alpine-3.10', 'v3.10']] as const) {
      const f = facts.find((x) => x.name === name)!;
      const expected = new Set<string>();
      for (const repo of ['main', 'community']) {
        const doc = parseYaml(readFileSync(path.join(vulndata!, 'alpine-secdb', release, `${repo}.yaml`), 'utf8')) as {
          packages: Array<{ pkg: { name: string; secfixes?: Record<string, string[] | null> } }>;
        };
        for (const { pkg } of doc.packages) {
          for (const installed of f.packages.apk.filter((p) => p.origin === pkg.name)) {
            for (const [fixed, ids] of Object.entries(pkg.secfixes ?? {})) {
              if (fixed === '0' || compareVersions('apk', installed.version, fixed) >= 0) continue;
              for (const id of ids ?? []) expected.add(`${installed.name}@${installed.version} ${id.split(' ')[0]} ${fixed}`);
            }
          }
        }
      }
      const report = await scan(`oci:${path.join(images!, 'oci', name)}:latest`);
      const got = new Set(report.findings.filter((x) => x.kind === 'vulnerability').map((x) => `${x.package.name}@${x.package.version} ${x.id} ${x.fixedVersion}`));
      expect([...got].sort()).toEqual([...expected].sort());
      if (name === 'alpine-3.7') expect(got.size).toBeGreaterThan(0);
    }
  });

  it('a release with no advisories in the database says so (alpine 3.20, debian 12)', async () => {
    for (const [name, ns] of [['alpine-3.20', 'alpine:3.20'], ['debian-bookworm', 'debian:12']] as const) {
      const report = await scan(`oci:${path.join(images!, 'oci', name)}:latest`);
      expect(report.findings.filter((f) => f.kind === 'vulnerability')).toEqual([]);
      expect(report.warnings.map((w) => w.message).join('\n')).toContain(ns);
    }
  });

  it('two scans of the same image give byte-identical JSON (cold, then warm from the cache)', async () => {
    const ref = `oci:${path.join(images!, 'oci', 'debian-app')}:latest`;
    const cold = await runCli(['scan', ref, '--format', 'json', '--db', db, '--cache-dir', path.join(tmp, 'cache2')]);
    const warm = await runCli(['scan', ref, '--format', 'json', '--db', db, '--cache-dir', path.join(tmp, 'cache2')]);
    const none = await runCli(['scan', ref, '--format', 'json', '--db', db, '--no-cache']);
    expect(cold.code).toBe(0);
    expect(warm.stdout).toBe(cold.stdout);
    expect(none.stdout).toBe(cold.stdout);
  });

  it('--fail-on turns findings into exit code 1; --ignore-unfixed drops unfixed ones', async () => {
    const ref = `oci:${path.join(images!, 'oci', 'alpine-3.7')}:latest`;
    const fail = await runCli(['scan', ref, '--db', db, '--fail-on', 'unknown', '--quiet']);
    expect(fail.code).toBe(1);
    expect(fail.stdout).toContain('Verdict: FAIL');
    const pass = await runCli(['scan', `oci:${path.join(images!, 'oci', 'alpine-3.10')}:latest`, '--db', db, '--fail-on', 'low', '--checks', 'none', '--quiet']);
    expect(pass.code).toBe(0); // with --checks none: vulnerabilities only
  });
});
