/** Digest helpers: parse `sha256:<hex>`, and a pass-through stream that checks a digest at its end. */
import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { ShipshapeError } from '../errors.js';
import { OffThreadHash } from './hash-thread.js';

const DIGEST_RE = /^(sha256|sha512):([a-f0-9]+)$/;

export function parseDigest(digest: string): { algorithm: 'sha256' | 'sha512'; hex: string } {
  const m = DIGEST_RE.exec(digest);
  const hexLen = m?.[1] === 'sha256' ? 64 : 128;
  if (!m || m[2]!.length !== hexLen) throw new ShipshapeError('bad-image', `invalid digest "${digest}"`);
  return { algorithm: m[1] as 'sha256' | 'sha512', hex: m[2]! };
}

export function isDigest(s: string): boolean {
  try {
    parseDigest(s);
    return true;
  } catch {
    return false;
  }
}

export function digestOf(data: Buffer | string, algorithm: 'sha256' | 'sha512' = 'sha256'): string {
  return `${algorithm}:${createHash(algorithm).update(data).digest('hex')}`;
}

/** Throws digest-mismatch unless `data` hashes to `expected`. */
export function verifyBuffer(data: Buffer, expected: string, what: string): void {
  const { algorithm } = parseDigest(expected);
  const actual = digestOf(data, algorithm);
  if (actual !== expected) {
    throw new ShipshapeError('digest-mismatch', `${what}: content has digest ${actual}, expected ${expected}`);
  }
}

/**
 * Passes bytes through unchanged; at the end fails with digest-mismatch when they do not hash to
 * `expected`, and as soon as they run past `size` (when size >= 0) with too-large. The hashing
 * runs on the shared hashing thread (hash-thread.ts) for large blobs.
 */
export class DigestVerifier extends Transform {
  private readonly hash: OffThreadHash;
  private readonly algorithm: 'sha256' | 'sha512';
  private seen = 0;

  constructor(
    private readonly expected: string,
    private readonly size: number,
    private readonly what: string,
  ) {
    super();
    this.algorithm = parseDigest(expected).algorithm;
    this.hash = new OffThreadHash(this.algorithm, size >= 0 ? size : Infinity);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.seen += chunk.length;
    if (this.size >= 0 && this.seen > this.size) {
      cb(new ShipshapeError('too-large', `${this.what}: blob is larger than its descriptor's size ${this.size}`));
      return;
    }
    this.hash.update(chunk);
    const wait = this.hash.ready();
    if (!wait) return cb(null, chunk);
    this.push(chunk);
    wait.then(() => cb(), cb);
  }

  override _flush(cb: TransformCallback): void {
    this.hash.digest().then((actual) => this.check(actual, cb), cb);
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.hash.dispose();
    cb(err);
  }

  private check(actual: string, cb: TransformCallback): void {
    if (actual !== this.expected) {
      cb(new ShipshapeError('digest-mismatch', `${this.what}: content has digest ${actual}, expected ${this.expected}`));
      return;
    }
    if (this.size >= 0 && this.seen !== this.size) {
      cb(new ShipshapeError('corrupt-layer', `${this.what}: blob is ${this.seen} bytes, descriptor says ${this.size}`));
      return;
    }
    cb();
  }
}
