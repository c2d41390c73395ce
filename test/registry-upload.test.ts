/**
 * The upload primitives of src/registry/upload.ts against a real docker-registry: monolithic and
 * chunked (Content-Range) uploads, a streamed PATCH, sessions held until commit or cancelled,
 * cross-repository mount and its fallback, manifest PUT byte for byte.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../src/registry/client.js';
import { blobExists, mountBlob, putManifest, SessionPool, StagedUploads, uploadBlob } from '../src/registry/upload.js';
import { registryToolsMissing, startRegistry, type StartedRegistry } from './helpers/registry.js';

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe.skipIf(registryToolsMissing())('registry uploads', () => {
  let reg: StartedRegistry;
  let client: RegistryClient;
  beforeAll(async () => {
    reg = await startRegistry();
    client = new RegistryClient(reg.host, { insecureRegistries: [reg.host] });
  });
  afterAll(async () => {
    await client?.close();
    await reg?.stop();
  });

  it('monolithic upload; HEAD says present; a wrong digest is refused before sending', async () => {
    const data = randomBytes(1000);
    expect(await blobExists(client, 'u/mono', sha(data))).toBe(false);
    await uploadBlob(client, 'u/mono', sha(data), data);
    expect(await blobExists(client, 'u/mono', sha(data))).toBe(true);
    await expect(uploadBlob(client, 'u/mono', sha(Buffer.from('other')), data)).rejects.toThrow(/does not hash/);
  });

  it('chunked with Content-Range (several PATCHes), streamed in one PATCH, or sent with the commit: nothing exists until commit', async () => {
    const data = randomBytes(300_000);
    const blob = { digest: sha(data), size: data.length };
    const paths = [
      ['u/chunked', { chunkBytes: 64 << 10, streamMaxBytes: 0, monolithicMaxBytes: 0 }],
      ['u/streamed', { monolithicMaxBytes: 0 }],
      // Small blobs wait in memory and go with the commit's PUT.
      ['u/monolithic', {}],
    ] as const;
    for (const [repo, opts] of paths) {
      let sent = 0;
      const staged = new StagedUploads(client, repo, [blob], async () => Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]), (n) => (sent = n), opts);
      staged.start();
      await new Promise((r) => setTimeout(r, 200));
      expect(await blobExists(client, repo, blob.digest)).toBe(false);
      expect(await staged.commit()).toEqual({ count: 1, bytes: data.length });
      expect(sent).toBe(data.length);
      expect(await blobExists(client, repo, blob.digest)).toBe(true);
    }
  });

  it('cancel leaves no blob; a source shorter than its descriptor fails the commit', async () => {
    const data = randomBytes(50_000);
    const staged = new StagedUploads(client, 'u/cancel', [{ digest: sha(data), size: data.length }], async () => Readable.from([data]));
    staged.start();
    await staged.cancel();
    expect(await blobExists(client, 'u/cancel', sha(data))).toBe(false);
    for (const monolithicMaxBytes of [0, undefined]) {
      const short = new StagedUploads(client, 'u/short', [{ digest: sha(data), size: data.length }], async () => Readable.from([data.subarray(0, 1000)]), undefined, { streamMaxBytes: 0, ...(monolithicMaxBytes === 0 ? { monolithicMaxBytes } : {}) });
      await expect(short.commit()).rejects.toThrow(/1000 bytes, its descriptor says 50000/);
      expect(await blobExists(client, 'u/short', sha(data))).toBe(false);
    }
  });

  it('sessions opened ahead: a staged blob takes one, close() deletes the ones never taken', async () => {
    const seen: string[] = [];
    const counting = new RegistryClient(reg.host, { insecureRegistries: [reg.host] });
    const request = counting.request.bind(counting);
    counting.request = async (req) => {
      const res = await request(req);
      seen.push(`${req.method} ${res.status}`);
      return res;
    };
    try {
      const data = randomBytes(3000);
      const pool = new SessionPool(counting, 'u/pool');
      pool.open(3);
      const staged = new StagedUploads(counting, 'u/pool', [{ digest: sha(data), size: data.length }], async () => Readable.from([data]), undefined, { sessions: pool });
      staged.start();
      expect(await staged.commit()).toEqual({ count: 1, bytes: data.length });
      await pool.close();
      expect(seen.filter((x) => x.startsWith('POST')).length).toBe(3);
      expect(seen.filter((x) => x.startsWith('DELETE')).length).toBe(2);
      expect(await blobExists(client, 'u/pool', sha(data))).toBe(true);
      // Taking past what was opened starts a new session.
      const more = new SessionPool(counting, 'u/pool');
      expect(await more.take()).toMatch(/\/v2\/u\/pool\/blobs\/uploads\//);
    } finally {
      await counting.close();
    }
  });

  it('sessions go out in the order they open: the first taker does not wait for a slow POST; close() deletes one still opening', async () => {
    const seen: string[] = [];
    const slow = new RegistryClient(reg.host, { insecureRegistries: [reg.host] });
    const request = slow.request.bind(slow);
    let posts = 0;
    slow.request = async (req) => {
      // The first POST is answered 400 ms late.
      const late = req.method === 'POST' && posts++ === 0;
      const res = await request(req);
      if (late) await new Promise((r) => setTimeout(r, 400));
      seen.push(`${req.method} ${late ? 'late' : 'quick'}`);
      if (req.method === 'POST') (late ? lateLocations : quickLocations).push(String(res.headers.location));
      return res;
    };
    const lateLocations: string[] = [];
    const quickLocations: string[] = [];
    try {
      const pool = new SessionPool(slow, 'u/order');
      pool.open(2);
      const first = await pool.take();
      expect(seen).toEqual(['POST quick']);
      expect(first).toBe(quickLocations[0]);
      // The second taker waits for the late one rather than opening a third.
      const second = await pool.take();
      expect(second).toBe(lateLocations[0]);
      expect(seen.filter((x) => x.startsWith('POST'))).toHaveLength(2);
      // One opened and never taken while close() runs: it is DELETEd once it opens.
      pool.open(1);
      posts = 0;
      const more = new SessionPool(slow, 'u/order');
      more.open(1);
      await more.close();
      await pool.close();
      expect(seen.filter((x) => x.startsWith('DELETE'))).toHaveLength(2);
      expect(seen.filter((x) => x.startsWith('POST'))).toHaveLength(4);
    } finally {
      await slow.close();
    }
  });

  it('flowing: resolves once the largest blobs are on their way, long before their last byte; and on cancel', async () => {
    const big = randomBytes(400_000);
    const small = randomBytes(500);
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => (release = r));
    // The big blob's source gives its first half, then waits until released.
    const open = async (b: { digest: string }) =>
      b.digest === sha(big)
        ? Readable.from(
            (async function* () {
              yield big.subarray(0, 200_000);
              await held;
              yield big.subarray(200_000);
            })(),
          )
        : Readable.from([small]);
    const blobs = [
      { digest: sha(small), size: small.length },
      { digest: sha(big), size: big.length },
    ];
    const staged = new StagedUploads(client, 'u/flowing', blobs, open, undefined, { parallel: 1, monolithicMaxBytes: 1000 });
    let done = false;
    staged.start();
    const uploaded = staged.uploaded().then(() => (done = true));
    await staged.flowing;
    expect(done).toBe(false);
    release();
    await uploaded;
    expect(await staged.commit()).toEqual({ count: 2, bytes: big.length + small.length });
    expect(await blobExists(client, 'u/flowing', sha(big))).toBe(true);
    // Cancelled before anything began: flowing still resolves.
    const never = new StagedUploads(client, 'u/flowing2', [{ digest: sha(big), size: big.length }], () => new Promise<Readable>(() => undefined));
    never.start();
    await never.cancel();
    await never.flowing;
  });

  it('cross-repository mount; from a repository without the blob it falls back (false)', async () => {
    const data = randomBytes(2000);
    await uploadBlob(client, 'u/from', sha(data), data);
    expect(await mountBlob(client, 'u/to', sha(data), 'u/from')).toBe(true);
    expect(await blobExists(client, 'u/to', sha(data))).toBe(true);
    expect(await mountBlob(client, 'u/to2', sha(randomBytes(10)), 'u/from')).toBe(false);
  });

  it('manifest PUT keeps the bytes (odd spacing and key order survive): the digest is theirs', async () => {
    const config = Buffer.from('{}');
    await uploadBlob(client, 'u/m', sha(config), config);
    const bytes = Buffer.from(`{ "schemaVersion":2,  "mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[],"config":{"size":2,"digest":"${sha(config)}","mediaType":"application/vnd.oci.empty.v1+json"} }`);
    const r = await putManifest(client, 'u/m', 'v1', 'application/vnd.oci.image.manifest.v1+json', bytes);
    expect(r.digest).toBe(sha(bytes));
    const got = await client.getManifest('u/m', 'v1');
    expect(got.bytes.equals(bytes)).toBe(true);
    await expect(putManifest(client, 'u/m', sha(Buffer.from('x')), 'application/vnd.oci.image.manifest.v1+json', bytes)).rejects.toThrow(/hashes to/);
  });
});
