/** The dpkg-db cataloger over real bookworm stanzas, distroless status.d, and hand-made odd databases. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dirFileView } from '../../image/dir-view.js';
import { memView } from '../fixtures/mem-view.js';
import { detectOs } from '../os-release/index.js';
import { copyrightLicenses, dpkgCataloger, isInstalled, parseSource, parseStanzas, wantsDpkgFile } from './index.js';

const here = path.dirname(fileURLToPath(import.meta.url));

describe('dpkg-db cataloger', () => {
  it('catalogs the installed packages of a real bookworm status file', async () => {
    const view = dirFileView(path.join(here, 'fixtures/bookworm-slice'), 'sha256:base');
    const r = await dpkgCataloger().catalog(view, detectOs(view));
    expect(r.warnings).toEqual([]);
    const loc = [{ layer: 'sha256:base', path: '/var/lib/dpkg/status' }];
    expect(r.packages).toEqual([
      {
        name: 'bash',
        version: '5.2.15-2+b13',
        type: 'deb',
        arch: 'amd64',
        sourceName: 'bash',
        sourceVersion: '5.2.15-2', // binNMU: the source version differs
        licenses: [
          'BSD-4-clause-UC',
          'BSD-4-clause-UC and MIT-like',
          'GFDL-NIV-1.3',
          'GPL-2+',
          'GPL-3+',
          'GPL-3+ with Bison exception',
          'Latex2e',
          'MIT-like',
          'permissive',
        ],
        purl: 'pkg:deb/debian/bash@5.2.15-2%2Bb13?arch=amd64&distro=debian-12',
        locations: loc,
      },
      {
        name: 'libc6',
        version: '2.36-9+deb12u14',
        type: 'deb',
        arch: 'amd64',
        sourceName: 'glibc',
        sourceVersion: '2.36-9+deb12u14',
        purl: 'pkg:deb/debian/libc6@2.36-9%2Bdeb12u14?arch=amd64&distro=debian-12',
        locations: loc,
      },
      {
        name: 'zlib1g',
        version: '1:1.2.13.dfsg-1',
        type: 'deb',
        arch: 'amd64',
        sourceName: 'zlib',
        sourceVersion: '1:1.2.13.dfsg-1',
        licenses: ['Zlib'],
        purl: 'pkg:deb/debian/zlib1g@1%3A1.2.13.dfsg-1?arch=amd64&distro=debian-12',
        locations: loc,
      },
    ]);
    // nano is "deinstall ok config-files": removed, not reported.
    expect(r.packages.some((p) => p.name === 'nano')).toBe(false);
    // zlib1g:amd64.list (multi-arch name) gives the owned files; "/." is not a path.
    expect(r.ownedFiles?.has('/lib/x86_64-linux-gnu/libz.so.1.2.13')).toBe(true);
    expect(r.ownedFiles?.has('/usr/share/doc/zlib1g/copyright')).toBe(true);
    expect(r.ownedFiles?.has('/.')).toBe(false);
  });

  it('catalogs distroless status.d files (no Status field), skipping md5sums', async () => {
    const view = dirFileView(path.join(here, 'fixtures/distroless'), 'sha256:d');
    const r = await dpkgCataloger().catalog(view, detectOs(view));
    expect(r.warnings).toEqual([]);
    expect(r.packages.map((p) => [p.name, p.version, p.sourceName, p.locations[0]!.path])).toEqual([
      ['base-files', '12.4+deb12u15', 'base-files', '/var/lib/dpkg/status.d/base-files'],
      ['libssl3', '3.0.22-1~deb12u2', 'openssl', '/var/lib/dpkg/status.d/libssl3'],
    ]);
    expect(r.packages[1]!.purl).toBe('pkg:deb/debian/libssl3@3.0.22-1~deb12u2?arch=amd64&distro=debian-12');
  });

  it('names ubuntu packages pkg:deb/ubuntu and resolves owned files through usrmerge symlinks', async () => {
    const view = memView([
      {
        path: '/var/lib/dpkg/status',
        data: 'Package: coreutils\nStatus: hold ok installed\nArchitecture: amd64\nVersion: 9.4-2ubuntu2\n',
      },
      { path: '/var/lib/dpkg/info/coreutils.list', data: '/.\n/bin\n/bin/ls\n' },
      { path: '/usr/bin/ls', data: 'ELF' },
      { path: '/bin', type: 'symlink', linkname: 'usr/bin' },
    ]);
    const r = await dpkgCataloger().catalog(view, { id: 'ubuntu', version: '24.04' });
    expect(r.packages[0]!.purl).toBe('pkg:deb/ubuntu/coreutils@9.4-2ubuntu2?arch=amd64&distro=ubuntu-24.04');
    expect([...(r.ownedFiles ?? [])].sort()).toEqual(['/bin', '/bin/ls', '/usr/bin', '/usr/bin/ls']);
  });

  it('warns about stanzas without Package or Version and keeps going', async () => {
    const status = [
      'Status: install ok installed\nVersion: 1.0\n',
      'Package: nover\nStatus: install ok installed\n',
      'Package: ok\nStatus: install ok installed\nVersion: 2.0\nDescription: multi\n line\n .\n more\n',
      'Package: half\nStatus: install reinstreq half-installed\nVersion: 1\n',
      'Package: nostatus\nVersion: 1\n',
      'Package: trig\nStatus: install ok triggers-pending\nVersion: 3\n',
    ].join('\n');
    const r = await dpkgCataloger().catalog(memView([{ path: '/var/lib/dpkg/status', data: status }]), null);
    expect(r.packages.map((p) => p.name)).toEqual(['ok', 'trig']);
    expect(r.packages[0]!.purl).toBe('pkg:deb/debian/ok@2.0');
    expect(r.warnings.map((w) => w.message)).toEqual([
      'dpkg-db: stanza at line 1 has no Package field; skipped',
      'dpkg-db: package nover has no Version field; skipped',
    ]);
  });

  it('reads licences from copyright files: DEP-5 License lines, else common-licenses references', () => {
    expect(copyrightLicenses('Format: x\n\nFiles: *\nLicense: GPL-2+\n\nFiles: a\nLicense: MIT\n text\nLicense: GPL-2+\n')).toEqual(['GPL-2+', 'MIT']);
    expect(copyrightLicenses('See /usr/share/common-licenses/GPL-2 and /usr/share/common-licenses/LGPL-2.1.\n')).toEqual(['GPL-2', 'LGPL-2.1']);
    expect(copyrightLicenses('Public domain.\n')).toEqual([]);
  });

  it('parses Source with and without version, Status states, continuation lines', () => {
    expect(parseSource('glibc', 'libc6', '2.36-9')).toEqual({ name: 'glibc', version: '2.36-9' });
    expect(parseSource('util-linux (2.38.1-5+deb12u3)', 'bsdutils', '1:2.38.1-5+deb12u3')).toEqual({
      name: 'util-linux',
      version: '2.38.1-5+deb12u3',
    });
    expect(parseSource(undefined, 'bash', '5.2')).toEqual({ name: 'bash', version: '5.2' });
    expect(isInstalled('install ok installed')).toBe(true);
    expect(isInstalled('deinstall ok config-files')).toBe(false);
    expect(isInstalled('purge ok not-installed')).toBe(false);
    expect(isInstalled('install ok unpacked')).toBe(false);
    expect(isInstalled('garbage')).toBe(false);
    expect(isInstalled(undefined)).toBe(true);
    const [st] = parseStanzas('Package: a\r\nDescription: one\r\n two\r\n\r\n');
    expect(st!.fields.get('description')).toBe('one\ntwo');
  });

  it('wants the databases, file lists and small copyright files only', () => {
    const e = (size: number) => ({ path: '', type: 'file' as const, mode: 0o644, size, uid: 0, gid: 0 });
    expect(wantsDpkgFile('/var/lib/dpkg/status', e(1e6))).toBe(true);
    expect(wantsDpkgFile('/var/lib/dpkg/status-old', e(1))).toBe(false);
    expect(wantsDpkgFile('/var/lib/dpkg/status.d/libssl3', e(1))).toBe(true);
    expect(wantsDpkgFile('/var/lib/dpkg/status.d/libssl3.md5sums', e(1))).toBe(false);
    expect(wantsDpkgFile('/var/lib/dpkg/info/libc6:amd64.list', e(1))).toBe(true);
    expect(wantsDpkgFile('/var/lib/dpkg/info/libc6:amd64.md5sums', e(1))).toBe(false);
    expect(wantsDpkgFile('/usr/share/doc/bash/copyright', e(10_000))).toBe(true);
    expect(wantsDpkgFile('/usr/share/doc/gcc/copyright', e(10_000_000))).toBe(false);
    expect(wantsDpkgFile('/usr/share/doc/bash/examples/copyright', e(10))).toBe(false);
  });
});
