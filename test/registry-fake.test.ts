/**
 * The registry client against a small in-test HTTP registry: Bearer token flow, Basic auth from
 * docker config and credential helpers, retries, redirects, digest checks, pagination, errors.
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ShipshapeError } from '../src/errors.js';
import { openRegistryImage } from '../src/image/registry/index.js';
import { parseReference } from '../src/image/reference.js';
import type { ImageSource } from '../src/image/types.js';
import { RegistryClient } from '../src/registry/index.js';
import type { RegistryOptions } from '../src/registry/index.js';

const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
/** Fast retries, and none of the machine's docker config or SHIPSHAPE_* variables. */
const fast: RegistryOptions = { env: { HOME: '/nonexistent-shipshape-home' }, retry: { baseDelayMs: 5 } };

function image(arch: string, content: string) {
  const tar = Buffer.from(`pretend tar ${arch} ${content}`);
  const layer = gzipSync(tar);
  const config = Buffer.from(JSON.stringify({ architecture: arch, os: 'linux', rootfs: { type: 'layers', diff_ids: [sha(tar)] } }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(layer), size: layer.length }],
    }),
  );
  return { tar, layer, config, manifest };
}

interface Hit {
  method: string;
  url: string;
  authorization?: string;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => boolean | void;

/** A registry holding some blobs and manifests, with a hook to answer some requests differently. */
class FakeRegistry {
  readonly hits: Hit[] = [];
  readonly blobs = new Map<string, Buffer>();
  readonly manifests = new Map<string, { body: Buffer; mediaType: string }>();
  /** Runs first; return true when it answered. */
  hook: Handler | undefined;
  /** Checks the Authorization of /v2/ requests; returns the challenge to send when refused. */
  guard: ((authorization: string | undefined, req: http.IncomingMessage) => string | undefined) | undefined;
  private server!: http.Server;
  host = '';

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.host = `127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }

  reset(): void {
    this.hits.length = 0;
    this.hook = undefined;
    this.guard = undefined;
  }

  putManifest(repo: string, tag: string, body: Buffer, mediaType: string): string {
    const d = sha(body);
    this.manifests.set(`${repo}:${tag}`, { body, mediaType });
    this.manifests.set(`${repo}:${d}`, { body, mediaType });
    return d;
  }

  putImage(repo: string, tag: string, img: ReturnType<typeof image>): string {
    this.blobs.set(sha(img.layer), img.layer);
    this.blobs.set(sha(img.config), img.config);
    return this.putManifest(repo, tag, img.manifest, OCI_MANIFEST);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.hits.push({ method: req.method!, url: req.url!, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    if (this.hook?.(req, res)) return;
    const url = new URL(req.url!, 'http://x');
    if (url.pathname.startsWith('/v2/') && this.guard) {
      const challenge = this.guard(req.headers.authorization, req);
      if (challenge) {
        res.writeHead(401, { 'www-authenticate': challenge, 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }));
        return;
      }
    }
    const m = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    if (m) {
      const [, repo, kind, ref] = m;
      const found = kind === 'manifests' ? this.manifests.get(`${repo}:${decodeURIComponent(ref!)}`) : this.blobs.get(ref!) && { body: this.blobs.get(ref!)!, mediaType: 'application/octet-stream' };
      if (!found) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ errors: [{ code: kind === 'manifests' ? 'MANIFEST_UNKNOWN' : 'BLOB_UNKNOWN', message: `${kind} unknown` }] }));
        return;
      }
      res.writeHead(200, { 'content-type': found.mediaType, 'content-length': found.body.length, 'docker-content-digest': sha(found.body) });
      res.end(req.method === 'HEAD' ? undefined : found.body);
      return;
    }
    res.writeHead(404);
    res.end();
  }
}

/** The digest the opened image's reference was pinned to. */
function pinned(img: ImageSource): string | undefined {
  return img.ref.kind === 'registry' ? img.ref.digest : undefined;
}

async function errorOf(p: Promise<unknown>): Promise<ShipshapeError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ShipshapeError) return err;
    throw err;
  }
  throw new Error('expected a ShipshapeError, got success');
}

async function drain(s: Readable): Promise<string> {
  const h = createHash('sha256');
  for await (const c of s) h.update(c as Buffer);
  return `sha256:${h.digest('hex')}`;
}

function ref(s: string) {
  const r = parseReference(s);
  if (r.kind !== 'registry') throw new Error(s);
  return r;
}

describe('registry client against an in-test registry', () => {
  const reg = new FakeRegistry();
  const storage = new FakeRegistry(); // another origin, standing in for blob storage behind redirects
  const amd = image('amd64', 'a');
  const arm = image('arm64', 'b');
  let work: string;
  let amdDigest: string;

  beforeAll(async () => {
    await reg.start();
    await storage.start();
    work = mkdtempSync(path.join(tmpdir(), 'shipshape-fake-'));
    amdDigest = reg.putImage('app', 'amd', amd);
    reg.putImage('app', 'arm', arm);
    reg.putImage('app', 'latest', amd);
  });
  afterEach(() => {
    reg.reset();
    storage.reset();
  });
  afterAll(async () => {
    await reg.stop();
    await storage.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const opts = (extra: RegistryOptions = {}): RegistryOptions => ({ ...fast, insecureRegistries: [reg.host], credentialsFor: reg.host, ...extra });

  it('answers a Bearer challenge with a token from the realm, cached for the scope', async () => {
    const tokenRequests: URL[] = [];
    reg.hook = (req, res) => {
      if (!req.url!.startsWith('/token')) return false;
      const url = new URL(req.url!, 'http://x');
      tokenRequests.push(url);
      const basic = `Basic ${Buffer.from('alice:pw').toString('base64')}`;
      if (req.headers.authorization !== basic) {
        res.writeHead(401);
        res.end();
        return true;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      // Some token servers say access_token, some token: both are read.
      res.end(JSON.stringify({ access_token: 'tok-123', expires_in: 300 }));
      return true;
    };
    reg.guard = (a) =>
      a === 'Bearer tok-123' ? undefined : `Bearer realm="http://${reg.host}/token",service="fake.registry",scope="repository:app:pull"`;
    const img = await openRegistryImage(ref(`${reg.host}/app:amd`), opts({ username: 'alice', password: 'pw' }), opts());
    expect(img.digest).toBe(amdDigest);
    expect(await drain(await img.layers[0]!.open())).toBe(sha(amd.layer));
    await img.close();
    expect(tokenRequests).toHaveLength(1);
    expect(tokenRequests[0]!.searchParams.get('service')).toBe('fake.registry');
    expect(tokenRequests[0]!.searchParams.getAll('scope')).toEqual(['repository:app:pull']);
    // One refused request, then every request carries the token.
    const v2 = reg.hits.filter((h) => h.url.startsWith('/v2/'));
    expect(v2[0]!.authorization).toBeUndefined();
    expect(v2.slice(1).every((h) => h.authorization === 'Bearer tok-123')).toBe(true);
    // Requests made together share one token request.
    const client = new RegistryClient(reg.host, opts({ username: 'alice', password: 'pw' }));
    const digests = await Promise.all(['amd', 'arm', 'latest', 'amd', 'arm'].map((t) => client.getManifest('app', t).then((m) => m.digest)));
    await client.close();
    expect(digests[0]).toBe(amdDigest);
    expect(tokenRequests).toHaveLength(2);
  });

  it('gets an anonymous token without credentials, and says unauthorized when the token server refuses a password', async () => {
    reg.hook = (req, res) => {
      if (!req.url!.startsWith('/token')) return false;
      if (req.headers.authorization) {
        res.writeHead(401);
        res.end();
        return true;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ token: 'anon' }));
      return true;
    };
    reg.guard = (a) => (a === 'Bearer anon' ? undefined : `Bearer realm="http://${reg.host}/token",service="fake"`);
    const client = new RegistryClient(reg.host, opts());
    expect((await client.getManifest('app', 'amd')).digest).toBe(amdDigest);
    await client.close();
    const err = await errorOf(openRegistryImage(ref(`${reg.host}/app:amd`), opts({ username: 'bob', password: 'bad' })));
    expect(err.code).toBe('unauthorized');
    expect(err.message).toBe(`authentication failed for ${reg.host}: check the username and password`);
  });

  it('retries on 503 and 429, honouring Retry-After', async () => {
    let n = 0;
    reg.hook = (req, res) => {
      if (!req.url!.includes('/manifests/')) return false;
      n++;
      if (n === 1) {
        res.writeHead(503);
        res.end();
        return true;
      }
      if (n === 2) {
        res.writeHead(429, { 'retry-after': '1' });
        res.end();
        return true;
      }
      return false;
    };
    const client = new RegistryClient(reg.host, opts());
    const started = Date.now();
    expect((await client.getManifest('app', 'amd')).digest).toBe(amdDigest);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(n).toBe(3);
    await client.close();
  });

  it('gives up after 4 tries on a registry that keeps failing, as a network error', async () => {
    let n = 0;
    reg.hook = (_req, res) => {
      n++;
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNAVAILABLE', message: 'backend down' }] }));
      return true;
    };
    const client = new RegistryClient(reg.host, opts());
    const err = await errorOf(client.getManifest('app', 'amd'));
    await client.close();
    expect(n).toBe(4);
    expect(err.code).toBe('network');
    expect(err.message).toContain('502');
    expect(err.message).toContain('UNAVAILABLE: backend down');
  });

  it('retries a connection reset', async () => {
    let n = 0;
    reg.hook = (req, res) => {
      if (!req.url!.includes('/manifests/') || ++n > 1) return false;
      req.socket.destroy();
      void res;
      return true;
    };
    const client = new RegistryClient(reg.host, opts());
    expect((await client.getManifest('app', 'amd')).digest).toBe(amdDigest);
    expect(n).toBe(2);
    await client.close();
  });

  it('reports an unexpected status with the registry error code and message', async () => {
    reg.hook = (_req, res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'NAME_INVALID', message: 'invalid repository name' }] }));
      return true;
    };
    const client = new RegistryClient(reg.host, opts());
    const err = await errorOf(client.getManifest('app', 'amd'));
    await client.close();
    expect(err.code).toBe('registry');
    expect(err.message).toBe(`registry ${reg.host} answered 400 to GET for manifest ${reg.host}/app:amd (NAME_INVALID: invalid repository name)`);
  });

  it('says not-found for an unknown tag', async () => {
    const err = await errorOf(openRegistryImage(ref(`${reg.host}/app:gone`), opts()));
    expect(err.code).toBe('not-found');
    expect(err.message).toContain(`${reg.host}/app:gone`);
  });

  it('fails a layer stream whose bytes do not match the digest with digest-mismatch', async () => {
    const d = sha(amd.layer);
    reg.hook = (req, res) => {
      if (!req.url!.endsWith(`/blobs/${d}`)) return false;
      const evil = Buffer.from(amd.layer);
      evil.writeUInt8(evil.readUInt8(evil.length - 1) ^ 0xff, evil.length - 1);
      res.writeHead(200, { 'content-length': evil.length });
      res.end(evil);
      return true;
    };
    const img = await openRegistryImage(ref(`${reg.host}/app:amd`), opts());
    const err = await errorOf(drain(await img.layers[0]!.open()));
    await img.close();
    expect(err.code).toBe('digest-mismatch');
    expect(err.message).toContain(d);
  });

  it('refuses a config or manifest whose bytes do not match their digests', async () => {
    const cd = sha(amd.config);
    reg.hook = (req, res) => {
      if (!req.url!.endsWith(`/blobs/${cd}`)) return false;
      const evil = Buffer.from(amd.config.toString().replace('amd64', 'AMD64'));
      res.writeHead(200);
      res.end(evil);
      return true;
    };
    expect((await errorOf(openRegistryImage(ref(`${reg.host}/app:amd`), opts()))).code).toBe('digest-mismatch');
    reg.hook = (req, res) => {
      if (!req.url!.includes('/manifests/')) return false;
      res.writeHead(200, { 'content-type': OCI_MANIFEST, 'docker-content-digest': amdDigest });
      res.end(amd.manifest.toString().replace('"schemaVersion":2', '"schemaVersion": 2'));
      return true;
    };
    expect((await errorOf(openRegistryImage(ref(`${reg.host}/app:amd`), opts()))).code).toBe('digest-mismatch');
    expect((await errorOf(openRegistryImage(ref(`${reg.host}/app@${amdDigest}`), opts()))).code).toBe('digest-mismatch');
  });

  it('closes while a layer stream is still open, without waiting for it', async () => {
    const d = sha(amd.layer);
    reg.hook = (req, res) => {
      if (!req.url!.endsWith(`/blobs/${d}`)) return false;
      res.writeHead(200, { 'content-length': amd.layer.length });
      res.write(amd.layer.subarray(0, 4)); // and never the rest
      return true;
    };
    const img = await openRegistryImage(ref(`${reg.host}/app:amd`), opts());
    const stream = await img.layers[0]!.open();
    const failed = errorOf(drain(stream));
    await img.close();
    expect((await failed).code).toBe('network');
  });

  it('fails a layer that runs past its descriptor size with too-large', async () => {
    const d = sha(amd.layer);
    reg.hook = (req, res) => {
      if (!req.url!.endsWith(`/blobs/${d}`)) return false;
      res.writeHead(200);
      res.end(Buffer.concat([amd.layer, Buffer.from('trailing junk')]));
      return true;
    };
    const img = await openRegistryImage(ref(`${reg.host}/app:amd`), opts());
    expect((await errorOf(drain(await img.layers[0]!.open()))).code).toBe('too-large');
    await img.close();
  });

  it('follows a blob redirect to another host without sending the Authorization header there', async () => {
    const d = sha(amd.layer);
    storage.blobs.set(d, amd.layer);
    reg.guard = (a) => (a === `Basic ${Buffer.from('u:p').toString('base64')}` ? undefined : 'Basic realm="fake"');
    reg.hook = (req, res) => {
      if (!req.url!.endsWith(`/blobs/${d}`) || !req.headers.authorization) return false;
      res.writeHead(307, { location: `http://${storage.host}/v2/app/blobs/${d}?signature=abc` });
      res.end();
      return true;
    };
    const img = await openRegistryImage(ref(`${reg.host}/app:amd`), opts({ username: 'u', password: 'p' }));
    expect(await drain(await img.layers[0]!.open())).toBe(d);
    await img.close();
    expect(storage.hits).toHaveLength(1);
    expect(storage.hits[0]!.url).toContain('signature=abc');
    expect(storage.hits[0]!.authorization).toBeUndefined();
  });

  it('selects a platform through a nested index, and says not-found for a missing one', async () => {
    const desc = (img: ReturnType<typeof image>, arch: string) => ({ mediaType: OCI_MANIFEST, digest: sha(img.manifest), size: img.manifest.length, platform: { os: 'linux', architecture: arch } });
    const inner = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [desc(amd, 'amd64'), desc(arm, 'arm64')] }));
    const innerDigest = reg.putManifest('multi', 'inner', inner, OCI_INDEX);
    const outer = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [{ mediaType: OCI_INDEX, digest: innerDigest, size: inner.length }] }));
    const outerDigest = reg.putManifest('multi', 'latest', outer, OCI_INDEX);
    for (const [img, arch] of [[amd, 'amd64'], [arm, 'arm64']] as const) {
      reg.putManifest('multi', sha(img.manifest), img.manifest, OCI_MANIFEST);
      reg.blobs.set(sha(img.config), img.config);
      const opened = await openRegistryImage(ref(`${reg.host}/multi`), { insecureRegistries: [reg.host], platform: { os: 'linux', architecture: arch } }, fast);
      expect(opened.digest).toBe(sha(img.manifest));
      expect(opened.config.architecture).toBe(arch);
      expect(pinned(opened)).toBe(outerDigest);
      await opened.close();
    }
    const err = await errorOf(openRegistryImage(ref(`${reg.host}/multi`), { insecureRegistries: [reg.host], platform: { os: 'windows', architecture: 'amd64' } }, fast));
    expect(err.code).toBe('not-found');
  });

  it('refuses an image whose config has another number of diff_ids than the manifest has layers', async () => {
    const bad = image('amd64', 'c');
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
    const manifest = Buffer.from(bad.manifest.toString().replace(sha(bad.config), sha(config)).replace(`"size":${bad.config.length}`, `"size":${config.length}`));
    reg.blobs.set(sha(config), config);
    reg.putManifest('bad', 'latest', manifest, OCI_MANIFEST);
    const err = await errorOf(openRegistryImage(ref(`${reg.host}/bad`), opts()));
    expect(err.code).toBe('bad-image');
    expect(err.message).toMatch(/1 layers but the config has 0 diff_ids/);
  });

  it('lists tags across Link pages', async () => {
    reg.hook = (req, res) => {
      const url = new URL(req.url!, 'http://x');
      if (url.pathname !== '/v2/app/tags/list') return false;
      const last = url.searchParams.get('last');
      res.writeHead(200, {
        'content-type': 'application/json',
        ...(last ? {} : { link: '</v2/app/tags/list?n=2&last=arm>; rel="next"' }),
      });
      res.end(JSON.stringify({ name: 'app', tags: last ? ['latest'] : ['amd', 'arm'] }));
      return true;
    };
    const client = new RegistryClient(reg.host, opts());
    expect(await client.listTags('app')).toEqual(['amd', 'arm', 'latest']);
    await client.close();
  });

  it('says network when the registry does not answer within the timeout', async () => {
    reg.hook = () => true; // never answers
    const client = new RegistryClient(reg.host, opts({ timeoutMs: 300 }));
    const started = Date.now();
    const err = await errorOf(client.getManifest('app', 'amd'));
    await client.close();
    expect(err.code).toBe('network');
    expect(err.message).toBe(`registry ${reg.host} did not answer within 300 ms`);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('trades an identity token for an access token with a refresh-token POST, and sends SHIPSHAPE_REGISTRY_TOKEN as is', async () => {
    const forms: URLSearchParams[] = [];
    reg.hook = (req, res) => {
      if (!req.url!.startsWith('/token')) return false;
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        forms.push(new URLSearchParams(body));
        res.writeHead(req.method === 'POST' ? 200 : 401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ access_token: 'from-refresh' }));
      });
      return true;
    };
    reg.guard = (a) => (a === 'Bearer from-refresh' || a === 'Bearer direct' ? undefined : `Bearer realm="http://${reg.host}/token",service="svc"`);
    const config = path.join(work, 'idtoken.json');
    writeFileSync(config, JSON.stringify({ auths: { [reg.host]: { identitytoken: 'refresh-xyz' } } }));
    const client = new RegistryClient(reg.host, opts({ dockerConfig: config }));
    expect((await client.getManifest('app', 'amd')).digest).toBe(amdDigest);
    await client.close();
    expect(forms).toHaveLength(1);
    expect(Object.fromEntries(forms[0]!)).toMatchObject({ grant_type: 'refresh_token', refresh_token: 'refresh-xyz', service: 'svc', scope: 'repository:app:pull' });
    const direct = new RegistryClient(reg.host, { ...opts(), env: { SHIPSHAPE_REGISTRY_TOKEN: 'direct' } });
    expect((await direct.getManifest('app', 'amd')).digest).toBe(amdDigest);
    await direct.close();
    expect(forms).toHaveLength(1);
  });

  it('uses Basic credentials from a docker config auths entry', async () => {
    const basic = `Basic ${Buffer.from('carol:pw2').toString('base64')}`;
    reg.guard = (a) => (a === basic ? undefined : 'Basic realm="fake"');
    const config = path.join(work, 'auths.json');
    writeFileSync(config, JSON.stringify({ auths: { [`https://${reg.host}`]: { auth: Buffer.from('carol:pw2').toString('base64') } } }));
    const client = new RegistryClient(reg.host, opts({ dockerConfig: config }));
    expect((await client.getManifest('app', 'amd')).digest).toBe(amdDigest);
    await client.close();
    // DOCKER_CONFIG points at the directory holding config.json.
    const dir = mkdtempSync(path.join(work, 'dc-'));
    writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ auths: { [reg.host]: { username: 'carol', password: 'pw2' } } }));
    const viaEnv = new RegistryClient(reg.host, { ...opts(), env: { DOCKER_CONFIG: dir } });
    expect((await viaEnv.getManifest('app', 'amd')).digest).toBe(amdDigest);
    await viaEnv.close();
  });

  it('asks a docker-credential helper found on PATH', async () => {
    const bin = mkdtempSync(path.join(work, 'bin-'));
    const asked = path.join(bin, 'asked.txt');
    const helper = path.join(bin, 'docker-credential-test');
    writeFileSync(
      helper,
      `#!/bin/sh
[ "$1" = get ] || exit 2
read server
echo "$server" > "${asked}"
if [ "$server" = "${reg.host}" ]; then
  echo '{"ServerURL":"${reg.host}","Username":"dave","Secret":"pw3"}'
else
  echo "credentials not found in native keychain"; exit 1
fi
`,
    );
    chmodSync(helper, 0o755);
    const config = path.join(bin, 'config.json');
    writeFileSync(config, JSON.stringify({ credHelpers: { [reg.host]: 'test' } }));
    reg.guard = (a) => (a === `Basic ${Buffer.from('dave:pw3').toString('base64')}` ? undefined : 'Basic realm="fake"');
    const env = { PATH: `${bin}:${process.env.PATH}` };
    const client = new RegistryClient(reg.host, opts({ dockerConfig: config, env }));
    expect((await client.getManifest('app', 'amd')).digest).toBe(amdDigest);
    await client.close();
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(asked, 'utf8').trim()).toBe(reg.host);
  });
});
