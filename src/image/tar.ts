/**
 * A synchronous push parser for tar streams (ustar, GNU and pax), built for the layer walker:
 * contents go to a sink only for the entries that want them, everything else is skipped without
 * making a stream per entry. It reads headers exactly as tar-stream@3 does (its `extract` was
 * used before and is the reference in tar.test.ts), so the same layers parse to the same entries.
 * Format: https://www.gnu.org/software/tar/manual/html_node/Standard.html and POSIX pax
 * (https://pubs.opengroup.org/onlinepubs/9699919799/utilities/pax.html#tag_20_92_13_03).
 */

/** What the walker reads from a header; field meanings as tar-stream's `Header`. */
export interface TarHeader {
  name: string;
  /** file, link, symlink, directory, ... as tar-stream names them; null for an unknown typeflag. */
  type: string | null;
  /** null for a malformed base-256 field, as tar-stream. */
  mode: number | null;
  uid: number | null;
  gid: number | null;
  size: number;
  linkname: string | null;
}

/** Where an entry's content goes, chunk by chunk (views into the written buffers). */
export interface TarSink {
  data(chunk: Buffer): void;
  end(): void;
}

const BLOCK = 512;
/** One pax or GNU long-name header: real ones hold a path and a few records (xattrs reach 64 KiB). */
const MAX_HEADER_SIZE = 1024 * 1024;
/** Longest entry path or link target accepted, in bytes: Linux's PATH_MAX. */
export const MAX_PATH_BYTES = 4096;

/** A limit of the tar format's own structures was passed; the walker names the layer and reports `too-large`. */
export class TarLimitError extends Error {}
const USTAR_MAGIC = Buffer.from('ustar\x00', 'latin1');
const GNU_MAGIC = Buffer.from('ustar\x20', 'latin1');
const GNU_VER = Buffer.from('\x20\x00', 'latin1');

type LongKind = 'gnu-long-path' | 'gnu-long-link-path' | 'pax-global-header' | 'pax-header';

/**
 * Feed it bytes with write(), then call end(). `onEntry` is called once per entry, synchronously;
 * it returns a sink for the entry's content, or undefined to skip it. Errors (corrupt headers,
 * truncation) and whatever the callbacks throw come out of write() or end().
 */
export class TarParser {
  private readonly chunks: Buffer[] = [];
  private buffered = 0;
  /** Bytes still to skip or hand to `sink` before the next header. */
  private missing = 0;
  private sink: TarSink | undefined;
  private long: { kind: LongKind; size: number } | undefined;
  private pax: Record<string, string> | null = null;
  private paxGlobal: Record<string, string> | null = null;
  private gnuLongPath: string | null = null;
  private gnuLongLinkPath: string | null = null;
  /** Padding to skip once the current entry's content is done. */
  private padding = 0;
  /** Extension header bytes plus entry path and link name lengths so far, against `maxHeaderBytes`. */
  private headerBytes = 0;

  /** `maxHeaderBytes`: total of extension headers, paths and link names in the stream (what its entries cost in memory). */
  constructor(
    private readonly onEntry: (header: TarHeader) => TarSink | undefined,
    private readonly maxHeaderBytes = Infinity,
  ) {}

  write(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    this.update();
  }

  /** Throws when the stream stopped inside an entry or a header, as tar-stream's "Unexpected end of data". */
  end(): void {
    if (this.missing !== 0 || this.buffered !== 0) throw new Error('Unexpected end of data');
  }

  private update(): void {
    while (this.buffered > 0) {
      if (this.missing > 0) {
        if (this.long) {
          if (this.missing > this.buffered) return;
          this.consumeLong(this.long);
          continue;
        }
        const part = this.shiftFirst(this.missing);
        this.missing -= part.length;
        if (this.sink) {
          this.sink.data(part);
          if (this.missing === 0) {
            const sink = this.sink;
            this.sink = undefined;
            this.missing = this.padding;
            sink.end();
          }
        }
        continue;
      }
      if (this.buffered < BLOCK) return;
      this.consumeHeader(this.shift(BLOCK));
    }
  }

  private consumeHeader(block: Buffer): void {
    const h = decodeHeader(block);
    if (!h) return; // an all-zero block: end-of-archive marker, or padding between archives
    if (h.type === 'gnu-long-path' || h.type === 'gnu-long-link-path' || h.type === 'pax-global-header' || h.type === 'pax-header') {
      if (!(h.size >= 0)) throw new Error('Invalid header');
      if (h.size > MAX_HEADER_SIZE) throw new TarLimitError(`a ${h.type} header of ${h.size} bytes (limit ${MAX_HEADER_SIZE})`);
      if ((h.type === 'gnu-long-path' || h.type === 'gnu-long-link-path') && h.size > MAX_PATH_BYTES + 1) {
        throw new TarLimitError(`a GNU long name of ${h.size} bytes (limit ${MAX_PATH_BYTES} for a path)`);
      }
      this.countHeaderBytes(h.size);
      this.long = { kind: h.type, size: h.size };
      this.missing = h.size;
      if (h.size === 0) this.consumeLong(this.long);
      return;
    }
    this.applyLongHeaders(h);
    if (!(h.size >= 0)) throw new Error('Invalid header');
    const linkLength = h.linkname?.length ?? 0;
    if (h.name.length > MAX_PATH_BYTES || linkLength > MAX_PATH_BYTES) {
      // Checked on UTF-16 length first (cheap), then on bytes only when it could matter.
      if (Buffer.byteLength(h.name) > MAX_PATH_BYTES || (h.linkname !== null && Buffer.byteLength(h.linkname) > MAX_PATH_BYTES)) {
        throw new TarLimitError(`entry "${h.name.slice(0, 80)}…" has a path or link target longer than ${MAX_PATH_BYTES} bytes (limit)`);
      }
    }
    this.countHeaderBytes(h.name.length + linkLength);
    // As tar-stream: a directory's size is not content to skip.
    if (h.size === 0 || h.type === 'directory') {
      this.onEntry(h)?.end();
      return;
    }
    this.sink = this.onEntry(h);
    this.missing = h.size;
    this.padding = overflow(h.size);
    if (!this.sink) this.missing += this.padding;
  }

  private countHeaderBytes(n: number): void {
    this.headerBytes += n;
    if (this.headerBytes > this.maxHeaderBytes) {
      throw new TarLimitError(`more than ${this.maxHeaderBytes} bytes of tar headers, paths and link names (limit; set SHIPSHAPE_MAX_HEADER_BYTES to raise it)`);
    }
  }

  private consumeLong(long: { kind: LongKind; size: number }): void {
    const buf = this.shift(long.size);
    this.long = undefined;
    this.missing = overflow(long.size);
    switch (long.kind) {
      case 'gnu-long-path':
        this.gnuLongPath = decodeStr(buf, 0, buf.length);
        break;
      case 'gnu-long-link-path':
        this.gnuLongLinkPath = decodeStr(buf, 0, buf.length);
        break;
      case 'pax-global-header':
        this.paxGlobal = decodePax(buf);
        break;
      case 'pax-header':
        // As tar-stream: global records apply only to entries that have their own pax header.
        this.pax = this.paxGlobal === null ? decodePax(buf) : { ...this.paxGlobal, ...decodePax(buf) };
        break;
    }
  }

  private applyLongHeaders(h: TarHeader): void {
    if (this.gnuLongPath) {
      h.name = this.gnuLongPath;
      this.gnuLongPath = null;
    }
    if (this.gnuLongLinkPath) {
      h.linkname = this.gnuLongLinkPath;
      this.gnuLongLinkPath = null;
    }
    if (this.pax) {
      if (this.pax.path) h.name = this.pax.path;
      if (this.pax.linkpath) h.linkname = this.pax.linkpath;
      if (this.pax.size) h.size = parseInt(this.pax.size, 10);
      this.pax = null;
    }
  }

  /** Up to `n` bytes from the front, without copying (a view into one written chunk). */
  private shiftFirst(n: number): Buffer {
    const first = this.chunks[0]!;
    if (n >= first.length) {
      this.chunks.shift();
      this.buffered -= first.length;
      return first;
    }
    this.chunks[0] = first.subarray(n);
    this.buffered -= n;
    return first.subarray(0, n);
  }

  /** Exactly `n` bytes from the front (the caller checked they are there); copies only across chunks. */
  private shift(n: number): Buffer {
    if (n === 0) return Buffer.alloc(0);
    const first = this.shiftFirst(n);
    if (first.length === n) return first;
    const parts = [first];
    let got = first.length;
    while (got < n) {
      const part = this.shiftFirst(n - got);
      parts.push(part);
      got += part.length;
    }
    return Buffer.concat(parts, n);
  }
}

/** Bytes of padding after `size` bytes of content, up to the next 512-byte block. */
function overflow(size: number): number {
  size &= BLOCK - 1;
  return size && BLOCK - size;
}

function toType(flag: number): string | null {
  switch (flag) {
    case 0:
      return 'file';
    case 1:
      return 'link';
    case 2:
      return 'symlink';
    case 3:
      return 'character-device';
    case 4:
      return 'block-device';
    case 5:
      return 'directory';
    case 6:
      return 'fifo';
    case 7:
      return 'contiguous-file';
    case 72:
      return 'pax-header';
    case 55:
      return 'pax-global-header';
    case 27:
      return 'gnu-long-link-path';
    case 28:
    case 30:
      return 'gnu-long-path';
  }
  return null;
}

/** One 512-byte header; null for an all-zero block; throws on a bad checksum or an unknown format. */
function decodeHeader(buf: Buffer): TarHeader | null {
  const typeflag = buf[156] === 0 ? 0 : buf[156]! - 48;
  let name = decodeStr(buf, 0, 100);
  const mode = decodeOct(buf, 100, 8);
  const uid = decodeOct(buf, 108, 8);
  const gid = decodeOct(buf, 116, 8);
  // A malformed size counts as invalid (tar-stream would wait for content it never delivers).
  const size = decodeOct(buf, 124, 12) ?? NaN;
  const linkname = buf[157] === 0 ? null : decodeStr(buf, 157, 100);
  const c = cksum(buf);
  if (c === 8 * 32) return null;
  if (c !== decodeOct(buf, 148, 8)) throw new Error('Invalid tar header. Maybe the tar is corrupted or it needs to be gunzipped?');
  if (buf.subarray(257, 263).equals(USTAR_MAGIC)) {
    if (buf[345]) name = `${decodeStr(buf, 345, 155)}/${name}`;
  } else if (!(buf.subarray(257, 263).equals(GNU_MAGIC) && buf.subarray(263, 265).equals(GNU_VER))) {
    throw new Error('Invalid tar header: unknown format.');
  }
  return { name, type: toType(typeflag), mode, uid, gid, size, linkname };
}

function cksum(block: Buffer): number {
  let sum = 8 * 32;
  for (let i = 0; i < 148; i++) sum += block[i]!;
  for (let j = 156; j < BLOCK; j++) sum += block[j]!;
  return sum;
}

function indexOf(block: Buffer, byte: number, offset: number, end: number): number {
  for (; offset < end; offset++) if (block[offset] === byte) return offset;
  return end;
}

function decodeStr(buf: Buffer, offset: number, length: number): string {
  return buf.toString('utf8', offset, indexOf(buf, 0, offset, offset + length));
}

/** An octal number field (space- or NUL-padded), or base-256 when its first byte has the high bit. */
function decodeOct(buf: Buffer, offset: number, length: number): number | null {
  const stop = offset + length;
  if (buf[offset]! & 0x80) return parse256(buf.subarray(offset, stop));
  let i = offset;
  while (i < stop && buf[i] === 32) i++;
  const end = indexOf(buf, 32, i, stop);
  while (i < end && buf[i] === 0) i++;
  if (end === i) return 0;
  // Nearly every field is plain octal digits: summed in place, the value parseInt gives (it stops
  // at the first character that is not one); anything else goes through parseInt as before.
  let n = 0;
  let k = i;
  for (; k < end && buf[k]! >= 48 && buf[k]! <= 55; k++) n = n * 8 + buf[k]! - 48;
  return k > i ? n : parseInt(buf.toString('utf8', i, end), 8);
}

/** GNU base-256 numbers: 0x80 then big-endian positive, 0xff then two's complement negative. */
function parse256(buf: Buffer): number | null {
  let positive: boolean;
  if (buf[0] === 0x80) positive = true;
  else if (buf[0] === 0xff) positive = false;
  else return null;
  let sum = 0;
  for (let i = buf.length - 1, k = 0; i > 0; i--, k++) {
    const byte = buf[i]!;
    sum += (positive ? byte : 0xff - byte) * Math.pow(256, k);
  }
  return positive ? sum : -1 * sum;
}

/** pax records: "LEN key=value\n", each LEN counting the whole record. */
function decodePax(buf: Buffer): Record<string, string> {
  const result: Record<string, string> = {};
  while (buf.length) {
    let i = 0;
    while (i < buf.length && buf[i] !== 32) i++;
    const len = parseInt(buf.toString('utf8', 0, i), 10);
    if (!len) return result;
    const b = buf.toString('utf8', i + 1, len - 1);
    const keyIndex = b.indexOf('=');
    if (keyIndex === -1) return result;
    result[b.slice(0, keyIndex)] = b.slice(keyIndex + 1);
    buf = buf.subarray(len);
  }
  return result;
}
