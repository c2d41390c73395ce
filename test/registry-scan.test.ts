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
