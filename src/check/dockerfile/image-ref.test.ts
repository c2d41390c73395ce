/** Image reference parsing (Docker Hub defaults, registries with ports, digests) and glob matching. */
import { describe, expect, it } from 'vitest';
import { globMatch, matchesAnyImage, normalizePattern, parseImageRef, registryAllowed } from './image-ref.js';
import type { ImageReference } from './types.js';

const D = 'sha256:' + '0123456789abcdef'.repeat(4);

describe('parseImageRef', () => {
  it.each([
    ['alpine', 'docker.io', 'library/alpine', undefined, undefined],
    ['alpine:3.20', 'docker.io', 'library/alpine', '3.20', undefined],
    ['bitnami/redis:7', 'docker.io', 'bitnami/redis', '7', undefined],
    ['index.docker.io/library/node:20', 'docker.io', 'library/node', '20', undefined],
    ['ghcr.io/org/app/sub:v1.2-rc_3', 'ghcr.io', 'org/app/sub', 'v1.2-rc_3', undefined],
    ['localhost/app', 'localhost', 'app', undefined, undefined],
    ['127.0.0.1:5000/app:1@' + D, '127.0.0.1:5000', 'app', '1', D],
    ['gcr.io/distroless/static-debian12@' + D, 'gcr.io', 'distroless/static-debian12', undefined, D],
    ['my-reg.example.com:443/a__b/c.d-e', 'my-reg.example.com:443', 'a__b/c.d-e', undefined, undefined],
  ])('%s', (ref, registry, repository, tag, digest) => {
    expect(parseImageRef(ref)).toEqual({ registry, repository, tag, digest, name: `${registry}/${repository}` });
  });

  it.each([
    ['', 'empty'],
    ['Ubuntu:22.04', 'lowercase'],
    ['alpine:', 'invalid tag'],
    ['alpine:-x', 'invalid tag'],
    ['alpine@sha256:abc', 'invalid digest'],
    ['a b', 'invalid character'],
    ['${X}', 'invalid character'],
    ['a//b', 'invalid repository'],
    ['-a/b', 'invalid repository'],
    ['a..b', 'invalid repository'],
  ])('rejects %j', (ref, reason) => {
    const r = parseImageRef(ref);
    expect('error' in r && r.error).toContain(reason);
  });
});

describe('matching', () => {
  const ref = (s: string): ImageReference => parseImageRef(s) as ImageReference;

  it('globs with * only, anchored at both ends', () => {
    expect(globMatch('a*c', 'abbbc')).toBe(true);
    expect(globMatch('a*c', 'abbbcd')).toBe(false);
    expect(globMatch('*.example.com', 'registry.example.com')).toBe(true);
    expect(globMatch('*.example.com', 'example.com')).toBe(false);
    expect(globMatch('a*b*a', 'aba')).toBe(true);
    expect(globMatch('a*b*a', 'ab')).toBe(false);
    expect(globMatch('**', '')).toBe(true);
  });

  it('normalises patterns to registry/repository', () => {
    expect(normalizePattern('alpine')).toBe('docker.io/library/alpine');
    expect(normalizePattern('myorg/*')).toBe('docker.io/myorg/*');
    expect(normalizePattern('index.docker.io/myorg/x')).toBe('docker.io/myorg/x');
    expect(normalizePattern('ghcr.io/org/*')).toBe('ghcr.io/org/*');
  });

  it('matches images against base patterns: no tag = any tag or digest', () => {
    expect(matchesAnyImage(ref('alpine:3.20'), ['alpine'])).toBe(true);
    expect(matchesAnyImage(ref('alpine:3.20'), ['alpine:3.19'])).toBe(false);
    expect(matchesAnyImage(ref('alpine:3.20@' + D), ['alpine:3.20'])).toBe(true);
    expect(matchesAnyImage(ref('ghcr.io/org/base/x:1'), ['ghcr.io/org/*'])).toBe(true);
    expect(matchesAnyImage(ref('ghcr.io/other/x:1'), ['ghcr.io/org/*'])).toBe(false);
    expect(matchesAnyImage(ref('myorg/runtime:2'), ['myorg/runtime:*'])).toBe(true);
  });

  it('matches registries, Docker Hub aliases included', () => {
    expect(registryAllowed('docker.io', ['index.docker.io'])).toBe(true);
    expect(registryAllowed('registry.example.com', ['*.example.com'])).toBe(true);
    expect(registryAllowed('quay.io', ['docker.io', 'ghcr.io'])).toBe(false);
    expect(registryAllowed('GHCR.io', ['ghcr.io'])).toBe(true);
  });
});
