/** Where credentials come from: options, environment, docker config auths, helpers, and Docker Hub's legacy key. */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerConfigCredentials, dockerConfigPath, namedBy, normaliseServer, resolveCredentials, serverUrl } from './credentials.js';
import type { RegistryOptions } from './types.js';

const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-creds-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config(name: string, doc: unknown): string {
  const p = path.join(dir, name);
  writeFileSync(p, JSON.stringify(doc));
  return p;
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('credentials', () => {
  it('normalises server keys the way docker login writes them', () => {
    expect(normaliseServer('https://index.docker.io/v1/')).toBe('docker.io');
    expect(normaliseServer('registry-1.docker.io')).toBe('docker.io');
    expect(normaliseServer('https://Ghcr.io')).toBe('ghcr.io');
    expect(normaliseServer('http://127.0.0.1:5000/v2/')).toBe('127.0.0.1:5000');
    expect(serverUrl('docker.io')).toBe('https://index.docker.io/v1/');
    expect(serverUrl('ghcr.io')).toBe('ghcr.io');
  });

  it('finds the config through DOCKER_CONFIG, then HOME', () => {
    expect(dockerConfigPath({ env: { DOCKER_CONFIG: '/x' } })).toBe('/x/config.json');
    expect(dockerConfigPath({ env: { HOME: '/home/u' } })).toBe('/home/u/.docker/config.json');
    expect(dockerConfigPath({ dockerConfig: '/y.json', env: { DOCKER_CONFIG: '/x' } })).toBe('/y.json');
  });

  it('prefers options, then SHIPSHAPE_USERNAME/PASSWORD, then SHIPSHAPE_REGISTRY_TOKEN, then docker config', async () => {
    const dockerConfig = config('c1.json', { auths: { 'ghcr.io': { auth: b64('cfg:pw') } } });
    const env = { SHIPSHAPE_USERNAME: 'envu', SHIPSHAPE_PASSWORD: 'envp', SHIPSHAPE_REGISTRY_TOKEN: 'tok' };
    expect(await resolveCredentials('ghcr.io', { username: 'o', password: 'p', credentialsFor: 'ghcr.io', env, dockerConfig })).toMatchObject({ kind: 'basic', username: 'o' });
    expect(await resolveCredentials('ghcr.io', { credentialsFor: 'ghcr.io', env, dockerConfig })).toMatchObject({ kind: 'basic', username: 'envu', password: 'envp' });
    expect(await resolveCredentials('ghcr.io', { credentialsFor: 'ghcr.io', env: { SHIPSHAPE_REGISTRY_TOKEN: 'tok' }, dockerConfig })).toMatchObject({ kind: 'bearer', token: 'tok' });
    expect(await resolveCredentials('ghcr.io', { env: {}, dockerConfig })).toMatchObject({ kind: 'basic', username: 'cfg', password: 'pw' });
    expect(await resolveCredentials('quay.io', { env: {}, dockerConfig })).toBeUndefined();
    await expect(resolveCredentials('ghcr.io', { username: 'o', credentialsFor: 'ghcr.io', env: {} })).rejects.toMatchObject({ code: 'usage' });
  });

  it('sends flag and environment credentials only where they are bound: unbound options get the docker config alone', async () => {
    const dockerConfig = config('c-unbound.json', { auths: { 'ghcr.io': { auth: b64('cfg:pw') } } });
    const env = { SHIPSHAPE_USERNAME: 'envu', SHIPSHAPE_PASSWORD: 'envp' };
    // No binding (a client made by a new caller): neither the flags nor the environment go anywhere.
    expect(await resolveCredentials('ghcr.io', { username: 'o', password: 'p', env, dockerConfig })).toMatchObject({ username: 'cfg' });
    expect(await resolveCredentials('quay.io', { username: 'o', password: 'p', env, dockerConfig })).toBeUndefined();
    // Bound elsewhere, or to no registry ('' = the image came from a file): the same.
    expect(await resolveCredentials('ghcr.io', { username: 'o', password: 'p', credentialsFor: 'quay.io', env, dockerConfig })).toMatchObject({ username: 'cfg' });
    expect(await resolveCredentials('ghcr.io', { credentialsFor: '', env, dockerConfig })).toMatchObject({ username: 'cfg' });
    // The entry points that take a reference bind it to that reference's registry, unless already bound.
    expect(namedBy<RegistryOptions>('ghcr.io', { username: 'o' })).toMatchObject({ credentialsFor: 'ghcr.io' });
    expect(namedBy('ghcr.io', { credentialsFor: '' })).toMatchObject({ credentialsFor: '' });
  });

  it('reads Docker Hub credentials under https://index.docker.io/v1/, and identity tokens', async () => {
    const dockerConfig = config('c2.json', {
      auths: {
        'https://index.docker.io/v1/': { auth: b64('hubuser:hubpw') },
        'myreg.example:5000': { identitytoken: 'refresh-me', username: 'x' },
      },
    });
    expect(await dockerConfigCredentials('docker.io', { dockerConfig, env: {} })).toMatchObject({ kind: 'basic', username: 'hubuser', password: 'hubpw' });
    expect(await dockerConfigCredentials('myreg.example:5000', { dockerConfig, env: {} })).toMatchObject({ kind: 'identity-token', token: 'refresh-me' });
  });

  it('asks credsStore, falling back to auths when the store has nothing; a missing helper is a warning', async () => {
    const bin = mkdtempSync(path.join(dir, 'bin-'));
    writeFileSync(
      path.join(bin, 'docker-credential-store'),
      `#!/bin/sh
read server
case "$server" in
  https://index.docker.io/v1/) echo '{"ServerURL":"x","Username":"<token>","Secret":"idtok"}' ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
`,
    );
    chmodSync(path.join(bin, 'docker-credential-store'), 0o755);
    const env = { PATH: `${bin}:${process.env.PATH}` };
    const dockerConfig = config('c3.json', { credsStore: 'store', auths: { 'ghcr.io': { auth: b64('a:b') } } });
    expect(await dockerConfigCredentials('docker.io', { dockerConfig, env })).toMatchObject({ kind: 'identity-token', token: 'idtok' });
    expect(await dockerConfigCredentials('ghcr.io', { dockerConfig, env })).toMatchObject({ kind: 'basic', username: 'a' });
    const warnings: string[] = [];
    const missing = config('c4.json', { credHelpers: { 'ghcr.io': 'absent-helper-4711' } });
    expect(await dockerConfigCredentials('ghcr.io', { dockerConfig: missing, env, onWarning: (w) => warnings.push(w) })).toBeUndefined();
    expect(warnings[0]).toMatch(/docker-credential-absent-helper-4711.*not installed/);
  });

  it('refuses a config that is not JSON, and an explicit config that is missing', async () => {
    const broken = path.join(dir, 'broken.json');
    writeFileSync(broken, '{');
    await expect(dockerConfigCredentials('ghcr.io', { dockerConfig: broken })).rejects.toMatchObject({ code: 'usage' });
    await expect(dockerConfigCredentials('ghcr.io', { dockerConfig: path.join(dir, 'none.json') })).rejects.toMatchObject({ code: 'io' });
    expect(await dockerConfigCredentials('ghcr.io', { env: { DOCKER_CONFIG: path.join(dir, 'nowhere') } })).toBeUndefined();
  });
});
