/**
 * Uploads (OCI distribution spec, "Push"): blob HEAD, monolithic POST+PUT, chunked POST+PATCH…+PUT
 * held open until told to commit, cross-repository mount, manifest PUT byte for byte. Built on
 * RegistryClient.request, so auth, credentials per host, timeouts and retries are the client's.
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#push
 */
import { Transform, type Readable } from 'node:stream';
import { ShipshapeError } from '../errors.js';
import { digestOf, parseDigest } from '../image/digest.js';
import type { RegistryClient } from './client.js';
import { blobBudgetMs, DEFAULT_TIMEOUT_MS, header } from './transport.js';
import { repositoryScope } from './types.js';

const push = (repository: string) => [repositoryScope(repository, 'pull,push')];
/** PATCH size: big enough to keep round trips few, small enough to hold a few in memory. */
export const DEFAULT_CHUNK_BYTES = 16 << 20;
/** Blobs up to this size (known from their descriptor) are streamed in one PATCH; larger ones go in chunks. */
export const STREAM_MAX_BYTES = 2 ** 31;
/**
 * Staged blobs up to this size are read into memory and sent with the commit's PUT (a monolithic
 * upload): one request after the verdict instead of a PATCH before it and a PUT after.
 */
export const MONOLITHIC_MAX_BYTES = 1 << 20;

/** `f`, called at most once. */
function once(f: () => void): () => void {
  let done = false;
  return () => {
    if (!done) f();
    done = true;
  };
}

/** `location` plus `key=value`, whatever query the registry put on it. */
function withQuery(location: string, key: string, value: string): string {
  return `${location}${location.includes('?') ? '&' : '?'}${key}=${encodeURIComponent(value)}`;
}

function locationOf(res: { headers: Record<string, string | string[] | undefined> }, registry: string, what: string): string {
  const loc = header(res as never, 'location');
  if (!loc) throw new ShipshapeError('registry', `registry ${registry} started ${what} without a Location`);
  return loc;
}

/** Does the repository hold this blob? (HEAD; 404 = no.) */
export async function blobExists(client: RegistryClient, repository: string, digest: string): Promise<boolean> {
  parseDigest(digest);
  const res = await client.request({ method: 'HEAD', path: `/v2/${repository}/blobs/${digest}`, scopes: [repositoryScope(repository)], ok: [200, 404], what: `blob ${digest} of ${client.registry}/${repository}` });
  await res.body.dump().catch(() => undefined);
  return res.status === 200;
}

/** Opens an upload session; returns its location. */
export async function startUpload(client: RegistryClient, repository: string): Promise<string> {
  const what = `an upload to ${client.registry}/${repository}`;
  const res = await client.request({ method: 'POST', path: `/v2/${repository}/blobs/uploads/`, scopes: push(repository), headers: { 'content-length': '0' }, body: Buffer.alloc(0), ok: [202], what });
  await res.body.dump().catch(() => undefined);
  return locationOf(res, client.registry, what);
}

/**
 * Sends one chunk at `offset` (a Buffer, re-sent on a retry, or a stream of exactly `length` bytes);
 * returns the location for the next request (the registry may change it).
 */
export async function uploadChunk(
  client: RegistryClient,
  repository: string,
  location: string,
  chunk: Buffer | Readable,
  offset: number,
  timeoutMs: number,
  length: number = Buffer.isBuffer(chunk) ? chunk.length : -1,
): Promise<string> {
  const what = `a chunk of an upload to ${client.registry}/${repository}`;
  const res = await client.request({
    method: 'PATCH',
    path: location,
    scopes: push(repository),
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(length), 'content-range': `${offset}-${offset + length - 1}` },
    body: chunk,
    ok: [202],
    what,
    budgetMs: blobBudgetMs(length, timeoutMs),
  });
  await res.body.dump().catch(() => undefined);
  return header(res, 'location') ?? location;
}

/** Closes a session with the digest the bytes must have (the registry checks it); `last` is a final chunk, or none. */
export async function commitUpload(client: RegistryClient, repository: string, location: string, digest: string, last: Buffer = Buffer.alloc(0), timeoutMs = DEFAULT_TIMEOUT_MS): Promise<void> {
  const what = `blob ${digest} to ${client.registry}/${repository}`;
  const res = await client.request({
    method: 'PUT',
    path: withQuery(location, 'digest', digest),
    scopes: push(repository),
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(last.length) },
    body: last,
    ok: [201],
    what,
    budgetMs: blobBudgetMs(last.length, timeoutMs),
  });
  await res.body.dump().catch(() => undefined);
  const stored = header(res, 'docker-content-digest');
  if (stored && stored !== digest) throw new ShipshapeError('digest-mismatch', `registry ${client.registry} stored ${what} as ${stored}`);
}

/** Abandons a session (the registry drops its bytes). */
export async function cancelUpload(client: RegistryClient, repository: string, location: string): Promise<void> {
  const res = await client.request({ method: 'DELETE', path: location, scopes: push(repository), ok: [200, 202, 204, 404], what: `an upload to ${client.registry}/${repository}` });
  await res.body.dump().catch(() => undefined);
}

/** A small blob in one go (POST, then PUT with the bytes). */
export async function uploadBlob(client: RegistryClient, repository: string, digest: string, data: Buffer): Promise<void> {
  if (digestOf(data) !== digest) throw new ShipshapeError('digest-mismatch', `blob for ${client.registry}/${repository} does not hash to ${digest}`);
  const location = await startUpload(client, repository);
  await commitUpload(client, repository, location, digest, data);
}

/** Cross-repository mount from another repository of the same registry; false when the registry did not mount (the session it opened instead is closed). */
export async function mountBlob(client: RegistryClient, repository: string, digest: string, from: string): Promise<boolean> {
  const what = `mount of ${digest} from ${from} into ${client.registry}/${repository}`;
  const res = await client.request({
    method: 'POST',
    path: `/v2/${repository}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`,
    scopes: [...push(repository), repositoryScope(from)],
    headers: { 'content-length': '0' },
    body: Buffer.alloc(0),
    ok: [201, 202],
    what,
  });
  await res.body.dump().catch(() => undefined);
  if (res.status === 201) return true;
  await cancelUpload(client, repository, locationOf(res, client.registry, what)).catch(() => undefined);
  return false;
}

/** PUT a manifest or index by tag or digest, exactly these bytes; the registry must store it under their digest. */
export async function putManifest(client: RegistryClient, repository: string, reference: string, mediaType: string, bytes: Buffer): Promise<{ digest: string; subject?: string }> {
  const digest = digestOf(bytes);
  if (reference.includes(':') && reference !== digest) throw new ShipshapeError('digest-mismatch', `manifest for ${repository}@${reference} hashes to ${digest}`);
  const what = `manifest ${client.registry}/${repository}${reference.includes(':') ? '@' : ':'}${reference}`;
  const type = mediaType || (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType || 'application/vnd.oci.image.manifest.v1+json';
  const res = await client.request({
    method: 'PUT',
    path: `/v2/${repository}/manifests/${reference}`,
    scopes: push(repository),
    headers: { 'content-type': type, 'content-length': String(bytes.length) },
    body: bytes,
    ok: [201],
    what,
  });
  await res.body.dump().catch(() => undefined);
  const stored = header(res, 'docker-content-digest');
  if (stored && stored !== digest) throw new ShipshapeError('digest-mismatch', `registry ${client.registry} stored ${what} as ${stored}, not ${digest}: it changed the bytes`);
  const subject = header(res, 'oci-subject');
  return { digest, ...(subject ? { subject } : {}) };
}

export interface Blob {
  digest: string;
  size: number;
}

/**
 * Upload sessions opened ahead (a POST each; a session stores no blob): take() hands out the first
 * to open (the registry answers POSTs in any order; the first taker, e.g. the largest blob, should
 * not wait for one that is slow), a new POST once none is left; close() DELETEs the ones never
 * taken, those still opening as they open.
 */
export class SessionPool {
  private readonly opened: string[] = [];
  private readonly waiters: Array<{ resolve: (location: string) => void; reject: (err: unknown) => void }> = [];
  private readonly opening = new Set<Promise<void>>();

  constructor(
    private readonly client: RegistryClient,
    private readonly repository: string,
  ) {}

  open(n: number): void {
    for (let i = 0; i < n; i++) {
      const p: Promise<void> = startUpload(this.client, this.repository).then(
        (loc) => {
          this.opening.delete(p);
          const w = this.waiters.shift();
          if (w) w.resolve(loc);
          else this.opened.push(loc);
        },
        (err: unknown) => {
          this.opening.delete(p);
          // A taker waiting for this one gets its error; with none waiting it is not kept (a later
          // take() opens a session of its own and meets the fault itself).
          this.waiters.shift()?.reject(err);
        },
      );
      this.opening.add(p);
    }
  }

  take(): Promise<string> {
    const loc = this.opened.shift();
    if (loc) return Promise.resolve(loc);
    if (this.opening.size > this.waiters.length) return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
    return startUpload(this.client, this.repository);
  }

  async close(): Promise<void> {
    await Promise.all([...this.opening]);
    const left = this.opened.splice(0);
    await Promise.all(left.map((loc) => cancelUpload(this.client, this.repository, loc).catch(() => undefined)));
  }
}

/**
 * Uploads started now and committed later: the bytes travel while the scan runs (small blobs wait
 * in memory for the commit's PUT), but no blob exists in the repository until commit(); cancel()
 * abandons every session.
 */
export class StagedUploads<B extends Blob = Blob> {
  private readonly sessions = new Map<string, string>();
  /** Small blobs' bytes, read and held for the commit's PUT. */
  private readonly bodies = new Map<string, Buffer>();
  private readonly streams = new Set<Readable>();
  /** The blobs given a session (all of them, but those `needed` said no to). */
  private readonly staged: B[] = [];
  private running: Promise<void> | undefined;
  private error: unknown;
  private cancelled = false;
  private sent = 0;
  private leading = 0;
  private flowed: () => void = () => undefined;
  /**
   * Resolves once the blobs taken first (the largest, one per worker) are on their way: a streamed
   * one's first bytes went, a small one was read, an unneeded one was left out, or it failed; also
   * on cancel(). The bytes then travel while a caller's own work holds the event loop only now and then.
   */
  readonly flowing = new Promise<void>((resolve) => (this.flowed = resolve));

  constructor(
    private readonly client: RegistryClient,
    private readonly repository: string,
    private readonly blobs: B[],
    private readonly open: (b: B) => Promise<Readable>,
    private readonly onBytes?: (sent: number) => void,
    /** `needed`: asked before a blob's session opens (e.g. a HEAD at DEST); a blob it says no to is left out. */
    private readonly opts: {
      timeoutMs?: number;
      chunkBytes?: number;
      parallel?: number;
      streamMaxBytes?: number;
      monolithicMaxBytes?: number;
      needed?: (b: B) => Promise<boolean>;
      /** Where sessions come from (default: a POST each, when the blob's turn comes). */
      sessions?: SessionPool;
    } = {},
  ) {}

  start(): void {
    if (this.running) return;
    const queue = [...this.blobs].sort((a, b) => b.size - a.size);
    const workers = Math.min(this.opts.parallel ?? 3, queue.length);
    this.leading = workers;
    if (workers === 0) this.flowed();
    const worker = async () => {
      // Each worker's first blob counts towards `flowing`, once.
      let lead = true;
      for (let b = queue.shift(); b && !this.cancelled; b = queue.shift()) {
        const begun = lead ? once(() => --this.leading === 0 && this.flowed()) : () => undefined;
        lead = false;
        try {
          await this.stage(b, begun);
        } finally {
          begun();
        }
      }
    };
    this.running = Promise.all(Array.from({ length: workers }, worker)).then(
      () => undefined,
      (err: unknown) => {
        this.error ??= err;
      },
    );
  }

  private async stage(b: B, begun: () => void): Promise<void> {
    const chunkBytes = this.opts.chunkBytes ?? DEFAULT_CHUNK_BYTES;
    const timeoutMs = this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    // The session opens while `needed` is asked (one round trip, not two); an unneeded one is deleted.
    const opening = (this.opts.sessions?.take() ?? startUpload(this.client, this.repository)).then((loc) => {
      this.sessions.set(b.digest, loc);
      return loc;
    });
    opening.catch(() => undefined);
    const drop = async () => {
      const loc = await opening.catch(() => undefined);
      if (loc && this.sessions.delete(b.digest)) await cancelUpload(this.client, this.repository, loc).catch(() => undefined);
    };
    let needed = true;
    try {
      needed = !this.opts.needed || (await this.opts.needed(b));
    } catch (err) {
      await drop();
      throw err;
    }
    if (!needed) return drop();
    let location = await opening;
    if (this.cancelled) return; // the session is deleted by cancel()
    this.staged.push(b);
    const stream = await this.open(b);
    this.streams.add(stream);
    let offset = 0;
    if (b.size >= 0 && b.size <= (this.opts.monolithicMaxBytes ?? MONOLITHIC_MAX_BYTES)) {
      // Small: read now (the source's stream checks its digest), sent with the commit's PUT.
      const chunks: Buffer[] = [];
      try {
        for await (const c of stream) {
          offset += (c as Buffer).length;
          if (offset > b.size) throw new ShipshapeError('bad-image', `blob ${b.digest} is larger than its descriptor's ${b.size} bytes`);
          chunks.push(c as Buffer);
        }
      } catch (err) {
        throw this.broke(b, 0, err);
      } finally {
        this.streams.delete(stream);
        stream.destroy();
      }
      if (this.cancelled) return;
      if (offset !== b.size) throw new ShipshapeError('bad-image', `blob ${b.digest} is ${offset} bytes, its descriptor says ${b.size}`);
      this.bodies.set(b.digest, Buffer.concat(chunks, offset));
      begun();
      this.sent += offset;
      this.onBytes?.(this.sent);
      return;
    }
    if (b.size > 0 && b.size <= (this.opts.streamMaxBytes ?? STREAM_MAX_BYTES)) {
      // Size known: the blob goes as one streamed chunk, never held in memory (no retry: a rerun resumes).
      const counter = new Transform({
        transform: (c: Buffer, _e, done) => {
          begun();
          this.sent += c.length;
          this.onBytes?.(this.sent);
          done(null, c);
        },
      });
      stream.on('error', (err) => counter.destroy(err));
      stream.pipe(counter);
      try {
        location = await uploadChunk(this.client, this.repository, location, counter, 0, timeoutMs, b.size);
        this.sessions.set(b.digest, location);
      } catch (err) {
        throw this.broke(b, 0, err);
      } finally {
        this.streams.delete(stream);
        stream.destroy();
      }
      return;
    }
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    const flush = async () => {
      const chunk = Buffer.concat(pending, pendingBytes);
      pending = [];
      pendingBytes = 0;
      try {
        location = await uploadChunk(this.client, this.repository, location, chunk, offset, timeoutMs);
      } catch (err) {
        throw this.broke(b, offset, err);
      }
      this.sessions.set(b.digest, location);
      offset += chunk.length;
      this.sent += chunk.length;
      this.onBytes?.(this.sent);
    };
    try {
      for await (const c of stream) {
        if (this.cancelled) return;
        pending.push(c as Buffer);
        pendingBytes += (c as Buffer).length;
        if (pendingBytes >= chunkBytes) await flush();
      }
      if (pendingBytes > 0) await flush();
    } finally {
      this.streams.delete(stream);
      stream.destroy();
    }
    if (b.size >= 0 && offset !== b.size) throw new ShipshapeError('bad-image', `blob ${b.digest} is ${offset} bytes, its descriptor says ${b.size}`);
  }

  private broke(b: B, offset: number, err: unknown): ShipshapeError {
    // The source's own failure (a layer that does not match its digest) is said as it is.
    if (err instanceof ShipshapeError && (err.code === 'digest-mismatch' || err.code === 'too-large' || err.code === 'bad-image')) return err;
    const why = err instanceof Error ? err.message : String(err);
    return new ShipshapeError(
      err instanceof ShipshapeError && err.code !== 'not-found' ? err.code : 'network',
      `upload of blob ${b.digest} to ${this.client.registry}/${this.repository} broke off after byte ${offset} (${why}); nothing was committed: run it again to complete`,
      { cause: err },
    );
  }

  /** Waits for every upload (each blob's bytes all sent, nothing committed); the first failure cancels the rest. */
  async uploaded(): Promise<void> {
    this.start();
    await this.running;
    if (this.error) {
      const err = this.error;
      await this.cancel();
      throw err;
    }
  }

  /** Waits for every upload, then commits each by digest; the first failure cancels the rest. */
  async commit(): Promise<{ count: number; bytes: number }> {
    await this.uploaded();
    await Promise.all(
      this.staged.map(async (b) => {
        await commitUpload(this.client, this.repository, this.sessions.get(b.digest)!, b.digest, this.bodies.get(b.digest) ?? Buffer.alloc(0), this.opts.timeoutMs);
        this.sessions.delete(b.digest);
        this.bodies.delete(b.digest);
      }),
    );
    return { count: this.staged.length, bytes: this.sent };
  }

  /** Stops reading, waits for requests in flight, and deletes every open session. */
  async cancel(): Promise<void> {
    this.cancelled = true;
    this.flowed();
    for (const s of this.streams) s.destroy();
    await this.running?.catch(() => undefined);
    const open = [...this.sessions.values()];
    this.sessions.clear();
    this.bodies.clear();
    await Promise.all(open.map((loc) => cancelUpload(this.client, this.repository, loc).catch(() => undefined)));
  }
}
