/** User-level: `shipshape lint` on files and standard input, exit codes, and JSON findings with lines. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { expectOneLineError, runCli } from './helpers/cli.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-lint-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const GOOD = `# syntax=docker/dockerfile:1
FROM golang:1.22@sha256:${'a'.repeat(64)} AS build
WORKDIR /src
COPY . .
RUN CGO_ENABLED=0 go build -o /out/server .

FROM gcr.io/distroless/static-debian12:nonroot@sha256:${'b'.repeat(64)}
COPY --from=build /out/server /server
USER 65532:65532
ENTRYPOINT ["/server"]
`;

const BAD = `FROM node
RUN apt-get update && apt-get install -y curl \\
    && curl -fsSL https://example.com/install.sh | bash
ENV API_TOKEN=Zx81-kq0Pw-77aLm
USER root
`;

describe('shipshape lint', () => {
  it('a clean multi-stage Dockerfile passes with no findings', async () => {
    const file = path.join(tmp, 'Dockerfile.good');
    writeFileSync(file, GOOD);
    const r = await runCli(['lint', file, '--format', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).findings).toEqual([]);
  });

  it('a bad Dockerfile fails with line-numbered findings, names secrets but never their values', async () => {
    const file = path.join(tmp, 'Dockerfile.bad');
    writeFileSync(file, BAD);
    const r = await runCli(['lint', file, '--format', 'json']);
    expect(r.code).toBe(1);
    const findings = JSON.parse(r.stdout).findings as Array<{ kind: string; id: string; line: number; aliases: string[]; message: string }>;
    const byId = (id: string) => findings.find((f) => f.id === id);
    expect(findings.every((f) => f.kind === 'lint')).toBe(true);
    expect(byId('untagged-image')).toMatchObject({ line: 1, aliases: ['DL3006'] });
    expect(byId('curl-pipe-shell')?.line).toBe(2);
    expect(byId('hardcoded-secret')?.line).toBe(4);
    expect(byId('root-user')).toMatchObject({ line: 5, aliases: ['DL3002'] });
    expect(r.stdout).not.toContain('Zx81-kq0Pw-77aLm');
  });

  it('reads standard input, honours --fail-on and --disable', async () => {
    const r = await runCli(['lint', '-', '--fail-on', 'critical', '--disable', 'DL3006'], { input: BAD });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('untagged-image');
    expect(r.stdout).toContain('curl-pipe-shell');
  });

  it('takes allowed registries, allowed bases and the threshold from ./shipshape.yaml', async () => {
    const dir = path.join(tmp, 'with-policy');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, 'shipshape.yaml'), 'failOn: critical\nallowedRegistries: [registry.example]\nallowedBaseImages: [registry.example/base/runtime]\n');
    writeFileSync(path.join(dir, 'Dockerfile'), GOOD);
    const r = await runCli(['lint', '--format', 'json'], { cwd: dir });
    const ids = JSON.parse(r.stdout).findings.map((f: { id: string }) => f.id);
    expect(ids).toContain('untrusted-registry'); // golang and gcr.io are not registry.example
    // failOn: critical from the file: untrusted-registry (high) is reported but does not fail.
    expect(JSON.parse(r.stdout).verdict.failOn).toBe('critical');
    expect(r.code).toBe(0);
    const flags = await runCli(['lint', '--format', 'json', '--allowed-registry', 'docker.io', '--allowed-registry', 'gcr.io', '--fail-on', 'low'], { cwd: dir });
    expect(JSON.parse(flags.stdout).findings.map((f: { id: string }) => f.id)).not.toContain('untrusted-registry');
    expect((await runCli(['lint', '--no-policy', '--format', 'json'], { cwd: dir })).code).toBe(0);
  });

  it('a missing file is a one-line error with exit 2', async () => {
    expect(expectOneLineError(await runCli(['lint', path.join(tmp, 'nope')]))).toMatch(/cannot read/);
  });
});

describe('shipshape scan --dockerfile', () => {
  it('adds lint findings to the image report, located at Dockerfile lines in SARIF', async () => {
    const { buildImage, writeOciLayout } = await import('./helpers/image-builder.js');
    const { mkdirSync } = await import('node:fs');
    const image = writeOciLayout(path.join(tmp, 'img'), await buildImage({ layers: [[{ path: 'etc/os-release', content: 'ID=alpine\nVERSION_ID=3.10.9\n' }]] }), { tag: 'latest' });
    const feeds = path.join(tmp, 'feeds', 'alpine-secdb', 'v3.10');
    mkdirSync(feeds, { recursive: true });
    writeFileSync(path.join(feeds, 'main.yaml'), 'distroversion: v3.10\nreponame: main\npackages: []\n');
    const db = path.join(tmp, 'db.sqlite');
    expect((await runCli(['db', 'build', '--from', path.join(tmp, 'feeds'), '--db', db, '-q'])).code).toBe(0);
    const dockerfile = path.join(tmp, 'Dockerfile.scan');
    writeFileSync(dockerfile, BAD);
    const r = await runCli(['scan', `oci:${image}`, '--db', db, '--no-cache', '--dockerfile', dockerfile, '--format', 'sarif', '--checks', 'none']);
    expect(r.code, r.stderr).toBe(0);
    const sarif = JSON.parse(r.stdout);
    const curl = sarif.runs[0].results.find((x: { ruleId: string }) => x.ruleId === 'curl-pipe-shell');
    expect(curl.locations[0].physicalLocation.region.startLine).toBe(2);
    expect(curl.locations[0].physicalLocation.artifactLocation.uri).toContain('Dockerfile.scan');
    // A pragma in the Dockerfile keeps its finding out of the scan's findings, listed as suppressed.
    writeFileSync(dockerfile, `# hadolint global ignore=DL3006\n${BAD}`);
    const j = await runCli(['scan', `oci:${image}`, '--db', db, '--no-cache', '--dockerfile', dockerfile, '--format', 'json', '--checks', 'none']);
    const scanned = JSON.parse(j.stdout) as { findings: Array<{ id: string }>; suppressed: Array<{ id: string; suppression: { kind: string } }> };
    expect(scanned.findings.map((f) => f.id)).not.toContain('untagged-image');
    expect(scanned.findings.map((f) => f.id)).toContain('curl-pipe-shell');
    expect(scanned.suppressed.map((f) => [f.id, f.suppression.kind])).toEqual([['untagged-image', 'pragma']]);
    expectOneLineError(await runCli(['scan', `oci:${image}`, '--db', db, '--dockerfile', path.join(tmp, 'missing')]));
  });

  it('inline pragmas silence findings: listed as suppressed in JSON, inSource suppressions in SARIF', async () => {
    const text = `FROM gcr.io/distroless/static-debian12:nonroot@sha256:${'b'.repeat(64)}\n# hadolint ignore=DL3025\nCMD /server --serve\n`;
    const json = await runCli(['lint', '-', '--format', 'json'], { input: text });
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout);
    expect(report.findings).toEqual([]);
    expect(report.suppressed.map((f: { id: string; line: number; suppression: { kind: string } }) => [f.id, f.line, f.suppression.kind])).toEqual([['shell-form-cmd', 3, 'pragma']]);
    const sarif = JSON.parse((await runCli(['lint', '-', '--format', 'sarif'], { input: text })).stdout);
    expect(sarif.runs[0].results.map((r: { ruleId: string; suppressions: Array<{ kind: string }> }) => [r.ruleId, r.suppressions[0]!.kind])).toEqual([['shell-form-cmd', 'inSource']]);
    // Without the pragma the same file fails.
    expect((await runCli(['lint', '-'], { input: text.replace('# hadolint ignore=DL3025\n', '') })).code).toBe(1);
  });
});
