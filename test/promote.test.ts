/**
 * User-level: `shipshape promote`, `attest` and `verify` against a real docker-registry (TLS +
 * htpasswd, no referrers API) and, through an in-test proxy, an OCI 1.1 referrers API. What is
 * signed is checked independently: openssl over the cosign payload and over DSSE PAE bytes the test
 * computes itself, skopeo for digests, @sigstore/verify for the bundle.
 */
import { spawnSync } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { bundleFromJSON } from '@sigstore/bundle';
import { toSignedEntity, Verifier } from '@sigstore/verify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneLineError, runCli, type CliResult } from './helpers/cli.js';
import { startReferrersProxy, type ReferrersProxy } from './helpers/referrers-proxy.js';
import { pushWithSkopeo, registryToolsMissing, startRegistry, type StartedRegistry } from './helpers/registry.js';
import { sharedPath } from './helpers/shared.js';

const images = sharedPath('images');
const vulndata = sharedPath('vulndata');
const missing = !images || !vulndata ? 'no ../shared' : registryToolsMissing();
const USER = { username: 'ci', password: 'pr0mote-pw' };

interface Got {
  status: number;
  body: Buffer;
  headers: http.IncomingHttpHeaders;
}

describe.skipIf(missing)('promote, attest, verify against docker-registry', () => {
  let tmp = '';
  let db = '';
  let reg: StartedRegistry;
  let plain: StartedRegistry;
  let key = '';
  let pub = '';
  let otherPub = '';
  const env = { SHIPSHAPE_KEY_PASSWORD: 'k3y-pass' };
  const oci = (name: string) => `oci:${path.join(images!, 'oci', name)}:latest`;

  /** GET from the TLS registry with its CA and credentials. */
  function get(p: string, accept = 'application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json'): Promise<Got> {
    return new Promise((resolve, reject) => {
      const auth = Buffer.from(`${USER.username}:${USER.password}`).toString('base64');
      https
        .get(`https://${reg.host}${p}`, { ca: readFileSync(reg.caCert), headers: { authorization: `Basic ${auth}`, accept } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
        })
        .on('error', reject);
    });
  }
  function put(p: string, body: Buffer, type = 'application/vnd.oci.image.manifest.v1+json'): Promise<Got> {
    return new Promise((resolve, reject) => {
      const auth = Buffer.from(`${USER.username}:${USER.password}`).toString('base64');
      const req = https.request(`https://${reg.host}${p}`, { method: 'PUT', ca: readFileSync(reg.caCert), headers: { authorization: `Basic ${auth}`, 'content-type': type } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }
  const json = async (p: string) => JSON.parse((await get(p)).body.toString('utf8')) as Record<string, any>;
  const tags = async (repo: string) => {
    const r = await get(`/v2/${repo}/tags/list`);
    return r.status === 404 ? [] : ((JSON.parse(r.body.toString('utf8')) as { tags: string[] | null }).tags ?? []);
  };
  const tls = () => ['--ca-cert', reg.caCert];
  const dest = () => [...tls(), '--dest-username', USER.username, '--dest-password', USER.password];
  const common = () => ['--key', key, '--db', db, '--no-policy', '--no-cache', '--quiet'];
  const promote = (src: string, to: string, extra: string[] = [], e: Record<string, string> = {}) =>
    runCli(['promote', src, `${reg.host}/${to}`, ...common(), ...dest(), ...extra], { env: { ...env, ...e }, timeoutMs: 180_000 });
  const verify = (image: string, extra: string[] = []) =>
    runCli(['verify', `${reg.host}/${image}`, '--key', pub, ...tls(), '--username', USER.username, '--password', USER.password, ...extra], { timeoutMs: 60_000 });
  const lastLine = (r: CliResult) => r.stdout.trimEnd().split('\n').at(-1)!;
  const opensslVerify = (data: Buffer, sigB64: string, pubFile: string) => {
    writeFileSync(path.join(tmp, 'data.bin'), data);
    writeFileSync(path.join(tmp, 'sig.bin'), Buffer.from(sigB64, 'base64'));
    return spawnSync('openssl', ['dgst', '-sha256', '-verify', pubFile, '-signature', path.join(tmp, 'sig.bin'), path.join(tmp, 'data.bin')]).status;
  };
  const sigTag = (digest: string) => `sha256-${digest.slice(7)}.sig`;
  const attTag = (digest: string) => `sha256-${digest.slice(7)}.att`;

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-promote-'));
    db = path.join(tmp, 'db.sqlite');
    const built = await runCli(['db', 'build', '--from', vulndata!, '--db', db, '--feeds', 'alpine-secdb,debian-tracker', '--quiet'], { timeoutMs: 300_000 });
    expect(built.code, built.stderr).toBe(0);
    reg = await startRegistry({ tls: true, auth: USER });
    plain = await startRegistry();
    const gen = await runCli(['key', 'generate', '--output', path.join(tmp, 'signer')], { env });
    expect(gen.code, gen.stderr).toBe(0);
    key = path.join(tmp, 'signer.key');
    pub = path.join(tmp, 'signer.pub');
    expect(gen.stdout + gen.stderr).not.toMatch(/PRIVATE KEY|MHc|eyJ/);
    const other = await runCli(['key', 'generate', '--output', path.join(tmp, 'other')], { env });
    expect(other.code).toBe(0);
    otherPub = path.join(tmp, 'other.pub');
  }, 300_000);

  afterAll(async () => {
    await reg?.stop();
    await plain?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('key generate writes the private key 0600 in the encrypted sigstore format', () => {
    expect(readFileSync(key, 'utf8')).toMatch(/^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----/);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(() => createPublicKey(readFileSync(pub, 'utf8'))).not.toThrow();
  });

  let alpineDigest = '';
  it('alpine-3.20: promoted over TLS + htpasswd, same digest, cosign .sig verified by openssl, DSSE PAE verified by openssl', async () => {
    const r = await promote(oci('alpine-3.20'), 'app/alpine:3.20');
    expect(r.code, r.stderr).toBe(0);
    alpineDigest = /@(sha256:[a-f0-9]{64})$/.exec(lastLine(r))![1]!;
    expect(lastLine(r)).toBe(`${reg.host}/app/alpine@${alpineDigest}`);
    const expected = JSON.parse(readFileSync(path.join(images!, 'oci', 'alpine-3.20', 'index.json'), 'utf8')).manifests[0].digest as string;
    expect(alpineDigest).toBe(expected);
    expect(await tags('app/alpine')).toEqual(expect.arrayContaining(['3.20', sigTag(alpineDigest), attTag(alpineDigest), `sha256-${alpineDigest.slice(7)}`]));
    const head = await get(`/v2/app/alpine/manifests/3.20`);
    expect(head.headers['docker-content-digest']).toBe(alpineDigest);

    // The cosign signature, as SIGNATURE_SPEC.md lays it out.
    const sig = await json(`/v2/app/alpine/manifests/${sigTag(alpineDigest)}`);
    const layer = sig.layers[0];
    expect(layer.mediaType).toBe('application/vnd.dev.cosign.simplesigning.v1+json');
    const payload = (await get(`/v2/app/alpine/blobs/${layer.digest}`)).body;
    const doc = JSON.parse(payload.toString('utf8'));
    expect(doc.critical.image['docker-manifest-digest']).toBe(alpineDigest);
    expect(doc.critical.type).toBe('cosign container image signature');
    expect(opensslVerify(payload, layer.annotations['dev.cosignproject.cosign/signature'], pub)).toBe(0);
    expect(opensslVerify(payload, layer.annotations['dev.cosignproject.cosign/signature'], otherPub)).not.toBe(0);

    // The attestations: DSSE envelopes; PAE computed here, verified by openssl.
    const att = await json(`/v2/app/alpine/manifests/${attTag(alpineDigest)}`);
    const types = att.layers.map((l: any) => l.annotations.predicateType);
    expect(types).toEqual(['https://shipshape.dev/attestations/scan/v1', 'https://cyclonedx.org/bom']);
    for (const l of att.layers) {
      expect(l.mediaType).toBe('application/vnd.dsse.envelope.v1+json');
      const env = JSON.parse((await get(`/v2/app/alpine/blobs/${l.digest}`)).body.toString('utf8'));
      const body = Buffer.from(env.payload, 'base64');
      const pae = Buffer.concat([Buffer.from(`DSSEv1 ${Buffer.byteLength(env.payloadType)} ${env.payloadType} ${body.length} `), body]);
      expect(opensslVerify(pae, env.signatures[0].sig, pub)).toBe(0);
      expect(opensslVerify(pae, env.signatures[0].sig, otherPub)).not.toBe(0);
      const st = JSON.parse(body.toString('utf8'));
      expect(st._type).toBe('https://in-toto.io/Statement/v1');
      expect(st.subject[0].digest.sha256).toBe(alpineDigest.slice(7));
      if (st.predicateType.includes('shipshape')) {
        expect(st.predicate).toMatchObject({ verdict: 'pass', reasons: [], scanner: { name: 'shipshape' }, db: { builtAt: expect.any(String), digest: expect.stringMatching(/^sha256:/) } });
        expect(st.predicate.policyDigest).toMatch(/^sha256:[a-f0-9]{64}$/);
        expect(Object.keys(st.predicate.counts)).toEqual(expect.arrayContaining(['critical', 'high', 'medium', 'low']));
      } else {
        expect(st.predicate.bomFormat).toBe('CycloneDX');
      }
    }
    // skopeo, an independent client, sees the image by the same digest.
    const certDir = path.join(tmp, 'certs');
    cpSync(reg.caCert, path.join(certDir, 'ca.crt'));
    const sk = spawnSync('skopeo', ['inspect', '--format', '{{.Digest}}', '--cert-dir', certDir, '--creds', `${USER.username}:${USER.password}`, `docker://${reg.host}/app/alpine:3.20`], { env: { ...process.env, HOME: tmp } });
    expect(sk.status, sk.stderr.toString()).toBe(0);
    expect(sk.stdout.toString().trim()).toBe(alpineDigest);
  }, 200_000);

  it('verify: exit 0 with the key; exit 1 naming the reason with another key, with --max-age 0s; json output', async () => {
    const ok = await verify('app/alpine:3.20', ['--max-age', '7d', '--require-pass']);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^verified$/m);
    const other = await runCli(['verify', `${reg.host}/app/alpine@${alpineDigest}`, '--key', otherPub, ...tls(), '--username', USER.username, '--password', USER.password]);
    expect(other.code).toBe(1);
    expect(other.stdout).toMatch(/no signature by a trusted key/);
    expect(other.stdout).toMatch(/no valid scan attestation by a trusted key/);
    const old = await verify('app/alpine:3.20', ['--max-age', '0s', '--format', 'json']);
    expect(old.code).toBe(1);
    const res = JSON.parse(old.stdout);
    expect(res.reasons).toEqual([expect.stringMatching(/^attestation is \d+s old, more than 0s$/)]);
    expect(res).toMatchObject({ digest: alpineDigest, verified: false, signature: { found: true, valid: true } });
    expect(res.attestation.keyId).toMatch(/^[a-f0-9]{64}$/);
  }, 120_000);

  it('verify --format sigstore-bundle and attest --bundle: @sigstore/verify accepts them with the public key', async () => {
    const file = path.join(tmp, 'bundle.json');
    const r = await verify('app/alpine:3.20', ['--format', 'sigstore-bundle', '--output', file]);
    expect(r.code, r.stderr).toBe(0);
    const trust = { certificateAuthorities: [], timestampAuthorities: [], tlogs: [], ctlogs: [], publicKey: () => ({ publicKey: createPublicKey(readFileSync(pub, 'utf8')), validFor: () => true }) };
    const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
    expect(() => verifier.verify(toSignedEntity(bundleFromJSON(JSON.parse(readFileSync(file, 'utf8')))))).not.toThrow();
    const wrong = { ...trust, publicKey: () => ({ publicKey: createPublicKey(readFileSync(otherPub, 'utf8')), validFor: () => true }) };
    expect(() => new Verifier(wrong, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(toSignedEntity(bundleFromJSON(JSON.parse(readFileSync(file, 'utf8')))))).toThrow();

    const b2 = path.join(tmp, 'attest-bundle.json');
    const a = await runCli(['attest', `${reg.host}/app/alpine:3.20`, ...common(), ...tls(), '--username', USER.username, '--password', USER.password, '--bundle', b2], { env, timeoutMs: 180_000 });
    expect(a.code, a.stderr).toBe(0);
    expect(() => verifier.verify(toSignedEntity(bundleFromJSON(JSON.parse(readFileSync(b2, 'utf8')))))).not.toThrow();
    // The new attestation is appended: the .att tag now holds four envelopes, and verify picks the newest.
    const att = await json(`/v2/app/alpine/manifests/${attTag(alpineDigest)}`);
    expect(att.layers).toHaveLength(4);
  }, 200_000);

  it('alpine-3.20-multiarch: every platform promoted, the index digest unchanged, statements name each platform', async () => {
    const r = await promote(oci('alpine-3.20-multiarch'), 'app/multi:1', ['--format', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    const layoutTop = JSON.parse(readFileSync(path.join(images!, 'oci', 'alpine-3.20-multiarch', 'index.json'), 'utf8')).manifests[0].digest;
    expect(out.digest).toBe(layoutTop);
    expect(out.reports.map((x: any) => x.platform).sort()).toEqual(['linux/amd64', 'linux/arm64/v8']);
    const idx = await get(`/v2/app/multi/manifests/1`);
    expect(idx.headers['docker-content-digest']).toBe(layoutTop);
    const index = JSON.parse(idx.body.toString('utf8'));
    for (const m of index.manifests) expect((await get(`/v2/app/multi/manifests/${m.digest}`)).status).toBe(200);
    const att = await json(`/v2/app/multi/manifests/${attTag(layoutTop)}`);
    const scanEnv = JSON.parse((await get(`/v2/app/multi/blobs/${att.layers[0].digest}`)).body.toString('utf8'));
    const st = JSON.parse(Buffer.from(scanEnv.payload, 'base64').toString('utf8'));
    expect(st.subject.map((s: any) => `sha256:${s.digest.sha256}`).sort()).toEqual([layoutTop, ...index.manifests.map((m: any) => m.digest)].sort());
    expect((await verify(`app/multi@${layoutTop}`)).code).toBe(0);
  }, 200_000);

  it('a failing verdict (alpine-3.7, --fail-on high): exit 1, and nothing at all is written to DEST', async () => {
    const r = await promote(oci('alpine-3.7'), 'app/old:3.7', ['--fail-on', 'high', '--format', 'json=' + path.join(tmp, 'old.json')]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/verdict fail: nothing written to/);
    expect(await tags('app/old')).toEqual([]);
    const blob = JSON.parse(readFileSync(path.join(images!, 'oci', 'alpine-3.7', 'index.json'), 'utf8')).manifests[0].digest;
    expect((await get(`/v2/app/old/manifests/${blob}`)).status).toBe(404);
    const catalog = await json('/v2/_catalog');
    expect(catalog.repositories).not.toContain('app/old');
    // The report is written as for scan.
    expect(JSON.parse(readFileSync(path.join(tmp, 'old.json'), 'utf8')).verdict.pass).toBe(false);
  }, 200_000);

  it('rerun of the same promote: blobs skipped, exit 0; DEST tag on another digest: exit 2 naming it, --force-tag moves it', async () => {
    const again = await promote(oci('alpine-3.20'), 'app/alpine:3.20', ['--format', 'json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).copied.blobs).toMatchObject({ uploaded: 0, skipped: 2 });
    const clash = await promote(oci('alpine-3.20-multiarch'), 'app/alpine:3.20');
    expect(expectOneLineError(clash)).toMatch(new RegExp(`app/alpine:3.20 already points at ${alpineDigest}.*--force-tag`));
    const forced = await promote(oci('alpine-3.20-multiarch'), 'app/alpine:3.20', ['--force-tag']);
    expect(forced.code, forced.stderr).toBe(0);
    expect((await get('/v2/app/alpine/manifests/3.20')).headers['docker-content-digest']).not.toBe(alpineDigest);
  }, 300_000);

  it('debian-app from its docker archive: exit 0, the digest scan reports for the archive', async () => {
    const archive = `docker-archive:${path.join(images!, 'docker-archive', 'debian-app.tar')}`;
    const r = await promote(archive, 'app/debian:1');
    expect(r.code, r.stderr).toBe(0);
    const scan = await runCli(['scan', archive, '--db', db, '--format', 'json', '--quiet', '--no-policy', '--checks', 'none']);
    expect(lastLine(r)).toBe(`${reg.host}/app/debian@${JSON.parse(scan.stdout).image.digest}`);
    expect((await verify('app/debian:1')).code).toBe(0);
  }, 200_000);

  it('same registry: blobs are mounted across repositories; --dry-run pushes nothing', async () => {
    const dry = await runCli(['promote', `${reg.host}/app/debian:1`, `${reg.host}/prod/debian:1`, ...common(), ...dest(), '--username', USER.username, '--password', USER.password, '--dry-run'], { env, timeoutMs: 180_000 });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toMatch(/plan: mount from app\/debian blob sha256:/);
    expect(await tags('prod/debian')).toEqual([]);
    const r = await runCli(['promote', `${reg.host}/app/debian:1`, `${reg.host}/prod/debian:1`, ...common(), ...dest(), '--username', USER.username, '--password', USER.password, '--format', 'json'], { env, timeoutMs: 180_000 });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.copied.blobs.mounted).toBeGreaterThan(0);
    expect(out.copied.blobs.uploaded).toBe(0);
    expect((await verify('prod/debian:1')).code).toBe(0);
  }, 300_000);

  it('attestations copied onto another digest: verify exits 1 naming the subject; a failing attest is judged by --require-pass', async () => {
    // Image B (alpine-3.7) pushed by skopeo beside A; A's .sig and .att manifests put, byte for byte, under B's cosign tags.
    await pushWithSkopeo(oci('alpine-3.7'), `docker://${reg.host}/app/alpine:b`, reg);
    const bDigest = (await get('/v2/app/alpine/manifests/b')).headers['docker-content-digest'] as string;
    for (const t of [sigTag, attTag]) {
      const m = await get(`/v2/app/alpine/manifests/${t(alpineDigest)}`);
      expect((await put(`/v2/app/alpine/manifests/${t(bDigest)}`, m.body)).status).toBe(201);
    }
    const r = await verify('app/alpine:b');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`signature is for ${alpineDigest}, not ${bDigest}`));
    expect(r.stdout).toMatch(new RegExp(`attestation subject is ${alpineDigest}.*not ${bDigest}`));

    // attest of a failing image: the attestation is pushed (exit 1, verdict fail), verify --require-pass names the verdict.
    const a = await runCli(['attest', `${reg.host}/app/alpine:b`, ...common(), ...tls(), '--username', USER.username, '--password', USER.password, '--fail-on', 'high', '--sign'], { env, timeoutMs: 180_000 });
    expect(a.code, a.stderr).toBe(1);
    const v = await verify('app/alpine:b', ['--require-pass']);
    expect(v.code).toBe(1);
    expect(v.stdout).toMatch(/scan verdict is fail: \d+ (critical|high)/);
    expect((await verify('app/alpine:b')).code).toBe(0);
  }, 300_000);

  it('verify: either of two keys counts; a garbage envelope in .att is a reason, not a crash; an unreachable registry is exit 2', async () => {
    const two = await runCli(['verify', `${reg.host}/app/debian:1`, '--key', otherPub, '--key', pub, ...tls(), '--username', USER.username, '--password', USER.password]);
    expect(two.code, two.stdout).toBe(0);
    // An image whose .att holds one layer that is not a DSSE envelope (pushed through the library's upload code).
    await pushWithSkopeo(oci('go-static'), `docker://${reg.host}/app/garbage:1`, reg);
    const digest = (await get('/v2/app/garbage/manifests/1')).headers['docker-content-digest'] as string;
    const { RegistryClient } = await import('../src/registry/client.js');
    const { uploadBlob } = await import('../src/registry/upload.js');
    const { cosignTagManifest } = await import('../src/attest/layout.js');
    const client = new RegistryClient(reg.host, { caCerts: [reg.caCert], ...USER, credentialsFor: reg.host });
    try {
      const junk = Buffer.from('{"payloadType": 5}');
      const { createHash } = await import('node:crypto');
      const jd = `sha256:${createHash('sha256').update(junk).digest('hex')}`;
      await uploadBlob(client, 'app/garbage', jd, junk);
      const m = cosignTagManifest([{ mediaType: 'application/vnd.dsse.envelope.v1+json', digest: jd, size: junk.length, annotations: { predicateType: 'https://shipshape.dev/attestations/scan/v1' } }]);
      for (const b of m.blobs) await uploadBlob(client, 'app/garbage', b.desc.digest, b.data);
      expect((await put(`/v2/app/garbage/manifests/${attTag(digest)}`, m.bytes)).status).toBe(201);
    } finally {
      await client.close();
    }
    const v = await verify('app/garbage:1', ['--no-signature', '--format', 'json']);
    expect(v.code).toBe(1);
    expect(JSON.parse(v.stdout).reasons).toEqual([expect.stringMatching(/^no valid scan attestation by a trusted key: .*not a DSSE envelope/)]);
    const down = await runCli(['verify', '127.0.0.1:9/app/x:1', '--key', pub, '--timeout', '5s']);
    expect(expectOneLineError(down)).toMatch(/127\.0\.0\.1:9/);
  }, 200_000);

  it('bad input: exit 2 with one line and nothing written', async () => {
    const wrongPass = await promote(oci('go-static'), 'bad/one:1', [], { SHIPSHAPE_KEY_PASSWORD: 'nope' });
    expect(expectOneLineError(wrongPass)).toMatch(/wrong passphrase/);
    const p384 = path.join(tmp, 'p384.key');
    spawnSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384', '-out', p384]);
    expect(expectOneLineError(await runCli(['promote', oci('go-static'), `${reg.host}/bad/one:1`, '--key', p384, '--db', db, ...dest()]))).toMatch(/P-256 only/);
    expect(expectOneLineError(await runCli(['promote', oci('go-static'), `${reg.host}/bad/one:1`, '--key', path.join(tmp, 'nope.key'), '--db', db]))).toMatch(/no such file/);
    const unreachable = await runCli(['promote', oci('go-static'), '127.0.0.1:9/bad/one:1', ...common()], { env });
    expect(expectOneLineError(unreachable)).toMatch(/127\.0\.0\.1:9/);
    // Scan setup runs beside DEST's reads; its usage error is still the one said.
    const badFormat = await runCli(['promote', oci('go-static'), '127.0.0.1:9/bad/one:1', ...common(), '--format', 'bogus'], { env });
    expect(expectOneLineError(badFormat)).toMatch(/unknown format "bogus"/);
    const denied = await runCli(['promote', oci('go-static'), `${reg.host}/bad/one:1`, ...common(), ...tls(), '--dest-username', 'ci', '--dest-password', 'wrong'], { env });
    expect(expectOneLineError(denied)).toMatch(/authentication failed/);
    const wrongDigest = await promote(`oci:${path.join(images!, 'oci', 'go-static')}@sha256:${'0'.repeat(64)}`, 'bad/one:1');
    expect(expectOneLineError(wrongDigest)).toMatch(/missing|not found/);
    // A layout whose layer does not match its digest.
    const bad = path.join(tmp, 'corrupt');
    cpSync(path.join(images!, 'oci', 'go-static'), bad, { recursive: true, dereference: true });
    const manifest = JSON.parse(readFileSync(path.join(bad, 'blobs', 'sha256', JSON.parse(readFileSync(path.join(bad, 'index.json'), 'utf8')).manifests[0].digest.slice(7)), 'utf8'));
    const layerFile = path.join(bad, 'blobs', 'sha256', manifest.layers[0].digest.slice(7));
    const bytes = readFileSync(layerFile);
    bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
    rmSync(layerFile);
    writeFileSync(layerFile, bytes);
    expect(expectOneLineError(await promote(`oci:${bad}:latest`, 'bad/one:1'))).toMatch(/digest|corrupt|checksum/i);
    // A .sig tag that is not a signature: refused before anything is pushed.
    await pushWithSkopeo(oci('go-static'), `docker://${reg.host}/bad/two:1`, reg);
    const goDigest = (await get('/v2/bad/two/manifests/1')).headers['docker-content-digest'] as string;
    await pushWithSkopeo(oci('alpine-3.20'), `docker://${reg.host}/bad/three:${sigTag(goDigest)}`, reg);
    const foreign = await promote(oci('go-static'), 'bad/three:1');
    expect(expectOneLineError(foreign)).toMatch(/\.sig exists but is not a cosign signature/);
    expect(await tags('bad/three')).toEqual([sigTag(goDigest)]);
    expect(await tags('bad/one')).toEqual([]);
  }, 300_000);
});

describe.skipIf(missing)('OCI 1.1 referrers, and an upload cut off midway', () => {
  let tmp = '';
  let db = '';
  let reg: StartedRegistry;
  let proxy: ReferrersProxy;
  let noApi: ReferrersProxy;
  const env = { SHIPSHAPE_KEY_PASSWORD: 'pw2' };
  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-referrers-'));
    db = path.join(tmp, 'db.sqlite');
    expect((await runCli(['db', 'build', '--from', vulndata!, '--db', db, '--feeds', 'alpine-secdb', '--quiet'], { timeoutMs: 300_000 })).code).toBe(0);
    reg = await startRegistry();
    proxy = await startReferrersProxy(reg.host);
    noApi = await startReferrersProxy(reg.host, { referrers: false });
    expect((await runCli(['key', 'generate', '--output', path.join(tmp, 'k')], { env })).code).toBe(0);
  }, 300_000);
  afterAll(async () => {
    await proxy?.stop();
    await noApi?.stop();
    await reg?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });
  const args = (host: string) => ['--key', path.join(tmp, 'k.key'), '--db', db, '--no-policy', '--no-cache', '--quiet', '--insecure-registry', host];

  it('a registry with the referrers API gets referrers only (no cosign tags), and verify finds them', async () => {
    const r = await runCli(['promote', `oci:${path.join(images!, 'oci', 'alpine-3.20')}:latest`, `${proxy.host}/ref/app:1`, ...args(proxy.host), '--format', 'json'], { env, timeoutMs: 180_000 });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.pushed.filter((p: any) => p.kind !== 'tag').every((p: any) => p.stored[0] === 'referrers')).toBe(true);
    const t = await new Promise<string[]>((resolve) => http.get(`http://${reg.host}/v2/ref/app/tags/list`, (res) => { let b = ''; res.on('data', (c) => (b += c)); res.on('end', () => resolve(JSON.parse(b).tags)); }));
    expect(t).toEqual(['1']);
    expect(proxy.log.some((l) => l.method === 'GET' && l.path.startsWith('/v2/ref/app/referrers/'))).toBe(true);
    const v = await runCli(['verify', `${proxy.host}/ref/app:1`, '--key', path.join(tmp, 'k.pub'), '--insecure-registry', proxy.host, '--require-pass', '--max-age', '1d']);
    expect(v.code, v.stdout + v.stderr).toBe(0);
  }, 200_000);

  it('DEST answers 403 to writes (a pull-only account): exit 2 naming the refusal, nothing written', async () => {
    noApi.deny((m, p) => m !== 'GET' && m !== 'HEAD' && p.startsWith('/v2/denied/'));
    try {
      const r = await runCli(['promote', `oci:${path.join(images!, 'oci', 'alpine-3.20')}:latest`, `${noApi.host}/denied/app:1`, ...args(noApi.host)], { env, timeoutMs: 180_000 });
      expect(expectOneLineError(r)).toMatch(/access denied by registry/);
    } finally {
      noApi.deny(undefined);
    }
    const status = await new Promise<number>((resolve) => http.get(`http://${reg.host}/v2/denied/app/tags/list`, (res) => { res.resume(); resolve(res.statusCode ?? 0); }));
    expect(status).toBe(404);
  }, 200_000);

  it('an upload cut off midway: exit 2, no tag; the rerun completes and verifies', async () => {
    noApi.cutNext((m, p) => m === 'PATCH' && p.includes('/v2/cut/app/blobs/uploads/'), 200_000);
    const src = `oci:${path.join(images!, 'oci', 'debian-app')}:latest`;
    const r = await runCli(['promote', src, `${noApi.host}/cut/app:1`, ...args(noApi.host), '--timeout', '20s'], { env, timeoutMs: 180_000 });
    expect(expectOneLineError(r)).toMatch(/upload|reset|closed|socket|connection/i);
    const tagsNow = await new Promise<number>((resolve) => http.get(`http://${reg.host}/v2/cut/app/tags/list`, (res) => { res.resume(); resolve(res.statusCode ?? 0); }));
    expect(tagsNow).toBe(404);
    const again = await runCli(['promote', src, `${noApi.host}/cut/app:1`, ...args(noApi.host)], { env, timeoutMs: 180_000 });
    expect(again.code, again.stderr).toBe(0);
    const v = await runCli(['verify', `${noApi.host}/cut/app:1`, '--key', path.join(tmp, 'k.pub'), '--insecure-registry', noApi.host]);
    expect(v.code, v.stdout).toBe(0);
  }, 300_000);
});
