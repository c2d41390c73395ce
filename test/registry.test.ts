/** The registry client and ImageSource against a real registry (CNCF Distribution) over TLS with htpasswd auth. */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShipshapeError } from '../src/errors.js';
import { openRegistryImage } from '../src/image/registry/index.js';
import type { ImageRef, OpenOptions } from '../src/image/types.js';
import { parseReference } from '../src/image/reference.js';
import { RegistryClient } from '../src/registry/index.js';
import { freePort, openOptionsFor, pushWithSkopeo, registryToolsMissing, startRegistry, writeTinyOciLayout, type StartedRegistry, type TinyImage } from './helpers/registry.js';
import { sharedPath } from './helpers/shared.js';

const missing = registryToolsMissing();
const auth = { username: 'scanner', password: 's3cret:with-colon' };
/** Keeps the machine's own docker config and SHIPSHAPE_* variables out of these tests. */
const isolated = { env: { HOME: '/nonexistent-shipshape-home' } };

function open(ref: Extract<ImageRef, { kind: 'registry' }>, opts: OpenOptions) {
  return openRegistryImage(ref, opts, isolated);
}

async function sha256(stream: Readable): Promise<string> {
  const h = createHash('sha256');
  for await (const c of stream) h.update(c as Buffer);
  return `sha256:${h.digest('hex')}`;
}

/** The digest the opened image's reference was pinned to. */
function pinned(img: Awaited<ReturnType<typeof openRegistryImage>>): string | undefined {
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

function registryRef(s: string) {
  const r = parseReference(s);
  if (r.kind !== 'registry') throw new Error(`not a registry ref: ${s}`);
  return r;
}

describe.skipIf(missing)('registry over TLS with htpasswd', () => {
  let reg: StartedRegistry;
  let work: string;
  let tiny: TinyImage;
  const opts = (): OpenOptions => openOptionsFor(reg);

  beforeAll(async () => {
    reg = await startRegistry({ tls: true, auth });
    work = mkdtempSync(path.join(tmpdir(), 'shipshape-regtest-'));
    tiny = await writeTinyOciLayout(path.join(work, 'tiny'));
    await pushWithSkopeo(`oci:${tiny.dir}:latest`, `docker://${reg.host}/test/tiny:1.0`, reg);
  });
  afterAll(async () => {
    await reg?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('opens a tiny image: manifest, config and layer verified against their digests', async () => {
    const img = await open(registryRef(`${reg.host}/test/tiny:1.0`), opts());
    try {
      expect(img.digest).toBe(tiny.manifestDigest);
      expect(img.configDigest).toBe(tiny.configDigest);
      expect(pinned(img)).toBe(tiny.manifestDigest);
      expect(img.layers.map((l) => [l.digest, l.diffId, l.size])).toEqual([[tiny.layerDigest, tiny.diffId, tiny.layerSize]]);
      expect(img.config.config?.Cmd).toEqual(['/bin/sh']);
      expect(await sha256(await img.layers[0]!.open())).toBe(tiny.layerDigest);
      expect(await sha256((await img.layers[0]!.open()).pipe(createGunzip()))).toBe(tiny.diffId);
    } finally {
      await img.close();
    }
  });

  it('opens the same image by digest, and HEAD gives that digest', async () => {
    const client = new RegistryClient(reg.host, { ...opts(), ...isolated, credentialsFor: reg.host });
    try {
      const head = await client.headManifest('test/tiny', '1.0');
      expect(head.digest).toBe(tiny.manifestDigest);
      expect(head.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
      expect(await client.listTags('test/tiny')).toEqual(['1.0']);
    } finally {
      await client.close();
    }
    const img = await open(registryRef(`${reg.host}/test/tiny@${tiny.manifestDigest}`), opts());
    expect(img.digest).toBe(tiny.manifestDigest);
    await img.close();
  });

  it('says unauthorized for a wrong password', async () => {
    const err = await errorOf(open(registryRef(`${reg.host}/test/tiny:1.0`), { ...opts(), password: 'wrong' }));
    expect(err.code).toBe('unauthorized');
    expect(err.message).toBe(`authentication failed for ${reg.host}: check the username and password`);
  });

  it('says unauthorized, naming the missing credentials, without any', async () => {
    const err = await errorOf(open(registryRef(`${reg.host}/test/tiny:1.0`), { caCerts: [reg.caCert] }));
    expect(err.code).toBe('unauthorized');
    expect(err.message).toMatch(/no credentials/);
  });

  it('says not-found for an unknown tag, naming the reference', async () => {
    const err = await errorOf(open(registryRef(`${reg.host}/test/tiny:nope`), opts()));
    expect(err.code).toBe('not-found');
    expect(err.message).toContain(`${reg.host}/test/tiny:nope`);
  });

  it('says network, with a TLS hint, when the CA is not trusted', async () => {
    const err = await errorOf(open(registryRef(`${reg.host}/test/tiny:1.0`), { username: auth.username, password: auth.password }));
    expect(err.code).toBe('network');
    expect(err.message).toContain(reg.host);
    expect(err.message).toMatch(/TLS/);
  });

  it('says network, with a hint, when an HTTPS registry is listed as insecure', async () => {
    const err = await errorOf(open(registryRef(`${reg.host}/test/tiny:1.0`), { insecureRegistries: [reg.host] }));
    expect(err.code).toBe('network');
    expect(err.message).toBe(`registry ${reg.host} speaks HTTPS: remove it from insecureRegistries`);
  });

  it('says network within seconds for a port nobody listens on', async () => {
    const port = await freePort();
    const started = Date.now();
    const err = await errorOf(open(registryRef(`127.0.0.1:${port}/x/y:1`), { timeoutMs: 3000 }));
    expect(err.code).toBe('network');
    expect(err.message).toContain(`127.0.0.1:${port}`);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  const alpine310 = sharedPath('images/oci/alpine-3.10');
  it.skipIf(!alpine310)('pulls alpine-3.10 pushed from ../shared', async () => {
    await pushWithSkopeo(`oci:${alpine310}:latest`, `docker://${reg.host}/library/alpine:3.10`, reg);
    const index = JSON.parse(readFileSync(path.join(alpine310!, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    const manifest = JSON.parse(readFileSync(path.join(alpine310!, 'blobs/sha256', index.manifests[0]!.digest.slice(7)), 'utf8')) as {
      config: { digest: string };
      layers: Array<{ digest: string }>;
    };
    const img = await open(registryRef(`${reg.host}/library/alpine:3.10`), opts());
    try {
      expect(img.digest).toBe(index.manifests[0]!.digest);
      expect(img.configDigest).toBe(manifest.config.digest);
      expect(img.layers.map((l) => l.digest)).toEqual(manifest.layers.map((l) => l.digest));
      for (const layer of img.layers) expect(await sha256(await layer.open())).toBe(layer.digest);
      expect(img.config.rootfs.diff_ids).toEqual(img.layers.map((l) => l.diffId));
    } finally {
      await img.close();
    }
  });

  const multi = sharedPath('images/oci/alpine-3.20-multiarch');
  it.skipIf(!multi)('selects linux/amd64 and linux/arm64 from a multi-arch index', async () => {
    await pushWithSkopeo(`oci:${multi}:latest`, `docker://${reg.host}/library/alpine:3.20-multi`, reg, { all: true });
    const ref = registryRef(`${reg.host}/library/alpine:3.20-multi`);
    const amd = await open(ref, { ...opts(), platform: { os: 'linux', architecture: 'amd64' } });
    const arm = await open(ref, { ...opts(), platform: { os: 'linux', architecture: 'arm64' } });
    try {
      expect(amd.config.architecture).toBe('amd64');
      expect(arm.config.architecture).toBe('arm64');
      expect(amd.digest).not.toBe(arm.digest);
      // Both were reached through the same index, which is what the reference now pins.
      expect(pinned(amd)).toBe(pinned(arm));
      expect(pinned(amd)).not.toBe(amd.digest);
      expect(await sha256(await arm.layers[0]!.open())).toBe(arm.layers[0]!.digest);
      const err = await errorOf(open(ref, { ...opts(), platform: { os: 'linux', architecture: 's390x' } }));
      expect(err.code).toBe('not-found');
      expect(err.message).toMatch(/s390x/);
    } finally {
      await amd.close();
      await arm.close();
    }
  });
});

describe.skipIf(missing)('registry over plain HTTP', () => {
  let reg: StartedRegistry;
  let work: string;
  beforeAll(async () => {
    reg = await startRegistry();
    work = mkdtempSync(path.join(tmpdir(), 'shipshape-regtest-'));
    const tiny = await writeTinyOciLayout(path.join(work, 'tiny'));
    await pushWithSkopeo(`oci:${tiny.dir}:latest`, `docker://${reg.host}/plain/tiny:latest`, reg);
  });
  afterAll(async () => {
    await reg?.stop();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('reaches an insecure registry anonymously over HTTP', async () => {
    const img = await open(registryRef(`${reg.host}/plain/tiny`), { insecureRegistries: [reg.host] });
    expect(img.layers).toHaveLength(1);
    expect(await sha256(await img.layers[0]!.open())).toBe(img.layers[0]!.digest);
    await img.close();
  });

  it('does not fall back to HTTP for a registry not listed as insecure', async () => {
    const err = await errorOf(open(registryRef(`${reg.host}/plain/tiny`), {}));
    expect(err.code).toBe('network');
  });
});
