/**
 * The language catalogers over whole shared images, through the real layer walker and squash:
 * what expected-facts.json lists, and no warnings over every executable and file of the images.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedPath } from '../../test/helpers/shared.js';
import { openImage, parseReference, squash, walkLayer } from '../image/index.js';
import type { LayerIndex } from '../image/types.js';
import type { Package } from '../model/index.js';
import { dotnetCataloger } from './dotnet/index.js';
import { goBinaryCataloger } from './go-binary/index.js';
import { javaCataloger } from './java/index.js';
import { npmCataloger } from './npm/index.js';
import { phpCataloger } from './php/index.js';
import { pythonCataloger } from './python/index.js';
import { rubyCataloger } from './ruby/index.js';
import { rustCataloger } from './rust/index.js';
import type { Cataloger } from './types.js';

const images = sharedPath('images');
const CATALOGERS: Cataloger[] = [npmCataloger(), pythonCataloger(), goBinaryCataloger(), javaCataloger(), rustCataloger(), rubyCataloger(), phpCataloger(), dotnetCataloger()];

async function scan(name: string) {
  const img = await openImage(parseReference(`oci:${path.join(images!, 'oci', name)}`));
  try {
    const want = (p: string, e: Parameters<Cataloger['wants']>[1]) => CATALOGERS.some((c) => c.wants(p, e));
    const layers: LayerIndex[] = [];
    for (const blob of img.layers) layers.push(await walkLayer(blob, want));
    const { view } = squash(layers);
    const out = new Map<string, { packages: Package[]; warnings: unknown[] }>();
    for (const c of CATALOGERS) out.set(c.id, await c.catalog(view, null));
    return { out, diffIds: img.layers.map((l) => l.diffId) };
  } finally {
    await img.close();
  }
}

function facts(name: string) {
  const all = JSON.parse(readFileSync(path.join(images!, 'expected-facts.json'), 'utf8'));
  return all.images.find((i: { name: string }) => i.name === name);
}

describe.skipIf(!images)('language packages in the shared images', () => {
  it('debian-app: npm, python and java as expected-facts.json says; no Go or Rust; no warnings', async () => {
    const { out, diffIds } = await scan('debian-app');
    const f = facts('debian-app');
    for (const [id, r] of out) expect(r.warnings, id).toEqual([]);
    const npm = out.get('npm')!.packages;
    expect(npm.map((p) => `${p.locations[0]!.path} ${p.name}@${p.version}`).sort()).toEqual(
      f.packages.npm.map((p: { path: string; name: string; version: string }) => `${p.path}/package.json ${p.name}@${p.version}`).sort(),
    );
    // /app arrives in layer 3.
    expect(new Set(npm.map((p) => p.locations[0]!.layer))).toEqual(new Set([diffIds[2]]));
    const py = out.get('python')!.packages;
    expect(py.map((p) => `${p.name}@${p.version}`).sort()).toEqual(f.packages.python.map((p: { name: string; version: string }) => `${p.name}@${p.version}`).sort());
    const java = out.get('java')!.packages;
    expect(java.map((p) => [p.name, p.version, p.locations[0]!.path])).toEqual([['log4j:log4j', '1.2.17', f.packages.java[0].jar]]);
    for (const id of ['go-binary', 'rust', 'ruby', 'php', 'dotnet']) expect(out.get(id)!.packages, id).toEqual([]);
  });

  it('go-static: the server binary as go version -m saw it', async () => {
    const { out } = await scan('go-static');
    const f = facts('go-static').packages.go[0];
    for (const [id, r] of out) expect(r.warnings, id).toEqual([]);
    const go = out.get('go-binary')!.packages;
    expect(go.map((p) => `${p.name}@${p.version}`).sort()).toEqual(
      [`stdlib@${f.goVersion.replace(/^go/, '')}`, `${f.mainModule}@(devel)`, ...f.deps.map((d: { module: string; version: string }) => `${d.module}@${d.version}`)].sort(),
    );
    expect(go.every((p) => p.locations[0]!.path === f.path)).toBe(true);
  });

  it('alpine-3.20: busybox and friends are not Go or Rust binaries', async () => {
    const { out } = await scan('alpine-3.20');
    for (const [id, r] of out) {
      expect(r.warnings, id).toEqual([]);
      expect(r.packages, id).toEqual([]);
    }
  });
});
