/**
 * Reads the Go build information embedded in ELF binaries, as `go version -m` does
 * (https://github.com/golang/go/blob/master/src/debug/buildinfo/buildinfo.go): the `.go.buildinfo`
 * blob, in the Go 1.18+ inline layout or the older pointer-based one, and the module info text.
 */
import { PF_W, PT_LOAD, parseElf, readVirtual, type Elf } from './elf.js';

const MAGIC = Buffer.from('\xff Go buildinf:', 'latin1');
const FLAG_BIG_ENDIAN = 0x1;
const FLAG_INLINE = 0x2;
/** Go searches only this much of the data segment for the magic when there is no section. */
const SEARCH_LIMIT = 64 * 1024;
/** A sanity cap on one embedded string: build info is a few KB; a bigger length means garbage. */
const MAX_STRING = 16 * 1024 * 1024;

export interface GoModule {
  path: string;
  version: string;
  sum?: string;
  replace?: GoModule;
}

export interface GoBuildInfo {
  goVersion: string; // go1.19.8
  path?: string; // main package path
  main?: GoModule;
  deps: GoModule[];
  settings: Array<[string, string]>;
}

export class BuildInfoError extends Error {}

function findBlob(elf: Elf): Buffer | undefined {
  const sec = elf.sections.find((s) => s.name === '.go.buildinfo');
  const candidates: Buffer[] = [];
  if (sec && sec.type !== 8) {
    if (sec.offset + sec.size > elf.buf.length) throw new BuildInfoError('truncated ELF file: .go.buildinfo runs past the end');
    candidates.push(elf.buf.subarray(sec.offset, sec.offset + Math.min(sec.size, SEARCH_LIMIT)));
  } else {
    // Section headers stripped: Go looks in the first writable loadable segment.
    for (const seg of elf.segments) {
      if (seg.type !== PT_LOAD || !(seg.flags & PF_W)) continue;
      const end = Math.min(seg.offset + seg.filesz, seg.offset + SEARCH_LIMIT, elf.buf.length);
      candidates.push(elf.buf.subarray(seg.offset, end));
      break;
    }
  }
  // The magic at the first 16-byte boundary with 32 bytes after it, as Go looks for it; found
  // with indexOf (native) rather than a buffer compared every 16 bytes, which a cold CLI run
  // interprets slowly over every shared library.
  for (const data of candidates) {
    for (let i = data.indexOf(MAGIC); i >= 0 && i + 32 <= data.length; i = data.indexOf(MAGIC, i + 1)) {
      if (i % 16 === 0) return data.subarray(i);
    }
  }
  return undefined;
}

function uvarint(buf: Buffer, pos: number): [number, number] {
  let x = 0;
  let s = 1;
  for (let i = 0; i < 10; i++) {
    if (pos + i >= buf.length) throw new BuildInfoError('truncated build info');
    const b = buf[pos + i]!;
    x += (b & 0x7f) * s;
    if (b < 0x80) return [x, pos + i + 1];
    s *= 128;
  }
  throw new BuildInfoError('bad varint in build info');
}

function inlineBytes(buf: Buffer, pos: number): [Buffer, number] {
  const [n, start] = uvarint(buf, pos);
  if (n > MAX_STRING || start + n > buf.length) throw new BuildInfoError('truncated build info string');
  return [buf.subarray(start, start + n), start + n];
}

/** Reads a Go string header (data pointer, length) at `addr` and the bytes it points to. */
function pointerBytes(elf: Elf, addr: number, ptrSize: number, le: boolean): Buffer | undefined {
  const hdr = readVirtual(elf, addr, 2 * ptrSize);
  if (!hdr) return undefined;
  const ptr = readPtr(hdr, 0, ptrSize, le);
  const len = readPtr(hdr, ptrSize, ptrSize, le);
  if (len > MAX_STRING) return undefined;
  const data = len === 0 ? Buffer.alloc(0) : readVirtual(elf, ptr, len);
  return data;
}

function readPtr(buf: Buffer, off: number, size: number, le: boolean): number {
  if (off + size > buf.length) throw new BuildInfoError('truncated build info');
  if (size === 4) return le ? buf.readUInt32LE(off) : buf.readUInt32BE(off);
  const v = le ? buf.readBigUInt64LE(off) : buf.readBigUInt64BE(off);
  return v > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(v);
}

/** The Go version and raw module info text; undefined when this is not a Go binary. Throws ElfError/BuildInfoError on corrupt input. */
export function readRawBuildInfo(buf: Buffer): { goVersion: string; modinfo: string } | undefined {
  const elf = parseElf(buf);
  const blob = findBlob(elf);
  if (!blob) return undefined;
  const ptrSize = blob[14]!;
  const flags = blob[15]!;
  // Bytes, not strings: the module info sentinels are not UTF-8.
  let version: Buffer | undefined;
  let mod: Buffer | undefined;
  if (flags & FLAG_INLINE) {
    let pos: number;
    [version, pos] = inlineBytes(blob, 32);
    [mod] = inlineBytes(blob, pos);
  } else {
    if (ptrSize !== 4 && ptrSize !== 8) throw new BuildInfoError(`bad pointer size ${ptrSize} in build info`);
    const le = (flags & FLAG_BIG_ENDIAN) === 0;
    version = pointerBytes(elf, readPtr(blob, 16, ptrSize, le), ptrSize, le);
    mod = pointerBytes(elf, readPtr(blob, 16 + ptrSize, ptrSize, le), ptrSize, le);
    if (version === undefined) throw new BuildInfoError('build info points outside the file');
  }
  // The module info is framed by 16 sentinel bytes on each side.
  const m = mod ?? Buffer.alloc(0);
  const modinfo = m.length >= 33 && m[m.length - 17] === 0x0a ? m.subarray(16, m.length - 16).toString('utf8') : '';
  return { goVersion: version.toString('utf8'), modinfo };
}

/** Parses module info text: `path`, `mod`, `dep`, `=>` and `build` lines, tab-separated. */
export function parseModinfo(goVersion: string, text: string): GoBuildInfo {
  const info: GoBuildInfo = { goVersion, deps: [], settings: [] };
  let last: GoModule | undefined;
  for (const line of text.split('\n')) {
    const f = line.split('\t');
    const mod = (): GoModule => {
      const m: GoModule = { path: f[1] ?? '', version: f[2] ?? '' };
      if (f[3]) m.sum = f[3];
      return m;
    };
    switch (f[0]) {
      case 'path':
        info.path = f[1];
        break;
      case 'mod':
        info.main = last = mod();
        break;
      case 'dep':
        info.deps.push((last = mod()));
        break;
      case '=>':
        if (last) last.replace = mod();
        break;
      case 'build': {
        const kv = line.slice(6);
        const eq = kv.indexOf('=');
        info.settings.push(eq < 0 ? [kv, ''] : [kv.slice(0, eq), kv.slice(eq + 1)]);
        break;
      }
      default:
        break;
    }
  }
  return info;
}

/** Build info of a Go ELF binary; undefined when not Go. Throws ElfError/BuildInfoError on corrupt input. */
export function readBuildInfo(buf: Buffer): GoBuildInfo | undefined {
  const raw = readRawBuildInfo(buf);
  return raw && parseModinfo(raw.goVersion, raw.modinfo);
}
