/** The conformance suite every Cataloger must pass; run over the whole registry by conformance.test.ts. */
import { expect, it } from 'vitest';
import type { FileView } from '../image/types.js';
import type { OsInfo } from '../model/index.js';
import type { CatalogResult, Cataloger } from './types.js';

/** A file tree to run catalogers over, with the OS it belongs to. */
export interface ConformanceTree {
  name: string;
  view: FileView;
  os: OsInfo | null;
}

/** Only the contents the cataloger asked for are readable: what the layer walker gives it. */
export function keptOnly(c: Cataloger, view: FileView): FileView {
  const kept = new Set<string>();
  for (const p of view.paths()) {
    const e = view.stat(p);
    if (e && c.wants(p, e)) kept.add(p);
  }
  return { ...view, read: (p) => (kept.has(view.resolve(p) ?? '') ? view.read(p) : undefined) };
}

/** The same tree walked in the opposite order: results must not depend on walk order. */
function reversed(view: FileView): FileView {
  return { ...view, paths: () => [...view.paths()].reverse(), list: (d) => [...view.list(d)].reverse() };
}

/** Seeded garbage generators applied to every file a cataloger reads. */
function mutations(): Array<[string, (b: Buffer) => Buffer]> {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  return [
    ['empty', () => Buffer.alloc(0)],
    ['truncated', (b) => b.subarray(0, Math.floor(b.length / 2))],
    ['random bytes', (b) => Buffer.from(Array.from({ length: Math.min(4096, b.length + 17) }, () => Math.floor(rnd() * 256)))],
    ['NUL bytes', (b) => Buffer.alloc(b.length + 1)],
    ['lines shuffled', (b) => Buffer.from(b.toString('latin1').split('\n').sort(() => rnd() - 0.5).join('\n'), 'latin1')],
    ['CRLF', (b) => Buffer.from(b.toString('latin1').replace(/\n/g, '\r\n'), 'latin1')],
    ['colons and blanks', (b) => Buffer.from(b.toString('latin1').replace(/[a-z]/g, (c) => (rnd() < 0.05 ? ':' : rnd() < 0.05 ? '\n' : c)), 'latin1')],
    ['doubled', (b) => Buffer.concat([b, b])],
  ];
}

function checkShape(c: Cataloger, r: CatalogResult, view: FileView): void {
  expect(Array.isArray(r.packages) && Array.isArray(r.warnings)).toBe(true);
  for (const p of r.packages) {
    expect(typeof p.name === 'string' && p.name.length > 0, `${c.id}: package without name`).toBe(true);
    expect(typeof p.version, `${c.id}: ${p.name} version`).toBe('string');
    expect(p.locations.length, `${c.id}: ${p.name} has no location`).toBeGreaterThan(0);
    for (const l of p.locations) {
      expect(l.path.startsWith('/'), `${c.id}: ${p.name} location ${l.path}`).toBe(true);
      expect(view.stat(l.path) ?? view.stat(view.resolve(l.path) ?? ''), `${c.id}: ${l.path} is not in the image`).toBeDefined();
      expect(typeof l.layer).toBe('string');
    }
  }
  for (const w of r.warnings) expect(typeof w.message).toBe('string');
  if (r.ownedFiles) for (const f of r.ownedFiles) expect(f.startsWith('/'), f).toBe(true);
}

/**
 * Registers vitest cases checking that `c` reports located packages, orders them the same whatever
 * the walk order, and never throws on garbage in any file it reads.
 */
export function catalogerConformance(c: Cataloger, trees: readonly ConformanceTree[]): void {
  it(`${c.id}: has a kebab-case id and a positive integer version`, () => {
    expect(c.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
    expect(Number.isInteger(c.version) && c.version > 0).toBe(true);
  });

  it(`${c.id}: reports located packages, in a stable order`, async () => {
    for (const t of trees) {
      const view = keptOnly(c, t.view);
      const a = await c.catalog(view, t.os);
      checkShape(c, a, t.view);
      const b = await c.catalog(keptOnly(c, reversed(t.view)), t.os);
      expect(b.packages, `${c.id} over ${t.name}: order depends on walk order`).toEqual(a.packages);
      expect(b.warnings).toEqual(a.warnings);
    }
  });

  it(`${c.id}: never throws on garbage`, async () => {
    for (const t of trees) {
      const view = keptOnly(c, t.view);
      for (const [what, mutate] of mutations()) {
        const bad: FileView = { ...view, read: (p) => { const buf = view.read(p); return buf && mutate(buf); } };
        let r: CatalogResult | undefined;
        try {
          r = await c.catalog(bad, t.os);
        } catch (err) {
          throw new Error(`${c.id} threw on ${t.name} (${what}): ${String(err)}`);
        }
        checkShape(c, r, t.view);
      }
    }
  });
}
