/**
 * RegistryPool against an in-test HTTP registry with a Bearer token server: verify() through a pool
 * reuses connections and tokens (bounded, where a client per call pays each time), keeps
 * credentials bound to the registry they were given for, fails closed while the registry is down
 * and recovers when it is back; the admission engine's pool follows a policy reload, and against a real
 * docker-registry (TLS + htpasswd) keeps uncached decisions on a few connections.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { verify } from '../src/attest/verify.js';
import { AdmissionEngine } from '../src/admission/engine.js';
import { parseAdmissionPolicy } from '../src/admission/policy.js';
import { ShipshapeError } from '../src/errors.js';
import { RegistryPool } from '../src/registry/index.js';
import type { RegistryOptions } from '../src/registry/index.js';
import { publicKeyPem } from './helpers/fake-verify.js';
import { makeCert, pushWithSkopeo, registryToolsMissing, startRegistry, writeTinyOciLayout } from './helpers/registry.js';

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const PEM = publicKeyPem();
const MANIFEST = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha('{}'), size: 2 },
    layers: [],
  }),
);
const DIGEST = sha(MANIFEST);

/** cosign's `.sig` and `.att` images for DIGEST: a payload and an envelope signed by a key nobody trusts. */
const SIG_PAYLOAD = Buffer.from(JSON.stringify({ critical: { image: { 'docker-manifest-digest': DIGEST }, type: 'cosign container image signature' } }));
const ATT_ENVELOPE = Buffer.from(JSON.stringify({ payloadType: 'application/vnd.in-toto+json', payload: Buffer.from('{}').toString('base64'), signatures: [{ sig: 'AAAA' }] }));
const cosignManifest = (layer: object) =>
  Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha('{}'), size: 2 },
      layers: [layer],
    }),
  );
const SIG_MANIFEST = cosignManifest({
  mediaType: 'application/vnd.dev.cosign.simplesigning.v1+json',
  digest: sha(SIG_PAYLOAD),
  size: SIG_PAYLOAD.length,
  annotations: { 'dev.cosignproject.cosign/signature': 'AAAA' },
});
const ATT_MANIFEST = cosignManifest({ mediaType: 'application/vnd.dsse.envelope.v1+json', digest: sha(ATT_ENVELOPE), size: ATT_ENVELOPE.length, annotations: { predicateType: 'https://shipshape.dev/attestations/scan/v1' } });

/** A registry that wants Bearer tokens from its own /token realm, holding one image (unsigned: verify looks everything up and finds no signature). */
class TokenRegistry {
  connections = 0;
  /** Authorization headers of the token requests (undefined: anonymous). */
  tokenRequests: Array<string | undefined> = [];
  requests = 0;
  blobGets = 0;
  /** "METHOD path" of every authorized registry request (not the token server's). */
  paths: string[] = [];
  /** Serve cosign `.sig` / `.att` tags for the image (a signature and an attestation by nobody trusted). */
  cosignTags = false;
  /** Answer the OCI 1.1 referrers API (an empty list); otherwise 404, as Distribution 2.8. */
  referrersApi = false;
  /** Blobs by digest; the bytes need not match (a lying registry). */
  readonly blobs = new Map<string, Buffer>();
  private server: http.Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;
  private issued = 0;

  get host(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const server = http.createServer((req, res) => this.handle(req, res));
    server.on('connection', (s: Socket) => {
      this.connections++;
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Gone: open connections cut, new ones refused. */
  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    for (const sock of this.sockets) sock.destroy();
    await new Promise<void>((r) => s.close(() => r()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/token') {
      this.tokenRequests.push(req.headers.authorization);
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ token: `tok-${++this.issued}`, expires_in: 300 }));
      return;
    }
    this.requests++;
    if (!/^Bearer tok-\d+$/.test(req.headers.authorization ?? '')) {
      const scope = /^\/v2\/(.+)\/(manifests|blobs|referrers)\//.exec(url.pathname)?.[1];
      res.writeHead(401, {
        'content-type': 'application/json',
        'www-authenticate': `Bearer realm="http://${this.host}/token",service="fake"${scope ? `,scope="repository:${scope}:pull"` : ''}`,
      });
      res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
      return;
    }
    this.paths.push(`${req.method} ${url.pathname}`);
    const hex = DIGEST.slice('sha256:'.length);
    if (this.referrersApi && url.pathname === `/v2/app/referrers/${DIGEST}`) {
      const body = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] });
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.index.v1+json' });
      res.end(body);
      return;
    }
    const cosign = this.cosignTags ? { [`sha256-${hex}.sig`]: SIG_MANIFEST, [`sha256-${hex}.att`]: ATT_MANIFEST }[/^\/v2\/app\/manifests\/(.+)$/.exec(url.pathname)?.[1] ?? ''] : undefined;
    if (cosign) {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'docker-content-digest': sha(cosign) });
      res.end(req.method === 'HEAD' ? undefined : cosign);
      return;
    }
    const b = /^\/v2\/app\/blobs\/(.+)$/.exec(url.pathname);
    if (b && this.blobs.has(b[1]!)) {
      this.blobGets++;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': this.blobs.get(b[1]!)!.length });
      res.end(this.blobs.get(b[1]!));
      return;
    }
    const m = /^\/v2\/app\/manifests\/(.+)$/.exec(url.pathname);
    if (m && (decodeURIComponent(m[1]!) === DIGEST || m[1] === '1.0')) {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json', 'content-length': MANIFEST.length, 'docker-content-digest': DIGEST });
      res.end(req.method === 'HEAD' ? undefined : MANIFEST);
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }));
  }
}

let reg: TokenRegistry;
beforeEach(async () => {
  reg = new TokenRegistry();
  await reg.start();
});
afterEach(async () => {
  await reg.stop();
});

/** No machine docker config or SHIPSHAPE_* variables; one try, as the webhook makes. */
const opts = (extra: RegistryOptions = {}): RegistryOptions => ({ env: { HOME: '/nonexistent-shipshape-home', PATH: process.env.PATH }, insecureRegistries: [reg.host], credentialsFor: reg.host, retry: { tries: 1 }, timeoutMs: 3_000, ...extra });

describe('RegistryPool', () => {
  it('20 verify() calls share a handful of connections and one token; a client per call pays both every time', async () => {
    const pool = new RegistryPool();
    try {
      for (let i = 0; i < 20; i++) {
        const r = await verify(`${reg.host}/app@${DIGEST}`, { keys: [PEM], registry: opts(), pool });
        expect(r.verified).toBe(false);
        expect(r.reasons[0]).toMatch(/no signature by a trusted key \(none found\)/);
      }
      // verify() asks four things at once (referrers, their tag, .sig, .att), plus the token: a few
      // connections, made by the first calls (8 here), where a client per call makes 4 each (80).
      expect(reg.requests).toBeGreaterThanOrEqual(80);
      expect(reg.connections).toBeLessThanOrEqual(12);
      const settled = reg.connections;
      expect(reg.tokenRequests).toHaveLength(1);
      expect(pool.size).toBe(1);
      // Tag lookups through the same pool: HEADs keep their connection too.
      for (let i = 0; i < 10; i++) expect((await pool.client(reg.host, opts()).headManifest('app', '1.0')).digest).toBe(DIGEST);
      expect(reg.connections).toBe(settled);
      expect(reg.tokenRequests).toHaveLength(1);
    } finally {
      await pool.close();
    }

    // The control: the counters do count.
    const before = { connections: reg.connections, tokens: reg.tokenRequests.length };
    for (let i = 0; i < 5; i++) await verify(`${reg.host}/app@${DIGEST}`, { keys: [PEM], registry: opts() });
    expect(reg.connections - before.connections).toBeGreaterThanOrEqual(5);
    expect(reg.tokenRequests.length - before.tokens).toBe(5);
  });

  it('concurrent lookups through one pool fetch one token', async () => {
    const pool = new RegistryPool();
    try {
      const all = await Promise.all(Array.from({ length: 30 }, () => verify(`${reg.host}/app@${DIGEST}`, { keys: [PEM], registry: opts(), pool })));
      expect(all.every((r) => r.digest === DIGEST)).toBe(true);
      expect(reg.tokenRequests).toHaveLength(1);
    } finally {
      await pool.close();
    }
  });

  it('keeps credentials bound: a lookup that must go without them never gets the client that has them', async () => {
    const pool = new RegistryPool();
    const creds = { username: 'robot', password: 's3cret' };
    try {
      const bound = pool.client(reg.host, opts({ ...creds, credentialsFor: reg.host }));
      const unbound = pool.client(reg.host, opts({ ...creds, credentialsFor: '' }));
      expect(bound).not.toBe(unbound);
      expect(pool.client(reg.host, opts({ ...creds, credentialsFor: reg.host }))).toBe(bound);
      // Other credentials are another client too.
      expect(pool.client(reg.host, opts({ username: 'robot', password: 'other', credentialsFor: reg.host }))).not.toBe(bound);

      await verify(`${reg.host}/app@${DIGEST}`, { keys: [PEM], registry: opts({ ...creds, credentialsFor: '' }), pool });
      expect(reg.tokenRequests).toEqual([undefined]);
      await verify(`${reg.host}/app@${DIGEST}`, { keys: [PEM], registry: opts({ ...creds, credentialsFor: reg.host }), pool });
      expect(reg.tokenRequests).toEqual([undefined, `Basic ${Buffer.from('robot:s3cret').toString('base64')}`]);
      // And the unbound client, asked again, still sends nothing.
      await verify(`${reg.host}/app@${DIGEST}`, { keys: [PEM], registry: opts({ ...creds, credentialsFor: '' }), pool });
      expect(reg.tokenRequests).toHaveLength(2);
    } finally {
      await pool.close();
    }
  });

  it('survives a registry restart: lookups fail (network) while it is down and work again once it is back', async () => {
    const pool = new RegistryPool();
    try {
      expect((await verify(`${reg.host}/app@${DIGEST}`, { keys: [PEM], registry: opts(), pool })).digest).toBe(DIGEST);
      const client = pool.client(reg.host, opts());
      await reg.stop();
      const err = await verify(`${reg.host}/app@${DIGEST}`, { keys: [PEM], registry: opts(), pool }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ShipshapeError);
      expect((err as ShipshapeError).code).toBe('network');
      expect((err as ShipshapeError).message).toMatch(/connection refused|reset|cannot reach/);
      await reg.start(); // the same port
      const r = await verify(`${reg.host}/app@${DIGEST}`, { keys: [PEM], registry: opts(), pool });
      expect(r.digest).toBe(DIGEST);
      expect(pool.client(reg.host, opts())).toBe(client);
    } finally {
      await pool.close();
    }
  });

  it('reads a small blob once: verified bytes are kept by repository and digest; bytes that do not match are never kept', async () => {
    const payload = Buffer.from('{"critical":{}}');
    const good = { digest: sha(payload), size: payload.length };
    const liar = { digest: sha('what was signed'), size: payload.length };
    reg.blobs.set(good.digest, payload);
    reg.blobs.set(liar.digest, payload);
    const pool = new RegistryPool();
    try {
      const client = pool.client(reg.host, opts());
      expect((await client.fetchBlobBytes('app', good, 1 << 20)).equals(payload)).toBe(true);
      expect((await client.fetchBlobBytes('app', good, 1 << 20)).equals(payload)).toBe(true);
      expect(reg.blobGets).toBe(1);
      for (let i = 0; i < 2; i++) await expect(client.fetchBlobBytes('app', liar, 1 << 20)).rejects.toMatchObject({ code: 'digest-mismatch' });
      expect(reg.blobGets).toBe(3);
    } finally {
      await pool.close();
    }
    // Without a pool, every call reads it.
    const { RegistryClient } = await import('../src/registry/index.js');
    const plain = new RegistryClient(reg.host, opts());
    await plain.fetchBlobBytes('app', good, 1 << 20);
    await plain.fetchBlobBytes('app', good, 1 << 20);
    await plain.close();
    expect(reg.blobGets).toBe(5);
  });

  it.skipIf(Boolean(registryToolsMissing()))('a rotated CA file gets a new client within seconds; a vanished one keeps the trust already built', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-pool-ca-'));
    let now = 1_000_000;
    const pool = new RegistryPool(() => now);
    try {
      for (const d of ['a', 'b']) mkdirSync(path.join(dir, d));
      const a = await makeCert(path.join(dir, 'a'));
      const b = await makeCert(path.join(dir, 'b'));
      const ca = path.join(dir, 'ca.crt');
      copyFileSync(a.cert, ca);
      const o = opts({ caCerts: [ca] });
      const first = pool.client('127.0.0.1:1', o);
      copyFileSync(b.cert, ca);
      utimesSync(ca, new Date(), new Date(Date.now() + 10_000));
      expect(pool.client('127.0.0.1:1', o)).toBe(first); // looked at again only every few seconds
      now += 6_000;
      const second = pool.client('127.0.0.1:1', o);
      expect(second).not.toBe(first);
      rmSync(ca);
      now += 6_000;
      expect(pool.client('127.0.0.1:1', o)).toBe(second);
      expect(pool.size).toBe(1);
    } finally {
      await pool.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('on a registry without the referrers API (404) that holds both cosign tags, a pooled client asks only .sig and .att after the first lookup; the reasons stay the same', async () => {
    reg.cosignTags = true;
    reg.blobs.set(sha(SIG_PAYLOAD), SIG_PAYLOAD);
    reg.blobs.set(sha(ATT_ENVELOPE), ATT_ENVELOPE);
    const manifestGets = () => reg.paths.filter((p) => p.startsWith('GET') && !p.includes('/blobs/'));
    const fresh = await verify(`${reg.host}/app@${DIGEST}`, { keys: [PEM], registry: opts() });
    // A client of its own (the CLI): referrers API, its tag schema, .sig and .att.
    expect(manifestGets()).toHaveLength(4);
    expect(fresh.verified).toBe(false);
    expect(fresh.reasons).toHaveLength(2);
    expect(fresh.reasons[0]).toMatch(/^no signature by a trusted key: /);
    expect(fresh.reasons[1]).toMatch(/^no valid scan attestation by a trusted key: /);
    const pool = new RegistryPool();
    try {
      reg.paths = [];
      const first = await verify(`${reg.host}/app@${DIGEST}`, { keys: [PEM], registry: opts(), pool });
      expect(manifestGets()).toHaveLength(4);
      for (let i = 0; i < 5; i++) {
        reg.paths = [];
        const r = await verify(`${reg.host}/app@${DIGEST}`, { keys: [PEM], registry: opts(), pool });
        expect(manifestGets().sort()).toEqual([`GET /v2/app/manifests/sha256-${DIGEST.slice(7)}.att`, `GET /v2/app/manifests/sha256-${DIGEST.slice(7)}.sig`]);
        expect(r.reasons).toEqual(first.reasons);
      }
      expect(first.reasons).toEqual(fresh.reasons);
      // A cosign tag deleted: the referrers tag schema is read again (a referrer may hold what the tag held).
      reg.cosignTags = false;
      reg.paths = [];
      const gone = await verify(`${reg.host}/app@${DIGEST}`, { keys: [PEM], registry: opts(), pool });
      expect(manifestGets()).toContain(`GET /v2/app/manifests/sha256-${DIGEST.slice(7)}`);
      expect(manifestGets().some((p) => p.includes('/referrers/'))).toBe(false);
      expect(gone.reasons).toEqual(['no signature by a trusted key (none found)', 'no scan attestation by a trusted key (none found)']);
    } finally {
      await pool.close();
    }
  });

  it('asks the referrers API again once its memory ends (a registry upgraded); one that answers it is not asked for the tag schema', async () => {
    reg.cosignTags = true;
    reg.blobs.set(sha(SIG_PAYLOAD), SIG_PAYLOAD);
    reg.blobs.set(sha(ATT_ENVELOPE), ATT_ENVELOPE);
    const pool = new RegistryPool();
    const at = Date.now();
    vi.useFakeTimers({ toFake: ['Date'], now: at });
    try {
      await verify(`${reg.host}/app@${DIGEST}`, { keys: [PEM], registry: opts(), pool });
      reg.referrersApi = true;
      reg.paths = [];
      await verify(`${reg.host}/app@${DIGEST}`, { keys: [PEM], registry: opts(), pool });
      expect(reg.paths.some((p) => p.includes('/referrers/'))).toBe(false);
      vi.setSystemTime(at + 61_000);
      reg.paths = [];
      await verify(`${reg.host}/app@${DIGEST}`, { keys: [PEM], registry: opts(), pool });
      expect(reg.paths).toContain(`GET /v2/app/referrers/${DIGEST}`);
      // The API answered: from now on its tag schema index is not read beside it.
      reg.paths = [];
      await verify(`${reg.host}/app@${DIGEST}`, { keys: [PEM], registry: opts(), pool });
      expect(reg.paths).toContain(`GET /v2/app/referrers/${DIGEST}`);
      expect(reg.paths).not.toContain(`GET /v2/app/manifests/sha256-${DIGEST.slice(7)}`);
    } finally {
      vi.useRealTimers();
      await pool.close();
    }
  });

  it('an unknown repository (404 from the API, no cosign tag) teaches nothing: the API is asked again', async () => {
    const pool = new RegistryPool();
    try {
      for (let i = 0; i < 2; i++) {
        reg.paths = [];
        await verify(`${reg.host}/app@${DIGEST}`, { keys: [PEM], registry: opts(), pool });
        expect(reg.paths).toContain(`GET /v2/app/referrers/${DIGEST}`);
      }
    } finally {
      await pool.close();
    }
  });

  it('refuses lookups once closed (the server is shutting down)', async () => {
    const pool = new RegistryPool();
    pool.client(reg.host, opts());
    await pool.close();
    expect(() => pool.client(reg.host, opts())).toThrow(/closed/);
  });
});

describe('the admission engine pool (docs/registry.md: where credentials are sent)', () => {
  const policyText = (allow: boolean) =>
    `mode: enforce\n${allow ? `allowedRegistries: ["${reg.host}/*"]\n` : ''}trustedKeys: [keys/cosign.pub]\nattestation: { required: true, maxAge: 7d, verdict: pass }\nregistryTimeout: 2s\n`;

  it('sends the credentials given to serve only while the allow list approves the registry; a reload to no allow list takes them away', async () => {
    const creds = { username: 'robot', password: 's3cret' };
    const engine = new AdmissionEngine({
      policy: parseAdmissionPolicy(policyText(true), '/p/admission.yaml', { readKey: () => PEM }),
      registry: { ...creds, env: { HOME: '/nonexistent-shipshape-home' }, insecureRegistries: [reg.host] },
    });
    try {
      // Through the default tag resolver and the real verify(), both on the engine's pool.
      const d1 = await engine.decide({ namespace: 'prod', images: [`${reg.host}/app:1.0`] });
      expect(d1.images[0]).toMatchObject({ allowed: false, code: 'not-verified', digest: DIGEST });
      expect(reg.tokenRequests.length).toBeGreaterThan(0);
      expect(reg.tokenRequests.every((a) => a === `Basic ${Buffer.from('robot:s3cret').toString('base64')}`)).toBe(true);

      engine.setPolicy(parseAdmissionPolicy(policyText(false), '/p/admission.yaml', { readKey: () => PEM }));
      const seen = reg.tokenRequests.length;
      const d2 = await engine.decide({ namespace: 'prod', images: [`${reg.host}/app@${DIGEST}`] });
      expect(d2.images[0]).toMatchObject({ allowed: false, code: 'not-verified' });
      expect(reg.tokenRequests.length).toBeGreaterThan(seen);
      expect(reg.tokenRequests.slice(seen).every((a) => a === undefined)).toBe(true);
    } finally {
      await engine.close();
    }
  });

  it('preconnect() opens connections and fetches the pull token of a named repository, with the bound credentials: the first decision then opens none', async () => {
    const creds = { username: 'robot', password: 's3cret' };
    const registry = { ...creds, env: { HOME: '/nonexistent-shipshape-home' }, insecureRegistries: [reg.host] };
    const named = `mode: enforce\nallowedRegistries: ["${reg.host}/app", "*.example/*"]\ntrustedKeys: [keys/cosign.pub]\nattestation: { required: true, maxAge: 7d, verdict: pass }\nregistryTimeout: 2s\n`;
    const engine = new AdmissionEngine({ policy: parseAdmissionPolicy(named, '/p/admission.yaml', { readKey: () => PEM }), registry });
    try {
      await engine.preconnect();
      expect(reg.connections).toBeGreaterThanOrEqual(8);
      expect(reg.tokenRequests.length).toBeGreaterThan(0);
      expect(reg.tokenRequests.every((a) => a === `Basic ${Buffer.from('robot:s3cret').toString('base64')}`)).toBe(true);
      const [connections, tokens] = [reg.connections, reg.tokenRequests.length];
      const d = await engine.decide({ namespace: 'prod', images: [`${reg.host}/app:1.0`] });
      expect(d.images[0]).toMatchObject({ allowed: false, code: 'not-verified', digest: DIGEST });
      expect(reg.connections).toBe(connections);
      expect(reg.tokenRequests.length).toBe(tokens);
    } finally {
      await engine.close();
    }
    // Nothing to open: no registry allowed by name, or lookups that do not go through the pool.
    await reg.stop();
    reg = new TokenRegistry();
    await reg.start();
    for (const e of [
      new AdmissionEngine({ policy: parseAdmissionPolicy(policyText(false), '/p/admission.yaml', { readKey: () => PEM }), registry }),
      new AdmissionEngine({ policy: parseAdmissionPolicy(policyText(true), '/p/admission.yaml', { readKey: () => PEM }), registry, verify: async () => { throw new Error('not called'); } }),
    ]) {
      await e.preconnect();
      await e.close();
    }
    expect(reg.connections).toBe(0);
  });

  it('fails closed while the registry is down and admits nothing it has not verified; decides again once it is back', async () => {
    const engine = new AdmissionEngine({
      policy: parseAdmissionPolicy(`${policyText(true)}cache: { ttl: 0s, tagTtl: 0s }\n`, '/p/admission.yaml', { readKey: () => PEM }),
      registry: { env: { HOME: '/nonexistent-shipshape-home' }, insecureRegistries: [reg.host] },
    });
    try {
      expect((await engine.decide({ namespace: 'prod', images: [`${reg.host}/app:1.0`] })).images[0]!.code).toBe('not-verified');
      await reg.stop();
      const down = await engine.decide({ namespace: 'prod', images: [`${reg.host}/app:1.0`] });
      expect(down.allowed).toBe(false);
      expect(down.images[0]).toMatchObject({ allowed: false, code: 'registry-error' });
      expect(down.images[0]!.reasons[0]).toMatch(/fail closed/);
      await reg.start();
      expect((await engine.decide({ namespace: 'prod', images: [`${reg.host}/app:1.0`] })).images[0]).toMatchObject({ code: 'not-verified', digest: DIGEST });
    } finally {
      await engine.close();
    }
  });
});

describe('the engine pool against docker-registry (TLS + htpasswd)', () => {
  const missing = registryToolsMissing();

  it.skipIf(Boolean(missing))('15 uncached decisions share a few TLS connections; an engine per decision opens new ones', async () => {
    const real = await startRegistry({ tls: true, auth: { username: 'robot', password: 's3cret' } });
    const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-pool-'));
    // A TCP proxy in front of the registry counts connections (TLS passes through; the certificate names 127.0.0.1).
    let connections = 0;
    const [, regPort] = real.host.split(':');
    const proxy = net.createServer((c) => {
      connections++;
      const up = net.connect(Number(regPort), '127.0.0.1');
      c.pipe(up).pipe(c);
      c.on('error', () => up.destroy());
      up.on('error', () => c.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    const host = `127.0.0.1:${(proxy.address() as AddressInfo).port}`;
    try {
      const img = await writeTinyOciLayout(path.join(dir, 'img'));
      await pushWithSkopeo(`oci:${img.dir}:latest`, `docker://${real.host}/app:1.0`, real);
      const policy = parseAdmissionPolicy(
        `mode: enforce\nallowedRegistries: ["${host}/*"]\ntrustedKeys: [keys/cosign.pub]\nattestation: { required: true, maxAge: 7d, verdict: pass }\ncache: { ttl: 0s, tagTtl: 0s }\n`,
        '/p/admission.yaml',
        { readKey: () => PEM },
      );
      const registry = { caCerts: [real.caCert], username: 'robot', password: 's3cret', env: { HOME: '/nonexistent-shipshape-home' } };
      const engine = new AdmissionEngine({ policy, registry });
      try {
        for (let i = 0; i < 15; i++) {
          const d = await engine.decide({ namespace: 'prod', images: [`${host}/app:1.0`] });
          // Found (so the credentials were accepted), unsigned: refused with that reason.
          expect(d.images[0]).toMatchObject({ allowed: false, code: 'not-verified', digest: img.manifestDigest });
        }
      } finally {
        await engine.close();
      }
      // A tag HEAD beside (after the first decision) four lookups at once, 15 times: a handful of
      // connections, not 15 × 5.
      expect(connections).toBeLessThanOrEqual(10);
      const pooled = connections;
      for (let i = 0; i < 3; i++) {
        const fresh = new AdmissionEngine({ policy, registry });
        await fresh.decide({ namespace: 'prod', images: [`${host}/app:1.0`] });
        await fresh.close();
      }
      expect(connections - pooled).toBeGreaterThanOrEqual(3);
    } finally {
      await new Promise<void>((r) => proxy.close(() => r()));
      await real.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
