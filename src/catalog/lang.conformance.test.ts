/**
 * Runs the cataloger conformance suite (conformance.case.ts) over every language cataloger: over
 * their fixture trees, and over a tree of binaries and archives built in code (Go and Rust ELF
 * files, nested jars) that the on-disk fixtures do not hold.
 */
import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { dirFileView } from '../image/dir-view.js';
import { catalogerConformance, keptOnly, type ConformanceTree } from './conformance.case.js';
import { dotnetCataloger } from './dotnet/index.js';
import { memView } from './fixtures/mem-view.js';
import { inlineBuildInfo, makeElf, pointerBuildInfoElf } from './go-binary/fixtures/make-elf.js';
import { goBinaryCataloger } from './go-binary/index.js';
import { makeZip, pomProperties } from '../../test/helpers/zip.js';
import { javaCataloger } from './java/index.js';
import { npmCataloger } from './npm/index.js';
import { phpCataloger } from './php/index.js';
import { pythonCataloger } from './python/index.js';
import { rubyCataloger } from './ruby/index.js';
import { rustCataloger } from './rust/index.js';
import type { Cataloger } from './types.js';

const here = path.dirname(fileURLToPath(import.meta.url));

const LANGUAGE_CATALOGERS: Cataloger[] = [
  npmCataloger(),
  pythonCataloger(),
  goBinaryCataloger(),
  javaCataloger(),
  rustCataloger(),
  rubyCataloger(),
  phpCataloger(),
  dotnetCataloger(),
];

/** Every `src/catalog/<ecosystem>/fixtures/<case>/` tree, the OS ecosystems' too: other files must not confuse us. */
function fixtureTrees(): ConformanceTree[] {
  const trees: ConformanceTree[] = [];
  for (const eco of readdirSync(here).sort()) {
    const dir = path.join(here, eco, 'fixtures');
    let cases: string[] = [];
    try {
      cases = readdirSync(dir).filter((n) => statSync(path.join(dir, n)).isDirectory());
    } catch {
      continue;
    }
    for (const name of cases.sort()) trees.push({ name: `${eco}/${name}`, view: dirFileView(path.join(dir, name), `sha256:${eco}-${name}`), os: null });
  }
  return trees;
}

const MODINFO = 'path\texample.com/svc\nmod\texample.com/svc\t(devel)\t\ndep\tgolang.org/x/net\tv0.7.0\th1:x=\nbuild\tGOOS=linux\n';

function binariesTree(): ConformanceTree {
  const inner = makeZip([pomProperties('org.yaml', 'snakeyaml', '1.30')]);
  const audit = deflateSync(JSON.stringify({ packages: [{ name: 'serde', version: '1.0.152', source: 'crates.io' }] }));
  const view = memView(
    [
      { path: '/app/server', mode: 0o755, data: makeElf({ bits: 64, sections: [{ name: '.go.buildinfo', data: inlineBuildInfo('go1.20.1', MODINFO), addr: 0x500000 }] }) },
      { path: '/app/old', mode: 0o755, data: pointerBuildInfoElf(32, false, 'go1.16.15', MODINFO) },
      { path: '/usr/local/bin/rusty', mode: 0o755, data: makeElf({ bits: 64, sections: [{ name: '.dep-v0', data: audit }] }) },
      { path: '/srv/app.war', data: makeZip([pomProperties('com.example', 'web', '2.0'), { name: 'WEB-INF/lib/snakeyaml-1.30.jar', data: inner }]) },
      { path: '/srv/lib/commons-io-2.11.0.jar', data: makeZip([{ name: 'META-INF/MANIFEST.MF', data: 'Implementation-Version: 2.11.0\n' }]) },
    ],
    'sha256:binaries',
  );
  return { name: 'built-in-code/binaries', view, os: null };
}

const trees = [...fixtureTrees(), binariesTree()];

it('finds a fixture tree for every language ecosystem', () => {
  const names = trees.map((t) => t.name.split('/')[0]);
  for (const eco of ['npm', 'python', 'rust', 'ruby', 'php', 'dotnet']) expect(names).toContain(eco);
});

for (const c of LANGUAGE_CATALOGERS) {
  describe(`language cataloger conformance: ${c.id}`, () => {
    catalogerConformance(c, trees);

    it(`${c.id}: finds packages in its own fixtures, each with a purl and the layer of its file`, async () => {
      let found = 0;
      for (const t of trees) {
        const r = await c.catalog(keptOnly(c, t.view), null);
        for (const p of r.packages) {
          expect(p.purl, `${c.id}: ${p.name}`).toMatch(/^pkg:[a-z]+\/.+@.+/);
          for (const l of p.locations) expect(l.layer).toBe(t.view.stat(l.path)!.layer);
        }
        found += r.packages.length;
      }
      expect(found).toBeGreaterThan(0);
    });
  });
}
