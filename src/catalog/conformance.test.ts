/** Runs the cataloger conformance suite over every registered cataloger and every fixture tree in src/catalog. */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dirFileView } from '../image/dir-view.js';
import { catalogerConformance, type ConformanceTree } from './conformance.case.js';
import { CATALOGERS, catalogAll, catalogersVersion, detectOs, wantedBy } from './index.js';
import { memView } from './fixtures/mem-view.js';
import type { Cataloger } from './types.js';

const here = path.dirname(fileURLToPath(import.meta.url));

/** Every `src/catalog/<ecosystem>/fixtures/<case>/` directory: new ecosystems' fixtures join automatically. */
function fixtureTrees(): ConformanceTree[] {
  const trees: ConformanceTree[] = [];
  for (const eco of readdirSync(here).sort()) {
    const dir = path.join(here, eco, 'fixtures');
    let cases: string[];
    try {
      cases = readdirSync(dir).filter((n) => statSync(path.join(dir, n)).isDirectory());
    } catch {
      continue;
    }
    for (const name of cases.sort()) {
      const view = dirFileView(path.join(dir, name), `sha256:${eco}-${name}`);
      trees.push({ name: `${eco}/${name}`, view, os: detectOs(view) });
    }
  }
  return trees;
}

const trees = fixtureTrees();

it('finds the fixture trees', () => {
  expect(trees.map((t) => t.name)).toEqual(expect.arrayContaining(['apk/alpine-3.20-two', 'dpkg/bookworm-slice', 'dpkg/distroless']));
});

for (const c of CATALOGERS) {
  describe(`cataloger conformance: ${c.id}`, () => {
    catalogerConformance(c, trees);
  });
}

describe('catalog registry', () => {
  it('has unique ids', () => {
    expect(new Set(CATALOGERS.map((c) => c.id)).size).toBe(CATALOGERS.length);
    expect(CATALOGERS.map((c) => c.id)).toEqual(expect.arrayContaining(['apk-db', 'dpkg-db']));
  });

  it('combines wants with OS detection', () => {
    const want = wantedBy(CATALOGERS);
    const e = { path: '', type: 'file' as const, mode: 0o644, size: 10, uid: 0, gid: 0 };
    expect(want('/etc/os-release', e)).toBe(true);
    expect(want('/lib/apk/db/installed', e)).toBe(true);
    expect(want('/var/lib/dpkg/status', e)).toBe(true);
    expect(want('/etc/shadow', e)).toBe(false);
  });

  it('versions the set of catalogers for the cache key', () => {
    const v = catalogersVersion(CATALOGERS);
    expect(v).toMatch(/^os-release@\d+(,[a-z0-9-]+@\d+)+$/);
    expect(v).toContain('apk-db@1');
    const bumped = CATALOGERS.map((c) => (c.id === 'apk-db' ? { ...c, version: c.version + 1 } : c));
    expect(catalogersVersion(bumped)).not.toBe(v);
    expect(catalogersVersion([...CATALOGERS].reverse())).toBe(v);
  });

  it('merges results and turns a failing cataloger into a warning', async () => {
    const boom: Cataloger = {
      id: 'boom',
      version: 1,
      wants: () => false,
      catalog: () => {
        throw new Error('bug');
      },
    };
    const view = memView([
      { path: '/lib/apk/db/installed', data: 'P:a\nV:1-r0\nF:bin\nR:a\n' },
      { path: '/var/lib/dpkg/status', data: 'Package: b\nStatus: install ok installed\nVersion: 1\n' },
      { path: '/var/lib/dpkg/info/b.list', data: '/usr/bin/b\n' },
    ]);
    const r = await catalogAll(view, null, [...CATALOGERS, boom]);
    expect(r.packages.map((p) => `${p.type}:${p.name}`).sort()).toEqual(['apk:a', 'deb:b']);
    expect(r.warnings).toEqual([{ message: 'boom: cataloger failed: bug' }]);
    expect([...r.ownedFiles].sort()).toEqual(['/bin/a', '/usr/bin/b']);
  });
});
