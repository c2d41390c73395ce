/** The apk and dpkg catalogers against the shared real images: expected-facts.json and dpkg-query agree with us. */
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createGunzip } from 'node:zlib';
import tar from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { sharedPath } from '../../test/helpers/shared.js';
import type { Package } from '../model/index.js';
import { memView, type MemFile } from './fixtures/mem-view.js';
import { CATALOGERS, catalogAll, detectOs, wantedBy } from './index.js';

const imagesDir = sharedPath('images/oci');
const factsPath = sharedPath('images/expected-facts.json');

interface FactPackage {
  name: string;
  version: string;
  arch: string;
  origin?: string;
  sourceName?: string;
  sourceVersion?: string;
}
interface Facts {
  images: Array<{ name: string; osRelease: { id: string; versionId: string } | null; packages: { apk: FactPackage[]; dpkg: FactPackage[] } }>;
}

const json = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as Record<string, any>;

/** Layer blob paths of an OCI layout's (single-platform) image, base first. */
function layerBlobs(layout: string): Array<{ digest: string; file: string }> {
  const blob = (d: string) => path.join(layout, 'blobs', d.replace(':', '/'));
  const index = json(path.join(layout, 'index.json'));
  const manifest = json(blob(index.manifests[0].digest));
  return (manifest.layers as Array<{ digest: string }>).map((l) => ({ digest: l.digest, file: blob(l.digest) }));
}

/**
 * Streams each gzip layer once, keeping the files the catalogers and OS detection want (and
 * symlinks), later layers overriding earlier ones: a test-sized stand-in for the layer walker.
 */
async function wantedFiles(layout: string): Promise<MemFile[]> {
  const want = wantedBy(CATALOGERS);
  const files = new Map<string, MemFile & { layer: string }>();
  for (const { digest, file } of layerBlobs(layout)) {
    const extract = tar.extract();
    createReadStream(file).pipe(createGunzip()).pipe(extract);
    for await (const entry of extract) {
      const h = entry.header;
      const p = `/${h.name.replace(/^\.?\/+/, '').replace(/\/+$/, '')}`;
      const meta = { path: p, type: 'file' as const, mode: h.mode ?? 0, size: h.size ?? 0, uid: 0, gid: 0 };
      if (h.type === 'symlink' && h.linkname) {
        files.set(p, { path: p, type: 'symlink', linkname: h.linkname, layer: digest });
      } else if ((h.type === 'file' || h.type === 'contiguous-file') && want(p, meta)) {
        const chunks: Buffer[] = [];
        for await (const c of entry) chunks.push(c as Buffer);
        files.set(p, { path: p, data: Buffer.concat(chunks), layer: digest });
        continue;
      }
      entry.resume();
    }
  }
  return [...files.values()];
}

function hasDpkgQuery(): boolean {
  try {
    execFileSync('dpkg-query', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    process.stderr.write('skipping the dpkg-query comparison: dpkg-query is not installed (apt-get install dpkg)\n');
    return false;
  }
}

const key = (p: { name: string; version: string; arch?: string }) => `${p.name} ${p.version} ${p.arch ?? ''}`;

describe.skipIf(!imagesDir || !factsPath)('catalogers on the shared images', () => {
  const facts = factsPath ? (JSON.parse(readFileSync(factsPath, 'utf8')) as Facts) : { images: [] };
  const byName = new Map(facts.images.map((i) => [i.name, i]));

  for (const name of ['alpine-3.7', 'alpine-3.10', 'alpine-3.20']) {
    it(`${name}: apk-db matches expected-facts.json`, async () => {
      const fact = byName.get(name)!;
      const view = memView(await wantedFiles(path.join(imagesDir!, name)));
      const os = detectOs(view);
      expect(os).toMatchObject({ id: 'alpine', version: fact.osRelease!.versionId });
      const r = await catalogAll(view, os, CATALOGERS);
      expect(r.warnings.filter((w) => w.message.startsWith('apk-db'))).toEqual([]);
      const apk = r.packages.filter((p) => p.type === 'apk');
      const got = apk.map((p: Package) => `${key(p)} ${p.sourceName}`).sort();
      const want = fact.packages.apk.map((p) => `${key(p)} ${p.origin}`).sort();
      expect(got).toEqual(want);
      expect(r.packages.every((p) => p.type !== 'deb')).toBe(true);
      expect(apk.every((p) => p.purl?.endsWith(`distro=alpine-${fact.osRelease!.versionId}`))).toBe(true);
      expect(r.ownedFiles.has('/bin/busybox')).toBe(true);
    });
  }

  for (const name of ['debian-bookworm', 'debian-app']) {
    it(`${name}: dpkg-db matches expected-facts.json and dpkg-query`, async () => {
      const fact = byName.get(name)!;
      const files = await wantedFiles(path.join(imagesDir!, name));
      const view = memView(files);
      const os = detectOs(view);
      expect(os).toEqual({ id: 'debian', version: '12', name: 'Debian GNU/Linux 12 (bookworm)', codename: 'bookworm' });
      const r = await catalogAll(view, os, CATALOGERS);
      expect(r.warnings.filter((w) => w.message.startsWith('dpkg-db'))).toEqual([]);
      const debs = r.packages.filter((p) => p.type === 'deb');
      expect(r.packages.every((p) => p.type !== 'apk')).toBe(true);
      const got = debs.map((p) => `${key(p)} ${p.sourceName} ${p.sourceVersion}`).sort();
      const want = fact.packages.dpkg.map((p) => `${key(p)} ${p.sourceName} ${p.sourceVersion}`).sort();
      expect(got).toEqual(want);

      // dpkg's own reading of the same status file.
      if (!hasDpkgQuery()) return;
      const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-dpkg-query-'));
      try {
        const status = files.find((f) => f.path === '/var/lib/dpkg/status')!.data as Buffer;
        writeFileSync(path.join(dir, 'status'), status);
        const out = execFileSync('dpkg-query', [`--admindir=${dir}`, '-W', '-f', '${db:Status-Status}\t${Package} ${Version} ${Architecture}\n'], {
          encoding: 'utf8',
        });
        const installed = out
          .split('\n')
          .filter((l) => l.startsWith('installed\t'))
          .map((l) => l.slice('installed\t'.length))
          .sort();
        expect(debs.map((p) => key(p)).sort()).toEqual(installed);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }

      const libc = debs.find((p) => p.name === 'libc6')!;
      expect(libc.purl).toBe(`pkg:deb/debian/libc6@${encodeURIComponent(libc.version)}?arch=amd64&distro=debian-12`);
      expect(libc.licenses?.length).toBeGreaterThan(0);
      expect(r.ownedFiles.has('/usr/bin/dpkg')).toBe(true);
    });
  }
});
