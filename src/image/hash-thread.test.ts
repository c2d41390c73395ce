/** The off-thread hash against node:crypto on the same bytes: small data, block edges, odd chunking, many at once. */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OffThreadHash } from './hash-thread.js';

const MiB = 1024 * 1024;
const expected = (data: Buffer, alg: 'sha256' | 'sha512' = 'sha256') => `${alg}:${createHash(alg).update(data).digest('hex')}`;

async function offThread(data: Buffer, chunk: number, alg: 'sha256' | 'sha512' = 'sha256'): Promise<string> {
  const h = new OffThreadHash(alg);
  for (let off = 0; off < data.length; off += chunk) {
    h.update(data.subarray(off, off + chunk));
    if (off % (8 * chunk) === 0) await new Promise((r) => setImmediate(r));
  }
  return h.digest();
}

describe('OffThreadHash', () => {
  it.each([
    ['nothing', 0, 1024],
    ['a few bytes', 10, 3],
    ['just under the local limit', 256 * 1024, 4096],
    ['one byte past the local limit', 256 * 1024 + 1, 4096],
    ['one slot exactly', MiB, MiB],
    ['a 4.5 MiB chunk (several slots)', 4.5 * MiB, 4.5 * MiB],
    ['3.5 blocks in 1 MiB chunks', 3.5 * MiB, MiB],
    ['5 blocks in odd chunks', 5 * MiB + 17, 333_333],
    ['40 MiB in 1 MiB chunks (the ring wraps many times)', 40 * MiB, MiB],
  ])('%s: the same digest as node:crypto', async (_name, size, chunk) => {
    const data = randomBytes(size);
    expect(await offThread(data, chunk)).toBe(expected(data));
  });

  it('sha512 too', async () => {
    const data = randomBytes(2 * MiB + 5);
    expect(await offThread(data, 100_000, 'sha512')).toBe(expected(data, 'sha512'));
  });

  it('many at once, interleaved, each its own', async () => {
    const blobs = [0, 1, 2, 3, 4, 5].map((i) => randomBytes(i * MiB + i * 1000));
    const got = await Promise.all(blobs.map((b, i) => offThread(b, 200_000 + i * 7)));
    expect(got).toEqual(blobs.map((b) => expected(b)));
  });

  it('copies what it is given: the caller may overwrite its buffer at once', async () => {
    const data = randomBytes(3 * MiB);
    const h = new OffThreadHash('sha256');
    const scratch = Buffer.alloc(MiB);
    for (let off = 0; off < data.length; off += MiB) {
      data.copy(scratch, 0, off, off + MiB);
      h.update(scratch);
      scratch.fill(0);
    }
    expect(await h.digest()).toBe(expected(data));
  });

  it('a disposed hash leaves the others intact', async () => {
    const a = new OffThreadHash('sha256');
    a.update(randomBytes(2 * MiB));
    a.dispose();
    const data = randomBytes(2 * MiB);
    expect(await offThread(data, MiB)).toBe(expected(data));
  });

  // The built module (npm run build): a process whose hash was dropped, or finished, exits on its
  // own; the idle thread never keeps it alive (it once did, and a failing scan hung).
  const built = new URL('../../dist/image/hash-thread.js', import.meta.url);
  it.runIf(existsSync(built))('an idle thread does not keep the process alive', () => {
    for (const end of ['h.dispose()', 'h.digest().then((d) => console.log(d))', '']) {
      const code = `import { OffThreadHash } from ${JSON.stringify(built.href)}; const h = new OffThreadHash('sha256'); h.update(Buffer.alloc(9 << 20)); ${end};`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { timeout: 20_000, encoding: 'utf8' });
      expect(r.signal, `${end}: ${r.stderr}`).toBe(null);
      expect(r.status).toBe(0);
      if (end.includes('digest')) expect(r.stdout.trim()).toBe(expected(Buffer.alloc(9 << 20)));
    }
  });
});
