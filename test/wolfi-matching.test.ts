/**
 * User-level: a Wolfi image made in code (os-release ID=wolfi, an apk database) scanned against the
 * Wolfi advisories of ../shared/vulndata: versions before a fix match, versions at the fix do not,
 * origins decide for subpackages, and Alpine's secdb is never used for Wolfi packages.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneLineError, runCli } from './helpers/cli.js';
import { buildImage, writeOciLayout } from './helpers/image-builder.js';
import { sharedPath } from './helpers/shared.js';

const vulndata = sharedPath('vulndata');

/** One /lib/apk/db/installed record; `o:` names the origin (source) package. */
const record = (name: string, version: string, origin = name) => [`P:${name}`, `V:${version}`, 'A:x86_64', `o:${origin}`, 'L:MIT', ''].join('\n');

interface Report {
  os: { id: string; version: string } | null;
  findings: Array<{ id: string; aliases: string[]; status?: string; fixedVersion: string | null; package: { name: string; version: string }; match: { feed: string; namespace: string; searchedBy: string; rule: string } }>;
  warnings: Array<{ code?: string; message: string }>;
}

describe.skipIf(!vulndata)('Wolfi: its own feed, never Alpine secdb', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-wolfi-'));
  const from = path.join(tmp, 'vulndata');
  const both = path.join(tmp, 'both.db');
  const alpineOnly = path.join(tmp, 'alpine.db');
  let image = '';

  const scan = async (db: string, ...extra: string[]): Promise<Report> => {
    const r = await runCli(['scan', `oci:${image}`, '--db', db, '--no-cache', '--checks', 'none', '--format', 'json', ...extra]);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Report;
  };

  beforeAll(async () => {
    // A small vulndata folder: five Wolfi packages' advisories (copied to a temp dir, not into the repo) and the whole Alpine secdb.
    mkdirSync(path.join(from, 'wolfi-advisories'), { recursive: true });
    for (const pkg of ['busybox', 'curl', 'glibc', 'openssl', 'zlib']) {
      cpSync(path.join(vulndata!, 'wolfi-advisories', `${pkg}.advisories.yaml`), path.join(from, 'wolfi-advisories', `${pkg}.advisories.yaml`));
    }
    symlinkSync(path.join(vulndata!, 'alpine-secdb'), path.join(from, 'alpine-secdb'));
    for (const [db, feeds] of [[both, 'wolfi,alpine-secdb'], [alpineOnly, 'alpine-secdb']] as const) {
      const r = await runCli(['db', 'build', '--from', from, '--feeds', feeds, '--db', db, '-q'], { timeoutMs: 300_000 });
      expect(r.code, r.stderr).toBe(0);
    }
    const installed = [
      record('openssl', '3.3.1-r2'), // CVE-2024-5535 fixed in 3.3.1-r3
      record('libssl3', '3.3.1-r3', 'openssl'), // the fixed build, a subpackage of openssl
      record('curl', '8.3.0-r0'), // CVE-2023-38545 fixed in 8.4.0-r0
      record('libcurl-openssl4', '8.4.0-r0', 'curl'),
      record('busybox', '1.30.1-r1'), // Wolfi: CVE-2022-28391 fixed 1.35.0-r3; Alpine 3.10 would add CVE-2019-5747
      record('musl', '1.1.22-r2'), // Alpine 3.10/3.11: CVE-2019-14697; Wolfi has no musl advisory
    ].join('\n');
    const built = await buildImage({
      layers: [[
        { path: 'etc/os-release', content: 'ID=wolfi\nNAME="Wolfi"\nPRETTY_NAME="Wolfi"\nVERSION_ID="20230201"\nHOME_URL="https://wolfi.dev"\n' },
        { path: 'lib/apk/db/installed', content: installed },
      ]],
    });
    image = writeOciLayout(path.join(tmp, 'wolfi'), built, { tag: 'latest' });
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('detects Wolfi and matches a version before the fix, by origin package', async () => {
    const report = await scan(both);
    expect(report.os).toMatchObject({ id: 'wolfi', version: '20230201' });
    const f = report.findings.find((x) => x.package.name === 'openssl' && x.id === 'CVE-2024-5535');
    expect(f).toMatchObject({
      fixedVersion: '3.3.1-r3',
      aliases: expect.arrayContaining(['CGA-3mrr-589r-46qj']),
      match: { feed: 'wolfi', namespace: 'wolfi:rolling', searchedBy: 'openssl', rule: '3.3.1-r2 < fixed 3.3.1-r3 (apk)' },
    });
    expect(report.findings.find((x) => x.package.name === 'curl' && x.id === 'CVE-2023-38545')?.fixedVersion).toBe('8.4.0-r0');
    expect(report.findings.find((x) => x.package.name === 'busybox' && x.id === 'CVE-2022-28391')?.fixedVersion).toBe('1.35.0-r3');
  });

  it('a version at the fix is not affected by that advisory', async () => {
    const report = await scan(both);
    expect(report.findings.filter((x) => x.package.name === 'libssl3' && x.id === 'CVE-2024-5535')).toEqual([]);
    expect(report.findings.filter((x) => x.package.name === 'libcurl-openssl4' && x.id === 'CVE-2023-38545')).toEqual([]);
    // Later openssl fixes still apply to the subpackage, looked up by its origin.
    const libssl = report.findings.filter((x) => x.package.name === 'libssl3');
    expect(libssl.length).toBeGreaterThan(0);
    expect(libssl.every((x) => x.match.searchedBy === 'openssl')).toBe(true);
  });

  it('never uses Alpine secdb for a Wolfi image, even when the database holds it', async () => {
    const report = await scan(both);
    expect(report.findings.length).toBeGreaterThan(3);
    expect(new Set(report.findings.map((x) => `${x.match.feed} ${x.match.namespace}`))).toEqual(new Set(['wolfi wolfi:rolling']));
    const ids = report.findings.map((x) => x.id);
    expect(ids).not.toContain('CVE-2019-14697'); // musl, Alpine only
    expect(ids).not.toContain('CVE-2019-5747'); // busybox, Alpine only
    expect(report.warnings.filter((w) => w.code === 'no-data')).toEqual([]);
  });

  it('reports unfixed advisories with their Wolfi status, and --ignore-unfixed leaves them out', async () => {
    const pending = (await scan(both)).findings.filter((x) => x.status === 'pending-upstream-fix');
    expect(pending.length).toBeGreaterThan(0);
    expect(pending.every((x) => x.fixedVersion === null && x.package.name === 'busybox')).toBe(true);
    expect((await scan(both, '--ignore-unfixed')).findings.filter((x) => x.status !== undefined)).toEqual([]);
  });

  it('with no Wolfi data in the database: no findings from Alpine, and the no-data warning names Wolfi', async () => {
    const report = await scan(alpineOnly);
    expect(report.findings).toEqual([]);
    const noData = report.warnings.filter((w) => w.code === 'no-data').map((w) => w.message);
    expect(noData).toHaveLength(1);
    expect(noData[0]).toMatch(/no advisories for Wolfi \(wolfi 20230201\) \(namespace wolfi:rolling\).*zero findings does not mean clean/);
  });

  it('a corrupt advisories file is a one-line error (exit 2) naming it, and the database is kept', async () => {
    const bad = path.join(tmp, 'bad-vulndata');
    cpSync(path.join(from, 'wolfi-advisories'), path.join(bad, 'wolfi-advisories'), { recursive: true });
    const file = path.join(bad, 'wolfi-advisories', 'curl.advisories.yaml');
    writeFileSync(file, 'schema-version: 2.0.2\npackage:\n  name: curl\nadvisories:\n  - id: [unclosed\n');
    const before = readFileSync(both);
    const err = expectOneLineError(await runCli(['db', 'build', '--from', bad, '--feeds', 'wolfi', '--db', both, '-q']));
    expect(err).toContain(file);
    expect(readFileSync(both).equals(before)).toBe(true);
  });
});
