/**
 * A minimal, bounds-checked ELF reader (https://refspecs.linuxfoundation.org/elf/gabi4+/ch4.eheader.html):
 * header, section and program headers, section data by name, and reads by virtual address.
 * Shared by the Go build-info and cargo-auditable catalogers.
 */

export const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
const SHT_NOBITS = 8;
export const PT_LOAD = 1;
export const PF_W = 2;
/** Longest section name read: real ones (`.go.buildinfo`, `.note.gnu.build-id`) are short. */
const MAX_SECTION_NAME = 256;

export class ElfError extends Error {}

export interface ElfSection {
  name: string;
  type: number;
  addr: number;
  offset: number;
  size: number;
}

export interface ElfSegment {
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
}

export interface Elf {
  bits: 32 | 64;
  littleEndian: boolean;
  sections: ElfSection[];
  segments: ElfSegment[];
  buf: Buffer;
}

export function isElf(buf: Buffer): boolean {
  return buf.length >= 4 && buf.subarray(0, 4).equals(ELF_MAGIC);
}

// The Go and Rust catalogers both look at every executable, at keep time and again when they
// catalog: the headers of one file's buffer are parsed once.
const parsed = new WeakMap<Buffer, Elf>();

/** Parses the headers; throws ElfError when the file is truncated or inconsistent. */
export function parseElf(buf: Buffer): Elf {
  let elf = parsed.get(buf);
  if (!elf) parsed.set(buf, (elf = parseHeaders(buf)));
  return elf;
}

function parseHeaders(buf: Buffer): Elf {
  if (!isElf(buf)) throw new ElfError('not an ELF file');
  if (buf.length < 52) throw new ElfError('truncated ELF header');
  const cls = buf[4];
  const data = buf[5];
  if ((cls !== 1 && cls !== 2) || (data !== 1 && data !== 2)) throw new ElfError('bad ELF class or data encoding');
  const bits = cls === 2 ? 64 : 32;
  const le = data === 1;
  if (bits === 64 && buf.length < 64) throw new ElfError('truncated ELF header');
  const u16 = (o: number) => check(o, 2) && (le ? buf.readUInt16LE(o) : buf.readUInt16BE(o));
  const u32 = (o: number) => check(o, 4) && (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  const u64 = (o: number) => {
    check(o, 8);
    const hi = le ? buf.readUInt32LE(o + 4) : buf.readUInt32BE(o);
    const lo = le ? buf.readUInt32LE(o) : buf.readUInt32BE(o + 4);
    // Above 2^53 - 1 (MAX_SAFE_INTEGER) when the high word has more than 21 bits.
    if (hi >= 0x200000) throw new ElfError('ELF value out of range');
    return hi * 0x1_0000_0000 + lo;
  };
  function check(o: number, n: number): number {
    if (o < 0 || o + n > buf.length) throw new ElfError('truncated ELF file');
    return 1;
  }
  const word = bits === 64 ? u64 : u32;
  const ps = bits === 64 ? 8 : 4;
  const phoff = word(bits === 64 ? 32 : 28) as number;
  const shoff = word(bits === 64 ? 40 : 32) as number;
  const base = bits === 64 ? 52 : 40; // e_ehsize
  const phentsize = u16(base + 2) as number;
  const phnum = u16(base + 4) as number;
  const shentsize = u16(base + 6) as number;
  const shnum = u16(base + 8) as number;
  const shstrndx = u16(base + 10) as number;

  const segments: ElfSegment[] = [];
  if (phoff && phnum) {
    if (phentsize < (bits === 64 ? 56 : 32)) throw new ElfError('bad program header size');
    for (let i = 0; i < phnum; i++) {
      const o = phoff + i * phentsize;
      check(o, phentsize);
      segments.push(
        bits === 64
          ? { type: u32(o) as number, flags: u32(o + 4) as number, offset: u64(o + 8), vaddr: u64(o + 16), filesz: u64(o + 32) }
          : { type: u32(o) as number, flags: u32(o + 24) as number, offset: u32(o + 4) as number, vaddr: u32(o + 8) as number, filesz: u32(o + 16) as number },
      );
    }
  }

  const sections: ElfSection[] = [];
  if (shoff && shnum) {
    if (shentsize < (bits === 64 ? 64 : 40)) throw new ElfError('bad section header size');
    const raw: Array<Omit<ElfSection, 'name'> & { nameOff: number }> = [];
    for (let i = 0; i < shnum; i++) {
      const o = shoff + i * shentsize;
      check(o, shentsize);
      raw.push({
        nameOff: u32(o) as number,
        type: u32(o + 4) as number,
        addr: word(o + 4 + 4 + ps) as number,
        offset: word(o + 8 + 2 * ps) as number,
        size: word(o + 8 + 3 * ps) as number,
      });
    }
    const strtab = raw[shstrndx];
    // Each name is looked for within its string table and MAX_SECTION_NAME bytes: 65,535 names
    // without a NUL once cost a scan of the whole file each (~45 min of CPU on a hostile binary).
    const tabEnd = strtab ? Math.min(buf.length, strtab.offset + strtab.size) : 0;
    for (const s of raw) {
      let name = '';
      if (strtab && strtab.type !== SHT_NOBITS) {
        const start = strtab.offset + s.nameOff;
        if (start < tabEnd) {
          const limit = Math.min(tabEnd, start + MAX_SECTION_NAME);
          const nul = buf.subarray(start, limit).indexOf(0);
          name = buf.toString('latin1', start, nul < 0 ? limit : start + nul);
        }
      }
      sections.push({ name, type: s.type, addr: s.addr, offset: s.offset, size: s.size });
    }
  }
  return { bits, littleEndian: le, sections, segments, buf };
}

/** The bytes of a named section (undefined when absent or without file data); throws when truncated. */
export function sectionData(elf: Elf, name: string): Buffer | undefined {
  const s = elf.sections.find((x) => x.name === name);
  if (!s || s.type === SHT_NOBITS) return undefined;
  if (s.offset + s.size > elf.buf.length) throw new ElfError(`truncated ELF file: section ${name} runs past the end`);
  return elf.buf.subarray(s.offset, s.offset + s.size);
}

/** `size` bytes at virtual address `addr`, read through the loadable segments; undefined when unmapped. */
export function readVirtual(elf: Elf, addr: number, size: number): Buffer | undefined {
  for (const seg of elf.segments) {
    if (seg.type !== PT_LOAD || addr < seg.vaddr || addr + size > seg.vaddr + seg.filesz) continue;
    const off = seg.offset + (addr - seg.vaddr);
    if (off + size > elf.buf.length) return undefined;
    return elf.buf.subarray(off, off + size);
  }
  // Fall back to sections (object files and unusual layouts have no segments covering the address).
  for (const s of elf.sections) {
    if (s.type === SHT_NOBITS || !s.addr || addr < s.addr || addr + size > s.addr + s.size) continue;
    const off = s.offset + (addr - s.addr);
    if (off + size > elf.buf.length) return undefined;
    return elf.buf.subarray(off, off + size);
  }
  return undefined;
}

/** Executable regular files below a size cap: the candidates for Go and Rust binaries. */
export function isExecutableCandidate(type: string, mode: number, size: number, cap: number): boolean {
  return (type === 'file' || type === 'hardlink') && (mode & 0o111) !== 0 && size <= cap;
}
