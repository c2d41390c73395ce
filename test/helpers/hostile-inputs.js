/**
 * Byte-exact builders of hostile inputs, in plain JavaScript so bench/hostile.js (run by node on
 * the built CLI) and the TypeScript tests share them: raw tar headers, pax records, an ELF whose
 * section names have no NUL. Types in hostile-inputs.d.ts.
 */

/** One 512-byte ustar header written as given (no sanitising): `e.name` is cut at 100 bytes. */
export function rawHeader(e, size) {
  const h = Buffer.alloc(512);
  const put = (s, at, len) => h.write(s.slice(0, len), at, len, 'utf8');
  const oct = (n, at, len) => put(`${n.toString(8).padStart(len - 1, '0')}\0`, at, len);
  put(e.name, 0, 100);
  oct(e.mode ?? 0o644, 100, 8);
  oct(0, 108, 8);
  oct(0, 116, 8);
  oct(size, 124, 12);
  oct(0, 136, 12);
  put(e.typeflag ?? '0', 156, 1);
  put(e.linkname ?? '', 157, 100);
  put('ustar\u000000', 257, 8);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return h;
}

/** One pax extended header record, `LEN key=value\n`, LEN counting the whole record (for raw 'x' entries). */
export function paxRecord(key, value) {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

/**
 * A 64-bit ELF with 65,535 section headers whose names point into a 1 MiB string table with one
 * NUL, at its very end: once ~45 min of CPU (or a heap exhausted by 65,535 near-1 MiB names).
 */
export function unterminatedSectionNamesElf() {
  const shnum = 65535;
  const shentsize = 64;
  const strtabSize = 1 << 20;
  const shoff = 64;
  const strtabOff = shoff + shnum * shentsize;
  const buf = Buffer.alloc(strtabOff + strtabSize, 0x41);
  buf.fill(0, 0, strtabOff);
  buf[buf.length - 1] = 0;
  buf.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
  buf.writeUInt16LE(2, 16);
  buf.writeUInt16LE(62, 18);
  buf.writeUInt32LE(1, 20);
  buf.writeBigUInt64LE(BigInt(shoff), 40);
  buf.writeUInt16LE(64, 52);
  buf.writeUInt16LE(shentsize, 58);
  buf.writeUInt16LE(shnum, 60);
  buf.writeUInt16LE(1, 62); // e_shstrndx
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    buf.writeUInt32LE((i * 16) % strtabSize, o);
    buf.writeUInt32LE(i === 1 ? 3 : 1, o + 4); // SHT_STRTAB for the names, SHT_PROGBITS for the rest
    buf.writeBigUInt64LE(BigInt(strtabOff), o + 24);
    buf.writeBigUInt64LE(BigInt(strtabSize), o + 32);
  }
  return buf;
}
