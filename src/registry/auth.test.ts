/** WWW-Authenticate parsing, as registries in the wild send it. */
import { describe, expect, it } from 'vitest';
import { parseChallenges } from './auth.js';
import { parseRetryAfter } from './transport.js';

describe('parseChallenges', () => {
  it('reads a Docker Hub Bearer challenge', () => {
    expect(
      parseChallenges('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"'),
    ).toEqual([
      { scheme: 'bearer', params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' } },
    ]);
  });

  it('reads Basic, unquoted values, spaces, escapes, and several challenges in one header', () => {
    expect(parseChallenges('Basic realm="Registry Realm"')).toEqual([{ scheme: 'basic', params: { realm: 'Registry Realm' } }]);
    expect(parseChallenges('Bearer realm=https://ghcr.io/token, service = ghcr.io ,scope="a b", error="insufficient_scope"')).toEqual([
      { scheme: 'bearer', params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'a b', error: 'insufficient_scope' } },
    ]);
    expect(parseChallenges('Basic realm="say \\"hi\\"", Bearer realm="r"')).toEqual([
      { scheme: 'basic', params: { realm: 'say "hi"' } },
      { scheme: 'bearer', params: { realm: 'r' } },
    ]);
    expect(parseChallenges('')).toEqual([]);
  });
});

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
  });
});
