/** purl parsing back into packages: the forms shipshape, Syft and Trivy write. */
import { describe, expect, it } from 'vitest';
import { osFromDistro, packageFromPurl, parsePurl } from './purl.js';

describe('parsePurl', () => {
  it('splits type, namespace, name, version, qualifiers and subpath, decoding each', () => {
    expect(parsePurl('pkg:apk/alpine/musl@1.1.22-r3?arch=x86_64&distro=alpine-3.10')).toEqual({
      type: 'apk',
      namespace: 'alpine',
      name: 'musl',
      version: '1.1.22-r3',
      qualifiers: { arch: 'x86_64', distro: 'alpine-3.10' },
    });
    expect(parsePurl('pkg:npm/%40babel/core@7.0.0#lib/index.js')).toEqual({
      type: 'npm',
      namespace: '@babel',
      name: 'core',
      version: '7.0.0',
      qualifiers: {},
      subpath: 'lib/index.js',
    });
    expect(parsePurl('pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?upstream=glibc%402.36-9')?.version).toBe('2.36-9+deb12u4');
    expect(parsePurl('pkg:deb/debian/libc6@2.36-9?upstream=glibc%402.36-9')?.qualifiers.upstream).toBe('glibc@2.36-9');
  });

  it('reads an unencoded npm scope, with and without a version', () => {
    expect(parsePurl('pkg:npm/@babel/core@7.0.0')).toMatchObject({ namespace: '@babel', name: 'core', version: '7.0.0' });
    expect(parsePurl('pkg:npm/@babel/core')).toEqual({ type: 'npm', namespace: '@babel', name: 'core', qualifiers: {} });
  });

  it('rejects what is not a purl', () => {
    for (const s of ['', 'musl@1.0', 'pkg:', 'pkg:apk', 'pkg:apk/', 'cpe:2.3:a:musl:musl:1.1.22']) expect(parsePurl(s)).toBeUndefined();
  });
});

describe('packageFromPurl', () => {
  const pkg = (s: string, version?: string) => packageFromPurl(parsePurl(s)!, version);

  it.each([
    ['pkg:apk/alpine/musl-utils@1.1.18-r3?arch=x86_64&upstream=musl&distro=alpine-3.7.3', { type: 'apk', name: 'musl-utils', version: '1.1.18-r3', arch: 'x86_64', sourceName: 'musl' }],
    ['pkg:deb/debian/libc6@2.36-9%2Bdeb12u4?arch=amd64&upstream=glibc&distro=debian-12', { type: 'deb', name: 'libc6', version: '2.36-9+deb12u4', sourceName: 'glibc' }],
    ['pkg:deb/debian/libssl3@3.0.11-1~deb12u2?upstream=openssl%403.0.11-1~deb12u1', { type: 'deb', name: 'libssl3', sourceName: 'openssl', sourceVersion: '3.0.11-1~deb12u1' }],
    ['pkg:npm/%40babel/core@7.0.0', { type: 'npm', name: '@babel/core', version: '7.0.0' }],
    ['pkg:npm/lodash@4.17.20', { type: 'npm', name: 'lodash' }],
    ['pkg:pypi/requests@2.19.0', { type: 'python', name: 'requests' }],
    ['pkg:golang/github.com/gin-gonic/gin@v1.7.0', { type: 'go-module', name: 'github.com/gin-gonic/gin', version: 'v1.7.0' }],
    ['pkg:golang/stdlib@go1.21.0', { type: 'go-module', name: 'stdlib', version: '1.21.0' }],
    ['pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1', { type: 'maven', name: 'org.apache.logging.log4j:log4j-core' }],
    ['pkg:cargo/smallvec@1.6.0', { type: 'cargo', name: 'smallvec' }],
    ['pkg:gem/rack@2.0.0', { type: 'gem', name: 'rack' }],
    ['pkg:composer/laravel/framework@8.0.0', { type: 'composer', name: 'laravel/framework' }],
    ['pkg:nuget/Newtonsoft.Json@12.0.1', { type: 'nuget', name: 'Newtonsoft.Json' }],
  ])('%s', (purl, want) => {
    expect(pkg(purl)).toMatchObject(want);
  });

  it('takes the SBOM version when the purl has none, and skips types it cannot match', () => {
    expect(pkg('pkg:npm/lodash', '4.17.21')?.version).toBe('4.17.21');
    expect(pkg('pkg:npm/lodash')).toBeUndefined();
    expect(pkg('pkg:generic/openssl@3.0.0')).toBeUndefined();
    expect(pkg('pkg:oci/app@sha256%3Aabc')).toBeUndefined();
  });

  it('upstream is a source package only for distro packages', () => {
    expect(pkg('pkg:npm/x@1.0.0?upstream=y')?.sourceName).toBeUndefined();
  });
});

describe('osFromDistro', () => {
  it.each([
    ['pkg:deb/debian/libc6@1?distro=debian-12', { id: 'debian', version: '12' }],
    ['pkg:apk/alpine/musl@1?distro=alpine-3.10.9', { id: 'alpine', version: '3.10.9' }],
    ['pkg:apk/alpine/musl@1?distro=3.18.4', { id: 'alpine', version: '3.18.4' }],
    ['pkg:deb/ubuntu/libc6@1?distro=ubuntu-22.04', { id: 'ubuntu', version: '22.04' }],
  ])('%s', (purl, want) => {
    expect(osFromDistro(parsePurl(purl)!)).toEqual(want);
  });

  it('no distro qualifier, or an unreadable one → undefined', () => {
    expect(osFromDistro(parsePurl('pkg:deb/debian/libc6@1')!)).toBeUndefined();
    expect(osFromDistro(parsePurl('pkg:deb/debian/libc6@1?distro=bookworm')!)).toBeUndefined();
  });
});
