/** The apk-db cataloger over real Alpine records and hand-made odd databases. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dirFileView } from '../../image/dir-view.js';
import { memView } from '../fixtures/mem-view.js';
import { detectOs } from '../os-release/index.js';
import { apkCataloger, parseApkDb, splitApkLicense } from './index.js';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('apk-db cataloger', () => {
  it('catalogs the real alpine 3.20 records', async () => {
    const view = dirFileView(path.join(here, 'fixtures/alpine-3.20-two'), 'sha256:layer1');
    const r = await apkCataloger().catalog(view, detectOs(view));
    expect(r.warnings).toEqual([]);
    expect(r.packages).toEqual([
      {
        name: 'busybox',
        version: '1.36.1-r29',
        type: 'apk',
        arch: 'x86_64',
        sourceName: 'busybox',
        sourceVersion: '1.36.1-r29',
        licenses: ['GPL-2.0-only'],
        purl: 'pkg:apk/alpine/busybox@1.36.1-r29?arch=x86_64&distro=alpine-3.20.3',
        locations: [{ layer: 'sha256:layer1', path: '/lib/apk/db/installed' }],
      },
      {
        name: 'musl',
        version: '1.2.5-r0',
        type: 'apk',
        arch: 'x86_64',
        sourceName: 'musl',
        sourceVersion: '1.2.5-r0',
        licenses: ['MIT'],
        purl: 'pkg:apk/alpine/musl@1.2.5-r0?arch=x86_64&distro=alpine-3.20.3',
        locations: [{ layer: 'sha256:layer1', path: '/lib/apk/db/installed' }],
      },
    ]);
    expect(r.ownedFiles?.has('/bin/busybox')).toBe(true);
    expect(r.ownedFiles?.has('/lib/ld-musl-x86_64.so.1')).toBe(true);
    expect(r.ownedFiles?.has('/bin')).toBe(false); // directories are not owned files
  });

  it('uses the origin as source name, and warns about records without name or version', async () => {
    const db = [
      'P:libssl3\nV:3.3.2-r0\nA:aarch64\no:openssl\nL:Apache-2.0\nF:usr/lib\nR:libssl.so.3\n',
      'P:nover\nA:x86_64\n',
      'V:1.0-r0\n',
      'C:Q1abc=\nP:zlib\nV:1.3.1-r1\nR:toplevel-file\nL:Zlib AND (MIT OR BSD)\n',
      'garbage line without field\nP:plain\nV:1-r0\nL:MIT BSD-2-Clause\n',
    ].join('\n');
    const view = memView([{ path: '/lib/apk/db/installed', data: db }], 'sha256:L');
    const r = await apkCataloger().catalog(view, { id: 'alpine', version: '3.20.3' });
    expect(r.packages.map((p) => [p.name, p.version, p.sourceName, p.licenses])).toEqual([
      ['libssl3', '3.3.2-r0', 'openssl', ['Apache-2.0']],
      ['plain', '1-r0', 'plain', ['MIT', 'BSD-2-Clause']],
      ['zlib', '1.3.1-r1', 'zlib', ['Zlib AND (MIT OR BSD)']],
    ]);
    expect(r.packages[0]!.purl).toBe('pkg:apk/alpine/libssl3@3.3.2-r0?arch=aarch64&distro=alpine-3.20.3');
    expect(r.warnings.map((w) => w.message)).toEqual([
      'apk-db: record at line 9 has no V: version; skipped',
      'apk-db: record at line 12 has no P: name; skipped',
    ]);
    expect([...(r.ownedFiles ?? [])].sort()).toEqual(['/toplevel-file', '/usr/lib/libssl.so.3']);
  });

  it('reads the database once when /lib/apk is a symlink to /usr/lib/apk', async () => {
    const view = memView([
      { path: '/usr/lib/apk/db/installed', data: 'P:a\nV:1-r0\n' },
      { path: '/lib/apk', type: 'symlink', linkname: '../usr/lib/apk' },
    ]);
    const r = await apkCataloger().catalog(view, null);
    expect(r.packages.map((p) => p.name)).toEqual(['a']);
    expect(r.packages[0]!.purl).toBe('pkg:apk/alpine/a@1-r0'); // no os: no distro qualifier
  });

  it('reports nothing without a database', async () => {
    const r = await apkCataloger().catalog(memView([{ path: '/etc/passwd', data: 'root:x:0:0::/root:/bin/sh\n' }]), null);
    expect(r).toEqual({ packages: [], warnings: [], ownedFiles: new Set() });
  });

  it('wants only the database', () => {
    const c = apkCataloger();
    const e = { path: '', type: 'file' as const, mode: 0o644, size: 1, uid: 0, gid: 0 };
    expect(c.wants('/lib/apk/db/installed', e)).toBe(true);
    expect(c.wants('/usr/lib/apk/db/installed', e)).toBe(true);
    expect(c.wants('/lib/apk/db/scripts.tar', e)).toBe(false);
  });

  it('parses F/R lines into absolute paths and splits licences', () => {
    expect(parseApkDb('P:x\nV:1\nF:/etc/\nR:a\nF:\nR:b\n')[0]!.files).toEqual(['/etc/a', '/b']);
    expect(splitApkLicense('  ')).toBeUndefined();
    expect(splitApkLicense('GPL-2.0-or-later WITH Linux-syscall-note')).toEqual(['GPL-2.0-or-later WITH Linux-syscall-note']);
  });
});
