/**
 * A verdict flip re-attests the image (promote's attest(), by digest, with the re-matched report):
 * verify() then reads a fresh, failing scan attestation signed by the configured key.
 */
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptPrivateKey } from '../src/attest/keys.js';
import { verify } from '../src/attest/verify.js';
import { buildDb } from '../src/db/index.js';
import { getFeed } from '../src/feeds/registry.js';
import { attestWithKey } from '../src/monitor/attest.js';
import { closeMonitor, openContext, parseConfig, runRound, type MonitorContext } from '../src/monitor/index.js';
import { pushWithSkopeo, registryToolsMissing, startRegistry, type StartedRegistry } from './helpers/registry.js';
import { sharedPath } from './helpers/shared.js';

const vulndata = sharedPath('vulndata/alpine-secdb');
const images = sharedPath('images/oci');

describe.skipIf(!vulndata || !images || registryToolsMissing())('monitor re-attests on a verdict flip', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-monattest-'));
  const feeds = path.join(tmp, 'vulndata');
  const dbPath = path.join(tmp, 'shipshape.db');
  let reg: StartedRegistry;
  let ctx: MonitorContext;
  let publicKeyPem = '';
  const build = () => buildDb({ path: dbPath, from: feeds, feeds: [getFeed('alpine-secdb')!], cacheDir: path.join(tmp, 'fc') });

  beforeAll(async () => {
    cpSync(vulndata!, path.join(feeds, 'alpine-secdb'), { recursive: true });
    await build();
    reg = await startRegistry();
    await pushWithSkopeo(`oci:${path.join(images!, 'alpine-3.10')}:latest`, `docker://${reg.host}/apps/a:1`, reg);
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const keyFile = path.join(tmp, 'cosign.key');
    writeFileSync(keyFile, encryptPrivateKey(privateKey.export({ type: 'pkcs8', format: 'der' }), 'pw'));
    const text = `advisoryDb: ${dbPath}\nwatch:\n  - registry: ${reg.host}\n    insecure: true\n    repositories: ["apps/a"]\nfailOn: unknown\nimageChecks: []\nattest:\n  key: cosign.key\n`;
    const config = parseConfig(text, path.join(tmp, 'monitor.yaml'));
    const attest = await attestWithKey(config.attestKey!, config.watch, {}, { SHIPSHAPE_KEY_PASSWORD: 'pw' });
    ctx = await openContext(config, { store: path.join(tmp, 'm.db'), cacheDir: null, attest });
  });
  afterAll(async () => {
    if (ctx) await closeMonitor(ctx);
    await reg?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('a wrong passphrase is a one-line bad-key error at start-up', async () => {
    await expect(attestWithKey(path.join(tmp, 'cosign.key'), [], {}, { SHIPSHAPE_KEY_PASSWORD: 'wrong' })).rejects.toThrow(/^attest\.key: /);
  });

  it('pass → fail after a database update: a fresh signed attestation says fail, with the new finding', async () => {
    const first = await runRound(ctx, { reason: 'test' });
    expect(first.events).toEqual({ scanned: 1 });
    const main = path.join(feeds, 'alpine-secdb', 'v3.10', 'main.yaml');
    const doc = parseYaml(readFileSync(main, 'utf8')) as { packages: Array<{ pkg: { name: string; secfixes: Record<string, string[]> } }> };
    doc.packages.find((p) => p.pkg.name === 'busybox')!.pkg.secfixes['1.30.1-r99'] = ['CVE-2099-0003'];
    writeFileSync(main, stringifyYaml(doc));
    await build();
    const r = await runRound(ctx, { reason: 'db-change' });
    expect(r.events).toMatchObject({ new: 2, verdict: 1, attested: 1 });
    const img = (await ctx.store.images())[0]!;
    expect(img.attestation).toMatchObject({ ok: true, verdict: 'fail' });
    const v = await verify(`${reg.host}/apps/a:1`, { keys: [publicKeyPem], requireSignature: false, registry: { insecureRegistries: [reg.host] } });
    expect(v.digest).toBe(img.digest);
    expect(v.attestation?.predicate.verdict).toBe('fail');
    expect(v.attestation?.predicate.findings).toContain('CVE-2099-0003');
  });
});
