/** Indexes a tar file once (member name → byte range) so members are read by range, never extracted to disk. */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ShipshapeError } from '../../errors.js';
import { MAX_PATH_BYTES } from '../tar.js';

export interface TarMember {
  name: string;
  /** Byte offset of the member's data in the archive. */
  offset: number;
  size: number;
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';
  linkname?: string;
}

const BLOCK = 512;
const MAX_LONG_HEADER = 1 << 20;
const MAX_LINK_HOPS = 16;
/** A `docker save` archive holds manifest.json, configs and layers (with legacy `<id>/` folders): a few thousand members at most. */
const MAX_MEMBERS = 100_000;
/** Bytes of pax and GNU long-name headers over the whole archive. */
const MAX_EXTENSION_BYTES = 64 << 20;

function cstr(b: Buffer, start: number, len: number): string {
  const end = b.indexOf(0, start);
  return b.toString('utf8', start, end === -1 || end > start + len ? start + len : end);
}

/** Numeric header field: octal text, or base-256 when the high bit of the first byte is set (GNU). */
function num(b: Buffer, start: number, len: number): number {
  if (b[start]! & 0x80) {
    // 0x80: positive base-256; 0xff (negative) and anything else are not sizes we can use.
    if (b[start] !== 0x80) return NaN;
    let v = 0;
    for (let i = start + 1; i < start + len; i++) v = v * 256 + b[i]!;
    return v;
  }
  const s = cstr(b, start, len).trim();
  return s ? (/^[0-7]+$/.test(s) ? parseInt(s, 8) : NaN) : 0;
}

/** A size from a header or a pax `size` record: a whole number of bytes, or undefined. */
function validSize(n: number): boolean {
  return Number.isSafeInteger(n) && n >= 0;
}

function checksumOk(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
  return sum === num(h, 148, 8);
}

function parsePax(data: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < data.length) {
    const sp = data.indexOf(0x20, i);
    const len = parseInt(data.toString('utf8', i, sp), 10);
    if (sp === -1 || !(len > 0) || i + len > data.length) break;
    const rec = data.toString('utf8', sp + 1, i + len - 1); // drop the trailing newline
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    i += len;
  }
  return out;
}

const cleanName = (n: string) => path.posix.normalize(n.replace(/^(\.\/)+/, '')).replace(/\/+$/, '');

/** An archive's table of contents, and reads of members by name (following symlinks and hardlinks inside it). */
export class TarIndex {
  private constructor(
    readonly file: string,
    readonly members: Map<string, TarMember>,
  ) {}

  static async load(file: string, what: string): Promise<TarIndex> {
    let fh;
    try {
      fh = await open(file, 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new ShipshapeError(code === 'ENOENT' ? 'not-found' : 'io', `${what}: cannot open (${code})`, { cause: err });
    }
    const members = new Map<string, TarMember>();
    try {
      const fileSize = (await fh.stat()).size;
      const h = Buffer.alloc(BLOCK);
      let pos = 0;
      let longName: string | undefined;
      let longLink: string | undefined;
      let pax: Record<string, string> = {};
      let extensionBytes = 0;
      const readAt = async (buf: Buffer, at: number) => {
        const { bytesRead } = await fh!.read(buf, 0, buf.length, at);
        return bytesRead;
      };
      for (;;) {
        const n = await readAt(h, pos);
        if (n === 0) break; // no end-of-archive blocks: tolerated, as GNU tar does
        if (n < BLOCK) throw new ShipshapeError('bad-image', `${what}: truncated tar header at byte ${pos}`);
        if (h.every((b) => b === 0)) break;
        if (!checksumOk(h)) throw new ShipshapeError('bad-image', `${what}: not a tar archive (bad header checksum at byte ${pos})`);
        const flag = String.fromCharCode(h[156]!);
        let size = num(h, 124, 12);
        if (!validSize(size)) throw new ShipshapeError('bad-image', `${what}: tar header at byte ${pos} has an invalid size field`);
        const dataAt = pos + BLOCK;
        if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
          if (size > MAX_LONG_HEADER) throw new ShipshapeError('too-large', `${what}: tar extension header at byte ${pos} is ${size} bytes (limit ${MAX_LONG_HEADER})`);
          extensionBytes += size;
          if (extensionBytes > MAX_EXTENSION_BYTES) {
            throw new ShipshapeError('too-large', `${what}: more than ${MAX_EXTENSION_BYTES} bytes of tar extension headers (limit)`);
          }
          const data = Buffer.alloc(size);
          if ((await readAt(data, dataAt)) < size) throw new ShipshapeError('bad-image', `${what}: truncated tar archive`);
          if (flag === 'x') pax = parsePax(data);
          else if (flag === 'L') longName = cstr(data, 0, size);
          else if (flag === 'K') longLink = cstr(data, 0, size);
          pos = dataAt + Math.ceil(size / BLOCK) * BLOCK;
          continue;
        }
        let name = cstr(h, 0, 100);
        const magic = h.toString('latin1', 257, 263);
        if (magic === 'ustar\0') {
          const prefix = cstr(h, 345, 155);
          if (prefix) name = `${prefix}/${name}`;
        }
        name = pax.path ?? longName ?? name;
        let linkname = pax.linkpath ?? longLink ?? cstr(h, 157, 100);
        if (pax.size !== undefined) {
          size = /^\d+$/.test(pax.size) ? Number(pax.size) : NaN;
          if (!validSize(size)) throw new ShipshapeError('bad-image', `${what}: tar member ${JSON.stringify(name.slice(0, 200))} has an invalid pax size "${pax.size.slice(0, 40)}"`);
        }
        pax = {};
        longName = longLink = undefined;
        if (Buffer.byteLength(name) > MAX_PATH_BYTES || Buffer.byteLength(linkname) > MAX_PATH_BYTES) {
          throw new ShipshapeError('too-large', `${what}: tar member at byte ${pos} has a name or link target longer than ${MAX_PATH_BYTES} bytes (limit)`);
        }
        if (members.size >= MAX_MEMBERS) throw new ShipshapeError('too-large', `${what}: more than ${MAX_MEMBERS} tar members (limit for a docker archive)`);
        if (dataAt + size > fileSize) throw new ShipshapeError('bad-image', `${what}: truncated tar archive (member ${name})`);
        const type: TarMember['type'] =
          flag === '0' || flag === '\0' || flag === '7' ? 'file' : flag === '5' ? 'dir' : flag === '2' ? 'symlink' : flag === '1' ? 'hardlink' : 'other';
        const member: TarMember = { name: cleanName(name), offset: dataAt, size: type === 'file' ? size : 0, type };
        if (type === 'symlink' || type === 'hardlink') member.linkname = linkname;
        members.set(member.name, member);
        pos = dataAt + Math.ceil(size / BLOCK) * BLOCK;
        linkname = '';
      }
    } finally {
      await fh.close();
    }
    return new TarIndex(file, members);
  }

  /** The regular-file member a name leads to, following links inside the archive; undefined when absent. */
  find(name: string): TarMember | undefined {
    let cur = cleanName(name);
    for (let hop = 0; hop <= MAX_LINK_HOPS; hop++) {
      const m = this.members.get(cur);
      if (!m) return undefined;
      if (m.type === 'file') return m;
      if (m.linkname!.startsWith('/')) {
        throw new ShipshapeError('unsafe-path', `${this.file}: member ${name} links to an absolute path (${m.linkname})`);
      }
      if (m.type === 'symlink') cur = cleanName(path.posix.join(path.posix.dirname(cur), m.linkname!));
      else if (m.type === 'hardlink') cur = cleanName(m.linkname!);
      else return undefined;
      if (cur.startsWith('../') || cur === '..' || cur.startsWith('/')) {
        throw new ShipshapeError('unsafe-path', `${this.file}: member ${name} links outside the archive (${m.linkname})`);
      }
    }
    throw new ShipshapeError('bad-image', `${this.file}: member ${name}: too many levels of links`);
  }

  async read(m: TarMember): Promise<Buffer> {
    const fh = await open(this.file, 'r');
    try {
      const buf = Buffer.alloc(m.size);
      const { bytesRead } = await fh.read(buf, 0, m.size, m.offset);
      if (bytesRead < m.size) throw new ShipshapeError('bad-image', `${this.file}: member ${m.name} is truncated`);
      return buf;
    } finally {
      await fh.close();
    }
  }

  async head(m: TarMember, n: number): Promise<Buffer> {
    return (await this.read({ ...m, size: Math.min(n, m.size) })).subarray(0, n);
  }

  stream(m: TarMember): Readable {
    if (m.size === 0) return Readable.from([]);
    return createReadStream(this.file, { start: m.offset, end: m.offset + m.size - 1, highWaterMark: 1 << 20 });
  }
}
