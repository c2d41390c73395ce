/**
 * User-level: every kind of bad input ends quickly in exactly one line on stderr and exit code 2,
 * never a stack trace or a hang, and never a half-written database.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneLineError, runCli } from './helpers/cli.js';
import { buildImage, corruptOciBlob, paxRecord, rawTar, writeDockerArchive, writeOciLayout } from './helpers/image-builder.js';
import { registryToolsMissing, startRegistry, type StartedRegistry } from './helpers/registry.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-bad-'));
const db = path.join(tmp, 'db.sqlite');
const feeds = path.join(tmp, 'feeds');

/** A tiny but real feed folder: one Alpine release with one fix. */
function writeFeeds(dir: string, yaml: string): void {
  mkdirSync(path.join(dir, 'alpine-secdb', 'v3.10'), { recursive: true });
  writeFileSync(path.join(dir, 'alpine-secdb', 'v3.10', 'main.yaml'), yaml);
}
const GOOD_SECDB = `---
distroversion: v3.10
reponame: main
urlprefix: http://dl-cdn.alpinelinux.org/alpine
apkurl: "{{urlprefix}}/{{distroversion}}/{{reponame}}/{{arch}}/{{pkg.name}}-{{pkg.ver}}.apk"
packages:
  - pkg:
      name: musl
      secfixes:
        1.1.22-r3:
          - CVE-2019-14697
`;

const scanArgs = (ref: string, ...extra: string[]) => ['scan', ref, '--db', db, '--no-cache', ...extra];
const layout = async (name: string, opts: Parameters<typeof buildImage>[0]) => writeOciLayout(path.join(tmp, name), await buildImage(opts), { tag: 'latest' });
const osRelease = { path: 'etc/os-release', content: 'ID=alpine\nVERSION_ID=3.10.9\n' };

beforeAll(async () => {
  writeFeeds(feeds, GOOD_SECDB);
  const r = await runCli(['db', 'build', '--from', feeds, '--db', db, '--quiet']);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('bad images', () => {
  it('a truncated gzip layer', async () => {
    const dir = await layout('truncated', { layers: [{ entries: [osRelease, { path: 'big', content: Buffer.alloc(100_000, 7) }], mutate: (b) => b.subarray(0, b.length - 200) }] });
    expect(expectOneLineError(await runCli(scanArgs(`oci:${dir}`)))).toMatch(/truncated|corrupt|unexpected end/i);
  });

  it('a blob whose content does not match its digest', async () => {
    const img = await buildImage({ layers: [[osRelease]] });
    const dir = writeOciLayout(path.join(tmp, 'mismatch'), img, { tag: 'latest' });
    corruptOciBlob(dir, img.layers[0]!.digest, (b) => Buffer.concat([b.subarray(0, 10), Buffer.from([b[10]! ^ 0xff]), b.subarray(11)]));
    expect(expectOneLineError(await runCli(scanArgs(`oci:${dir}`)))).toMatch(/digest|corrupt/i);
  });

  it('a tar entry escaping the root', async () => {
    const dir = await layout('escape', { layers: [[osRelease, { path: '../../etc/evil', content: 'x' }]] });
    expect(expectOneLineError(await runCli(scanArgs(`oci:${dir}`)))).toMatch(/escape|unsafe|\.\./i);
  });

  it('a decompression bomb past the documented limit', async () => {
    const dir = await layout('bomb', { layers: [[osRelease, { path: 'zeros', zeros: 8 * 1024 * 1024 }]] });
    const r = await runCli(scanArgs(`oci:${dir}`), { env: { SHIPSHAPE_MAX_LAYER_BYTES: String(1024 * 1024) } });
    expect(expectOneLineError(r)).toMatch(/limit/i);
  });

  it('a malformed index.json', async () => {
    const dir = await layout('badindex', { layers: [[osRelease]] });
    writeFileSync(path.join(dir, 'index.json'), '{"schemaVersion": 2, "manifests": [');
    expect(expectOneLineError(await runCli(scanArgs(`oci:${dir}`)))).toMatch(/index\.json|JSON/i);
  });

  it('a malformed manifest.json in a docker archive', async () => {
    const file = path.join(tmp, 'bad.tar');
    await writeDockerArchive(file, await buildImage({ layers: [[osRelease]] }), { mutate: (members) => members.map((m) => (m.name === "manifest.json" ? { ...m, data: Buffer.from(`[{"Config": 7}]`) } : m)) });
    expect(expectOneLineError(await runCli(scanArgs(`docker-archive:${file}`)))).toMatch(/manifest/i);
  });

  it('an unknown layer media type', async () => {
    const dir = await layout('mediatype', { layers: [{ entries: [osRelease], mediaType: 'application/vnd.example.unknown' }] });
    expect(expectOneLineError(await runCli(scanArgs(`oci:${dir}`)))).toMatch(/media type/i);
  });

  it('a path that does not exist, and a reference that does not parse', async () => {
    expectOneLineError(await runCli(scanArgs(`oci:${path.join(tmp, 'nope')}`)));
    expectOneLineError(await runCli(scanArgs('UPPER/Case::bad')));
  });
});

describe('hostile inputs end in one line and exit 2 (issue 8)', () => {
  it('a docker archive whose pax header says size=-1536 (was an endless loop)', async () => {
    const file = path.join(tmp, 'pax-negative.tar');
    writeFileSync(file, rawTar([{ name: 'PaxHeaders/manifest.json', typeflag: 'x', data: paxRecord('size', '-1536') }, { name: 'manifest.json', data: 'x'.repeat(2048) }]));
    expect(expectOneLineError(await runCli(scanArgs(`docker-archive:${file}`), { timeoutMs: 30_000 }))).toMatch(/pax-negative\.tar.*invalid pax size "-1536"/);
  });

  it('a layer of entries with 3.9 MB pax paths (was 2.6 GB of memory): the 1 MiB extension header limit', async () => {
    const long = rawTar([
      { name: 'PaxHeaders/a', typeflag: 'x', data: paxRecord('path', `a/${'b'.repeat(3_900_000)}`) },
      { name: 'a', data: 'x' },
    ]).subarray(0, -1024);
    const tarBytes = Buffer.concat([...Array.from({ length: 5 }, () => long), Buffer.alloc(1024)]);
    const dir = await layout('long-paths', { layers: [[osRelease]] });
    // Swap the layer for the raw one, keeping digests true so only the limit can refuse it.
    const { createHash } = await import('node:crypto');
    const zlib = await import('node:zlib');
    const gz = zlib.gzipSync(tarBytes, { level: 1 });
    const hex = (b: Buffer) => createHash('sha256').update(b).digest('hex');
    const img = await buildImage({ layers: [{ entries: [osRelease], mutate: () => gz, diffId: `sha256:${hex(tarBytes)}` }] });
    writeOciLayout(dir, img, { tag: 'latest' });
    expect(expectOneLineError(await runCli(scanArgs(`oci:${dir}`)))).toMatch(/^shipshape: layer sha256:[0-9a-f]{64}: a pax-header header of 3900\d{3} bytes \(limit 1048576\)$/);
  });

  it('a lockfile over the document limit is refused naming the file and the limit, not parsed whole', async () => {
    const lock = JSON.stringify({ lockfileVersion: 3, packages: Object.fromEntries(Array.from({ length: 30_000 }, (_, i) => [`node_modules/p${i}`, { version: '1.0.0' }])) });
    const dir = await layout('big-lock', { layers: [[osRelease, { path: 'app/package-lock.json', content: lock }]] });
    const r = await runCli(scanArgs(`oci:${dir}`), { env: { SHIPSHAPE_MAX_DOCUMENT_BYTES: String(256 * 1024) } });
    expect(expectOneLineError(r)).toMatch(/\/app\/package-lock\.json is \d+ bytes, over the limit of 262144 for a lockfile.*SHIPSHAPE_MAX_DOCUMENT_BYTES/);
  });

  it('a CycloneDX SBOM nested 50,000 deep', async () => {
    const file = path.join(tmp, 'deep.cdx.json');
    writeFileSync(file, `{"bomFormat":"CycloneDX","specVersion":"1.6","components":${'[{"type":"library","name":"x","components":'.repeat(50_000)}[]${'}]'.repeat(50_000)}}`);
    expect(expectOneLineError(await runCli(scanArgs(`sbom:${file}`)))).toBe(`shipshape: ${file}: JSON nested more than 128 levels deep (limit for an SBOM)`);
  });

  it('a database whose advisories table is gone (was "no such table: advisories (SQLITE_ERROR)")', async () => {
    const broken = path.join(tmp, 'no-advisories.db');
    writeFileSync(broken, readFileSync(db));
    const Database = (await import('better-sqlite3')).default;
    const d = new Database(broken);
    d.exec('DROP TABLE advisories');
    d.close();
    expect(expectOneLineError(await runCli(['scan', 'oci:/nowhere', '--db', broken]))).toBe(
      `shipshape: ${broken}: damaged shipshape database (table advisories is missing): run shipshape db build`,
    );
  });
});

describe('whiteouts (issue 8, item 3)', () => {
  it('a lockfile written without directory entries, then /app whited out: not scanned', async () => {
    const lock = JSON.stringify({ lockfileVersion: 3, packages: { '': { name: 'app' }, 'node_modules/left-pad': { version: '1.0.0' } } });
    const dir = await layout('whiteout-app', {
      layers: [[osRelease, { path: 'app/sub/package-lock.json', content: lock }], [{ path: '.wh.app', content: '' }]],
    });
    const r = await runCli(scanArgs(`oci:${dir}`, '--format', 'json', '--quiet'));
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { packages: Array<{ name: string }> };
    expect(report.packages.map((p) => p.name)).not.toContain('left-pad');
  });
});

describe('bad databases and feeds', () => {
  it('a --db path that is not a shipshape database', async () => {
    const junk = path.join(tmp, 'junk.db');
    writeFileSync(junk, 'hello, I am not SQLite');
    expect(expectOneLineError(await runCli(['db', 'status', '--db', junk]))).toMatch(/not a shipshape database/);
    expect(expectOneLineError(await runCli(['scan', 'oci:/nowhere', '--db', junk]))).toMatch(/not a shipshape database/);
  });

  it('a corrupt feed file fails the build and leaves the previous database untouched', async () => {
    const before = createHash('sha256').update(readFileSync(db)).digest('hex');
    const bad = path.join(tmp, 'badfeeds');
    writeFeeds(bad, 'packages: [ {pkg: {name: musl, secfixes: {"1.1.22-r3": [CVE-2019-14697]}}\n  - : : :\n');
    expect(expectOneLineError(await runCli(['db', 'build', '--from', bad, '--db', db, '--quiet']))).toMatch(/alpine-secdb|main\.yaml/);
    expect(createHash('sha256').update(readFileSync(db)).digest('hex')).toBe(before);
    expect(readdirSync(path.dirname(db)).filter((f) => f.includes('.tmp'))).toEqual([]);
  });

  it('usage errors: unknown flag, unknown format, bad severity', async () => {
    expectOneLineError(await runCli(['scan', 'oci:/x', '--bogus']));
    expectOneLineError(await runCli(scanArgs('oci:/x', '--format', 'xml')));
    expectOneLineError(await runCli(scanArgs('oci:/x', '--fail-on', 'severe')));
  });
});

describe.skipIf(registryToolsMissing())('registry errors', () => {
  let reg: StartedRegistry;
  beforeAll(async () => {
    reg = await startRegistry({ tls: true, auth: { username: 'alice', password: 'right' } });
  });
  afterAll(async () => reg?.stop());

  it('an unreachable registry', async () => {
    const r = await runCli(scanArgs('127.0.0.1:1/app:1.0', '--timeout', '3s'));
    expect(expectOneLineError(r)).toMatch(/127\.0\.0\.1:1/);
  });

  it('401 with a wrong password', async () => {
    const r = await runCli(scanArgs(`${reg.host}/app:1.0`, '--ca-cert', reg.caCert, '--username', 'alice', '--password', 'wrong'));
    expect(expectOneLineError(r)).toMatch(/authentication failed|unauthorized/i);
  });

  it('404 for a tag', async () => {
    const r = await runCli(scanArgs(`${reg.host}/app:nope`, '--ca-cert', reg.caCert, '--username', 'alice', '--password', 'right'));
    expect(expectOneLineError(r)).toMatch(/not found/i);
  });
});
