/** TarParser against tar-stream's extract (the parser it replaces) on the same bytes, cut into chunks every which way. */
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { TarParser } from './tar.js';

interface Seen {
  name: string;
  type: string | null;
  mode: number | null;
  uid: number | null;
  gid: number | null;
  size: number;
  linkname: string | null;
  content: string;
}

/** What tar-stream's extract gives for `bytes`: entries with contents, or its error message. */
async function reference(bytes: Buffer): Promise<{ entries: Seen[]; error?: string }> {
  const entries: Seen[] = [];
  const ex = tar.extract();
  return new Promise((resolve) => {
    let error: string | undefined;
    ex.on('entry', (h, stream, next) => {
      const chunks: Buffer[] = [];
      stream.on('error', () => {}); // the extract's own error is the one compared
      stream.on('data', (c: unknown) => chunks.push(c as Buffer));
      stream.on('end', () => {
        entries.push({ name: h.name, type: h.type ?? null, mode: h.mode ?? null, uid: h.uid ?? null, gid: h.gid ?? null, size: h.size ?? 0, linkname: h.linkname ?? null, content: Buffer.concat(chunks).toString('latin1') });
        next();
      });
    });
    ex.on('error', (err: Error) => (error ??= err.message));
    ex.on('close', () => resolve(error === undefined ? { entries } : { entries, error }));
    ex.end(bytes);
  });
}

/** TarParser over `bytes` written in chunks of the given sizes (cycled). */
function parse(bytes: Buffer, sizes: number[]): { entries: Seen[]; error?: string } {
  const entries: Seen[] = [];
  const p = new TarParser((h) => {
    const chunks: Buffer[] = [];
    return {
      data: (c) => chunks.push(c),
      end: () => entries.push({ ...h, content: Buffer.concat(chunks).toString('latin1') }),
    };
  });
  try {
    for (let at = 0, i = 0; at < bytes.length; i++) {
      const n = sizes[i % sizes.length]!;
      p.write(bytes.subarray(at, at + n));
      at += n;
    }
    p.end();
  } catch (err) {
    return { entries, error: (err as Error).message };
  }
  return { entries };
}

async function pack(build: (p: tar.Pack) => void): Promise<Buffer> {
  const p = tar.pack();
  const chunks: Buffer[] = [];
  p.on('data', (c: unknown) => chunks.push(c as Buffer));
  const done = new Promise<void>((r) => p.on('end', () => r()));
  build(p);
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

/** A raw header block with a correct checksum (GNU or ustar magic), for dialects tar-stream's pack never writes. */
function header(name: string, typeflag: string, size: number, opts: { gnu?: boolean; sizeField?: Buffer; modeField?: string; uidField?: string } = {}): Buffer {
  const b = Buffer.alloc(512);
  b.write(name.slice(0, 100), 0, 'utf8');
  b.write(opts.modeField ?? '0000644 ', 100, 8, 'latin1');
  b.write(opts.uidField ?? '0001750 ', 108, 8, 'latin1');
  b.write('0001750 ', 116);
  if (opts.sizeField) opts.sizeField.copy(b, 124);
  else b.write(`${size.toString(8).padStart(11, '0')} `, 124);
  b.write('00000000000 ', 136);
  b.write(typeflag, 156, 'latin1');
  b.write(opts.gnu ? 'ustar  \0' : 'ustar\x0000', 257, 'latin1');
  b.fill(32, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return b;
}
const data = (s: string | Buffer) => {
  const buf = Buffer.isBuffer(s) ? s : Buffer.from(s, 'utf8');
  return Buffer.concat([buf, Buffer.alloc((512 - (buf.length % 512)) % 512)]);
};
const pax = (records: Record<string, string>) =>
  Buffer.from(
    Object.entries(records)
      .map(([k, v]) => {
        const body = ` ${k}=${v}\n`;
        let len = Buffer.byteLength(body) + 1;
        while (Buffer.byteLength(`${len}${body}`) !== len) len++;
        return `${len}${body}`;
      })
      .join(''),
  );

const CHUNKINGS = [[1 << 20], [1], [7], [511, 513], [512], [100, 3, 2048]];

async function agree(bytes: Buffer): Promise<{ entries: Seen[]; error?: string }> {
  const want = await reference(bytes);
  for (const sizes of CHUNKINGS) expect(parse(bytes, sizes), `chunks ${sizes.join(',')}`).toEqual(want);
  return want;
}

describe('TarParser agrees with tar-stream', () => {
  it('on what tar-stream packs: files, dirs, links, long and unicode names, empty and block-sized files', async () => {
    const long = `${'d'.repeat(120)}/${'f'.repeat(130)}.txt`;
    const bytes = await pack((p) => {
      p.entry({ name: 'etc/', type: 'directory', mode: 0o755 });
      p.entry({ name: 'etc/os-release', mode: 0o644, uid: 1000, gid: 1000 }, 'ID=debian\n');
      p.entry({ name: 'empty', size: 0 }, '');
      p.entry({ name: 'block', mode: 0o4755 }, 'x'.repeat(512));
      p.entry({ name: 'big' }, Buffer.alloc(70_000, 0x41));
      p.entry({ name: 'lib', type: 'symlink', linkname: 'usr/lib' });
      p.entry({ name: 'hard', type: 'link', linkname: 'etc/os-release' });
      p.entry({ name: long }, 'long name');
      p.entry({ name: 'link-long', type: 'symlink', linkname: long });
      p.entry({ name: 'ünïcødé/ファイル' }, 'u');
      p.entry({ name: 'dev/null', type: 'character-device' });
      p.entry({ name: 'fifo', type: 'fifo' });
    });
    const got = await agree(bytes);
    expect(got.error).toBeUndefined();
    expect(got.entries.map((e) => e.name)).toContain(long);
    expect(got.entries).toHaveLength(12);
  });

  it('on GNU long names and links, pax records (local and global), base-256 sizes and old-style headers', async () => {
    const longName = `gnu/${'n'.repeat(150)}`;
    const longLink = `target/${'t'.repeat(140)}`;
    const base256 = Buffer.alloc(12);
    base256[0] = 0x80;
    base256.writeUInt32BE(5, 8);
    const bytes = Buffer.concat([
      header('././@LongLink', 'L', Buffer.byteLength(longName) + 1, { gnu: true }),
      data(`${longName}\0`),
      header('././@LongLink', 'K', Buffer.byteLength(longLink) + 1, { gnu: true }),
      data(`${longLink}\0`),
      header('short', '2', 0, { gnu: true }),
      header('pax_global_header', 'g', pax({ path: 'global-only', comment: 'x' }).length),
      data(pax({ path: 'global-only', comment: 'x' })),
      header('plain-after-global', '0', 3),
      data('abc'),
      header('PaxHeaders/x', 'x', pax({ path: 'from/pax/ユ', size: '4' }).length),
      data(pax({ path: 'from/pax/ユ', size: '4' })),
      header('short-name', '0', 99),
      data('wxyz'),
      // A local pax record without a path: the global one's path applies (tar-stream's merge).
      header('PaxHeaders/y', 'x', pax({ size: '2' }).length),
      data(pax({ size: '2' })),
      header('named-locally', '0', 50),
      data('ok'),
      header('b256', '0', 0, { sizeField: base256 }),
      data('12345'),
      header('unknown-type', 'Z', 0),
      Buffer.alloc(1024),
    ]);
    const got = await agree(bytes);
    expect(got.error).toBeUndefined();
    expect(got.entries.map((e) => e.name)).toEqual([longName, 'plain-after-global', 'from/pax/ユ', 'global-only', 'b256', 'unknown-type']);
    expect(got.entries[0]!.linkname).toBe(longLink);
    expect(got.entries[2]!.content).toBe('wxyz');
  });

  it('on odd octal fields: padding with spaces and NULs, signs, junk after or before the digits', async () => {
    const fields = ['0000644 ', '644\x00\x00\x00\x00\x00', '  644 \x00\x00', '\x00\x00\x00644\x00 ', ' \x00 17\x00\x00\x00', '        ', '\x00\x00\x00\x00\x00\x00\x00\x00', '644x\x00\x00\x00\x00', 'x644\x00\x00\x00\x00', '+17\x00\x00\x00\x00\x00', '-17\x00\x00\x00\x00\x00', '7777777\x00', '0009\x00\x00\x00\x00', ' 12 34 \x00'];
    const bytes = Buffer.concat([...fields.map((f, i) => header(`f${i}`, '0', 0, { modeField: f, uidField: [...f].reverse().join('') })), Buffer.alloc(1024)]);
    const got = await agree(bytes);
    expect(got.error).toBeUndefined();
    expect(got.entries.map((e) => e.mode).slice(0, 5)).toEqual([0o644, 0o644, 0o644, 0o644, 0]);
  });

  it('on broken input: bad checksum, unknown format, truncation mid-entry and mid-header', async () => {
    const good = await pack((p) => {
      p.entry({ name: 'a' }, 'hello');
      p.entry({ name: 'b' }, 'x'.repeat(1000));
    });
    const badSum = Buffer.from(good);
    badSum[0] = 0x7a;
    const unknown = header('x', '0', 0);
    unknown.write('nope!\0', 257, 'latin1');
    unknown.fill(32, 148, 156);
    let sum = 0;
    for (const x of unknown) sum += x;
    unknown.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    for (const bytes of [badSum, unknown, good.subarray(0, 512 + 700), good.subarray(0, 1024 + 300), good.subarray(0, 512 + 3)]) {
      const got = await agree(bytes);
      expect(got.error).toBeDefined();
    }
    const notTar = await agree(Buffer.from('this is not a tar archive at all, just some text'.repeat(20)));
    expect(notTar.error).toMatch(/Invalid tar header/);
  });

  it('skips content nobody asked for', () => {
    const bytes = Buffer.concat([header('a', '0', 5), data('hello'), header('b', '0', 3), data('bye'), Buffer.alloc(1024)]);
    const seen: string[] = [];
    const p = new TarParser((h) => (h.name === 'b' ? { data: (c) => seen.push(`${h.name}:${c.toString()}`), end: () => seen.push('end') } : undefined));
    p.write(bytes);
    p.end();
    expect(seen).toEqual(['b:bye', 'end']);
  });
});
