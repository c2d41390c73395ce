/** Small verified blobs (signature payloads, attestation envelopes) kept by repository@digest, bounded in bytes; content-addressed, so never stale. */

/** Larger blobs are not kept: what verify() reads is a few KiB. */
const MAX_BLOB_BYTES = 64 << 10;

export class SmallBlobCache {
  private readonly entries = new Map<string, Buffer>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** The bytes kept under `key` (the caller verified them against its digest when they were set). */
  get(key: string): Buffer | undefined {
    const b = this.entries.get(key);
    if (b) {
      // Most recently used last: the first key is the one to drop.
      this.entries.delete(key);
      this.entries.set(key, b);
    }
    return b;
  }

  /** Keeps `bytes`, already checked against the digest in `key`. */
  set(key: string, bytes: Buffer): void {
    if (bytes.length > MAX_BLOB_BYTES || this.entries.has(key)) return;
    while (this.entries.size && this.bytes + bytes.length > this.maxBytes) {
      const [oldest, b] = this.entries.entries().next().value!;
      this.entries.delete(oldest);
      this.bytes -= b.length;
    }
    this.entries.set(key, bytes);
    this.bytes += bytes.length;
  }

  get size(): number {
    return this.entries.size;
  }
}
