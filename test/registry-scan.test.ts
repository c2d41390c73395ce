/**
 * User-level: the same image scanned from its OCI layout, its docker archive and a real
 * docker-registry on 127.0.0.1 (pushed with skopeo, over TLS with htpasswd auth) gives the same
 * packages and findings.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { pushWithSkopeo, registryToolsMissing, startRegistry, type StartedRegistry } from './helpers/registry.js';
import { sharedPath } from './helpers/shared.js';

const images = sharedPath('images');
const vulndata = sharedPath('vulndata');

describe.skipIf(!images || !vulndata || registryToolsMissing())('one image, three transports', () => {
  let tmp = '';
  let db = '';
  let reg: StartedRegistry;
  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-transports-'));
    db = path.join(tmp, 'db.sqlite');
    expect((await runCli(['db', 'build', '--from', vulndata!, '--db', db, '--quiet'], { timeoutMs: 300_000 })).code).toBe(0);
    reg = await startRegistry({ tls: true, auth: { username: 'ci', password: 's3cret-pw' } });
  });
  afterAll(async () => {
    await reg?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  for (const name of ['alpine-3.7', 'debian-app']) {
    it(`${name}: OCI layout = docker archive = registry`, async () => {
      await pushWithSkopeo(`oci:${path.join(images!, 'oci', name)}:latest`, `docker://${reg.host}/shipshape/${name}:1.0`, reg);
      const refs = [
        [`oci:${path.join(images!, 'oci', name)}:latest`],
        [`docker-archive:${path.join(images!, 'docker-archive', `${name}.tar`)}`],
        [`${reg.host}/shipshape/${name}:1.0`, '--ca-cert', reg.caCert, '--username', 'ci', '--password', 's3cret-pw'],
      ];
      const results = [];
      for (const [ref, ...extra] of refs) {
        // --no-cache: each transport reads its own layers; --checks none: pinning checks depend on the reference kind.
        const r = await runCli(['scan', ref!, '--format', 'json', '--db', db, '--no-cache', '--checks', 'none', ...extra]);
        expect(r.code, r.stderr).toBe(0);
        const report = JSON.parse(r.stdout);
        results.push({ os: report.os, packages: report.packages, findings: report.findings, layers: report.image.layers });
      }
      expect(results[1]).toEqual(results[0]);
      expect(results[2]).toEqual(results[0]);
      expect(results[0]!.packages.length).toBeGreaterThan(10);
    });
  }

  it('credentials from the docker config file work too', async () => {
    const dockerConfig = path.join(tmp, 'docker');
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(dockerConfig, { recursive: true });
    writeFileSync(path.join(dockerConfig, 'config.json'), JSON.stringify({ auths: { [reg.host]: { auth: Buffer.from('ci:s3cret-pw').toString('base64') } } }));
    const r = await runCli(['scan', `${reg.host}/shipshape/alpine-3.7:1.0`, '--format', 'json', '--db', db, '--no-cache', '--ca-cert', reg.caCert], { env: { DOCKER_CONFIG: dockerConfig } });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).os.id).toBe('alpine');
  });
});

describe.skipIf(registryToolsMissing() || !vulndata)('outdated-base from the registry', () => {
  let reg: StartedRegistry;
  let tmp = '';
  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-base-'));
    reg = await startRegistry({ tls: false });
  });
  afterAll(async () => {
    await reg?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('--check-registry names a newer patch tag of the base image', async () => {
    const { buildImage, writeOciLayout } = await import('./helpers/image-builder.js');
    const { writeFileSync, mkdirSync } = await import('node:fs');
    const osRelease = { path: 'etc/os-release', content: 'ID=alpine\nVERSION_ID=3.10.2\n' };
    for (const tag of ['3.10.2', '3.10.9', '3.11.0']) {
      const dir = writeOciLayout(path.join(tmp, `base-${tag}`), await buildImage({ layers: [[osRelease]] }), { tag: 'latest' });
      await pushWithSkopeo(`oci:${dir}:latest`, `docker://${reg.host}/library/alpine:${tag}`, reg);
    }
    const app = writeOciLayout(
      path.join(tmp, 'app'),
      await buildImage({ layers: [[osRelease]], config: { config: { User: '1000', Labels: { 'org.opencontainers.image.base.name': `${reg.host}/library/alpine:3.10.2` } } } }),
      { tag: 'latest' },
    );
    const feeds = path.join(tmp, 'feeds', 'alpine-secdb', 'v3.10');
    mkdirSync(feeds, { recursive: true });
    writeFileSync(path.join(feeds, 'main.yaml'), 'distroversion: v3.10\nreponame: main\npackages: []\n');
    const db = path.join(tmp, 'db.sqlite');
    expect((await runCli(['db', 'build', '--from', path.join(tmp, 'feeds'), '--db', db, '-q'])).code).toBe(0);
    const r = await runCli(['scan', `oci:${app}`, '--db', db, '--no-cache', '--format', 'json', '--check-registry', '--insecure-registry', reg.host, '--checks', 'outdated-base']);
    expect(r.code, r.stderr).toBe(0);
    const messages = JSON.parse(r.stdout).findings.map((f: { message: string }) => f.message);
    expect(messages).toEqual([`base ${reg.host}/library/alpine:3.10.2 has a newer patch release in its registry: 3.10.9`]);
  });
});
