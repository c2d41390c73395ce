/** Table tests for parseReference; registry cases ported from distribution/reference's normalize_test.go and reference_test.go. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ShipshapeError } from '../errors.js';
import { parseReference, parseRegistryReference } from './reference.js';

const D64 = 'ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff';
const D128 = D64 + D64;

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof ShipshapeError ? err.code : `not a ShipshapeError: ${String(err)}`;
  }
  return undefined;
}

describe('parseRegistryReference', () => {
  // normalize_test.go TestValidateReferenceName + TestValidateRemoteName (valid)
  const valid = [
    'docker/docker',
    'library/debian',
    'debian',
    'docker.io/docker/docker',
    'docker.io/library/debian',
    'docker.io/debian',
    'index.docker.io/docker/docker',
    'index.docker.io/library/debian',
    'index.docker.io/debian',
    '127.0.0.1:5000/docker/docker',
    '127.0.0.1:5000/library/debian',
    '127.0.0.1:5000/debian',
    '192.168.0.1',
    '192.168.0.1:80',
    '192.168.0.1:8/debian',
    '192.168.0.2:25000/debian',
    'thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev',
    '[fc00::1]:5000/docker',
    '[fc00::1]:5000/docker/docker',
    '[fc00:1:2:3:4:5:6:7]:5000/library/debian',
    'docker.io/1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a',
    'Docker/docker',
    'DOCKER/docker',
    'docker-rules/docker',
    'docker---rules/docker',
    'doc/docker',
    'd/docker',
    'jess/t',
    'dock__er/docker',
    'lowercase:Uppercase',
    `${'a/'.repeat(127)}a:tag-puts-this-over-max`,
  ];
  it.each(valid)('accepts %s', (input) => {
    expect(() => parseRegistryReference(input)).not.toThrow();
  });

  // normalize_test.go invalid names, reference_test.go error cases
  const invalid = [
    'https://github.com/docker/docker',
    'docker/Docker',
    '-docker',
    '-docker/docker',
    '-docker.io/docker/docker',
    'docker///docker',
    'docker.io/docker/Docker',
    'docker.io/docker///docker',
    '[fc00::1]',
    '[fc00::1]:5000',
    'fc00::1:5000/debian',
    '[fe80::1%eth0]:5000/debian',
    '[2001:db8:3:4::192.0.2.33]:5000/debian',
    '1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a',
    'docker-/docker',
    '-docker-/docker',
    '____/____',
    '_docker/_docker',
    'dock..er/docker',
    'dock_.er/docker',
    'dock-.er/docker',
    'docker/',
    `${'this_is_not_a_valid_namespace_because_its_lenth_is_greater_than_255_'.repeat(4)}/docker`,
    '',
    ':justtag',
    `@sha256:${D64}`,
    'repo@sha256:ffffffffffffffffffffffffffffffffff',
    `validname@invaliddigest:${D64}`,
    'Uppercase:tag',
    'test:5000/Uppercase/lowercase:tag',
    `${'a/'.repeat(128)}a:tag`,
    'aa/asdf$$^/aa',
    '[2001:db8::1]',
    '[2001:db8::1]:5000',
    '[fe80::1%@invalidzone]:5000/repo',
    `repo@sha256:${D64.toUpperCase()}`,
    'repo:-tag',
    `repo:${'t'.repeat(129)}`,
  ];
  it.each(invalid)('rejects %j with bad-reference', (input) => {
    expect(code(() => parseRegistryReference(input))).toBe('bad-reference');
  });

  // normalize_test.go TestParseRepositoryInfo: every spelling of one repository normalises alike
  const infos: Array<{ remote: string; spellings: string[]; domain: string; full: string }> = [
    { remote: 'fooo/bar', domain: 'docker.io', full: 'docker.io/fooo/bar', spellings: ['fooo/bar', 'docker.io/fooo/bar', 'index.docker.io/fooo/bar'] },
    { remote: 'library/ubuntu', domain: 'docker.io', full: 'docker.io/library/ubuntu', spellings: ['ubuntu', 'docker.io/library/ubuntu', 'library/ubuntu'] },
    { remote: 'nonlibrary/ubuntu', domain: 'docker.io', full: 'docker.io/nonlibrary/ubuntu', spellings: ['nonlibrary/ubuntu'] },
    { remote: 'other/library', domain: 'docker.io', full: 'docker.io/other/library', spellings: ['other/library'] },
    { remote: 'private/moonbase', domain: '127.0.0.1:8000', full: '127.0.0.1:8000/private/moonbase', spellings: ['127.0.0.1:8000/private/moonbase'] },
    { remote: 'privatebase', domain: '127.0.0.1:8000', full: '127.0.0.1:8000/privatebase', spellings: ['127.0.0.1:8000/privatebase'] },
    { remote: 'private/moonbase', domain: 'example.com', full: 'example.com/private/moonbase', spellings: ['example.com/private/moonbase'] },
    { remote: 'privatebase', domain: 'example.com:8000', full: 'example.com:8000/privatebase', spellings: ['example.com:8000/privatebase'] },
    { remote: 'library/ubuntu-12.04-base', domain: 'docker.io', full: 'docker.io/library/ubuntu-12.04-base', spellings: ['ubuntu-12.04-base', 'index.docker.io/library/ubuntu-12.04-base'] },
    { remote: 'library/foo', domain: 'docker.io', full: 'docker.io/library/foo', spellings: ['foo', 'docker.io/foo'] },
    { remote: 'library/foo/bar', domain: 'docker.io', full: 'docker.io/library/foo/bar', spellings: ['library/foo/bar'] },
    { remote: 'store/foo/bar', domain: 'docker.io', full: 'docker.io/store/foo/bar', spellings: ['store/foo/bar'] },
    { remote: 'bar', domain: 'Foo', full: 'Foo/bar', spellings: ['Foo/bar'] },
    { remote: 'bar', domain: 'FOO', full: 'FOO/bar', spellings: ['FOO/bar'] },
    // TestNormalizedSplitHostname
    { remote: 'foo', domain: 'test.com', full: 'test.com/foo', spellings: ['test.com/foo'] },
    { remote: 'test_com/foo', domain: 'docker.io', full: 'docker.io/test_com/foo', spellings: ['test_com/foo'] },
    { remote: 'docker/migrator', domain: 'docker.io', full: 'docker.io/docker/migrator', spellings: ['docker/migrator'] },
    { remote: 'foo', domain: 'test-com:8080', full: 'test-com:8080/foo', spellings: ['test-com:8080/foo'] },
    { remote: 'foo', domain: 'xn--n3h.com:18080', full: 'xn--n3h.com:18080/foo', spellings: ['xn--n3h.com:18080/foo'] },
    { remote: 'sub/app', domain: 'localhost', full: 'localhost/sub/app', spellings: ['localhost/sub/app'] },
    { remote: 'app', domain: 'localhost', full: 'localhost/app', spellings: ['localhost/app'] },
    { remote: 'library/localhost', domain: 'docker.io', full: 'docker.io/library/localhost', spellings: ['localhost'] },
    { remote: 'repo', domain: '[2001:db8::1]:5000', full: '[2001:db8::1]:5000/repo', spellings: ['[2001:db8::1]:5000/repo'] },
  ];
  for (const info of infos) {
    it.each(info.spellings)(`normalises %s to ${info.full}`, (input) => {
      const r = parseRegistryReference(input);
      expect(r.registry).toBe(info.domain);
      expect(r.repository).toBe(info.remote);
      expect(r.tag).toBe('latest');
      expect(r.digest).toBeUndefined();
      expect(r.name).toBe(`${info.full}:latest`);
    });
  }

  const tagged: Array<[string, { registry: string; repository: string; tag?: string; digest?: string; name: string }]> = [
    ['alpine:3.20', { registry: 'docker.io', repository: 'library/alpine', tag: '3.20', name: 'docker.io/library/alpine:3.20' }],
    ['user/app', { registry: 'docker.io', repository: 'user/app', tag: 'latest', name: 'docker.io/user/app:latest' }],
    ['host:5000/ns/app:tag', { registry: 'host:5000', repository: 'ns/app', tag: 'tag', name: 'host:5000/ns/app:tag' }],
    ['test.com:5000', { registry: 'docker.io', repository: 'library/test.com', tag: '5000', name: 'docker.io/library/test.com:5000' }],
    ['foo/foo_bar.com:8080', { registry: 'docker.io', repository: 'foo/foo_bar.com', tag: '8080', name: 'docker.io/foo/foo_bar.com:8080' }],
    ['b.gcr.io/test.example.com/my-app:test.example.com', { registry: 'b.gcr.io', repository: 'test.example.com/my-app', tag: 'test.example.com', name: 'b.gcr.io/test.example.com/my-app:test.example.com' }],
    [`test:5000/repo@sha256:${D64}`, { registry: 'test:5000', repository: 'repo', digest: `sha256:${D64}`, name: `test:5000/repo@sha256:${D64}` }],
    [`test:5000/repo:tag@sha256:${D64}`, { registry: 'test:5000', repository: 'repo', tag: 'tag', digest: `sha256:${D64}`, name: `test:5000/repo:tag@sha256:${D64}` }],
    [`busybox:latest@sha256:${D64}`, { registry: 'docker.io', repository: 'library/busybox', tag: 'latest', digest: `sha256:${D64}`, name: `docker.io/library/busybox:latest@sha256:${D64}` }],
    [`redis@sha256:${D64}`, { registry: 'docker.io', repository: 'library/redis', digest: `sha256:${D64}`, name: `docker.io/library/redis@sha256:${D64}` }],
    [`xn--7o8h.com/myimage:xn--7o8h.com@sha512:${D128}`, { registry: 'xn--7o8h.com', repository: 'myimage', tag: 'xn--7o8h.com', digest: `sha512:${D128}`, name: `xn--7o8h.com/myimage:xn--7o8h.com@sha512:${D128}` }],
    ['docker://alpine:3.10', { registry: 'docker.io', repository: 'library/alpine', tag: '3.10', name: 'docker.io/library/alpine:3.10' }],
  ];
  it.each(tagged)('parses %s', (input, want) => {
    const r = parseReference(input);
    expect(r).toEqual({ kind: 'registry', ...want });
  });
});

describe('parseReference: layouts, archives and bare paths', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-ref-'));
  const layout = path.join(dir, 'layout');
  mkdirSync(layout);
  writeFileSync(path.join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const plain = path.join(dir, 'plain');
  mkdirSync(plain);
  const archive = path.join(dir, 'image.tar');
  writeFileSync(archive, 'not really a tar');
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads oci:DIR, oci:DIR:TAG and oci:DIR@DIGEST', () => {
    expect(parseReference(`oci:${layout}`)).toEqual({ kind: 'oci', path: layout, name: `oci:${layout}` });
    expect(parseReference(`oci:${layout}:v1.2`)).toEqual({ kind: 'oci', path: layout, tag: 'v1.2', name: `oci:${layout}:v1.2` });
    expect(parseReference(`oci:${layout}@sha256:${D64}`)).toEqual({ kind: 'oci', path: layout, digest: `sha256:${D64}`, name: `oci:${layout}@sha256:${D64}` });
    expect(code(() => parseReference(`oci:${layout}@sha256:abc`))).toBe('bad-reference');
    expect(code(() => parseReference('oci:'))).toBe('bad-reference');
  });

  it('resolves a relative oci path to an absolute one but keeps the name as typed', () => {
    const r = parseReference('oci:some/dir:tag');
    expect(r).toEqual({ kind: 'oci', path: path.resolve('some/dir'), tag: 'tag', name: 'oci:some/dir:tag' });
  });

  it('reads docker-archive:FILE and docker-archive:FILE:REF (the ref may hold a colon)', () => {
    expect(parseReference(`docker-archive:${archive}`)).toEqual({ kind: 'docker-archive', path: archive, name: `docker-archive:${archive}` });
    expect(parseReference(`docker-archive:${archive}:alpine:3.20`)).toEqual({
      kind: 'docker-archive',
      path: archive,
      tag: 'alpine:3.20',
      name: `docker-archive:${archive}:alpine:3.20`,
    });
  });

  it('detects existing bare paths: a layout directory is oci, a file is a docker archive', () => {
    expect(parseReference(layout)).toMatchObject({ kind: 'oci', path: layout });
    expect(parseReference(archive)).toMatchObject({ kind: 'docker-archive', path: archive });
    const rel = path.relative(process.cwd(), layout);
    expect(parseReference(rel)).toMatchObject({ kind: 'oci', path: layout });
  });

  it('refuses explicit paths that are missing or are not layouts', () => {
    expect(code(() => parseReference(path.join(dir, 'missing')))).toBe('not-found');
    expect(code(() => parseReference('./definitely-not-here-4711'))).toBe('not-found');
    expect(code(() => parseReference(plain))).toBe('bad-reference');
  });

  it('treats a name that is not on disk as a registry reference', () => {
    expect(parseReference('alpine')).toMatchObject({ kind: 'registry', name: 'docker.io/library/alpine:latest' });
  });
});
