/**
 * Finds credentials for a registry: options, then SHIPSHAPE_* environment variables, then the
 * docker config (credHelpers, credsStore, auths), as `docker login` leaves them.
 * Format: https://docs.docker.com/reference/cli/docker/login/#credential-stores
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ShipshapeError } from '../errors.js';
import type { Credentials, RegistryOptions } from './types.js';

/** Docker Hub keeps its credentials under this legacy key. */
export const DOCKER_HUB_SERVER = 'https://index.docker.io/v1/';
const HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);
const HELPER_TIMEOUT_MS = 30_000;

interface DockerConfig {
  auths?: Record<string, { auth?: string; username?: string; password?: string; identitytoken?: string; registrytoken?: string }>;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

/** `https://index.docker.io/v1/` → docker.io; `https://host:5000/v2/` → host:5000. */
export function normaliseServer(key: string): string {
  const host = key.replace(/^[a-z]+:\/\//i, '').split('/')[0]!.toLowerCase();
  return HUB_ALIASES.has(host) ? 'docker.io' : host;
}

/** What `docker login` writes as the key, and what a credential helper is asked about. */
export function serverUrl(registry: string): string {
  return normaliseServer(registry) === 'docker.io' ? DOCKER_HUB_SERVER : registry;
}

export function dockerConfigPath(opts: Pick<RegistryOptions, 'dockerConfig' | 'env'>): string {
  if (opts.dockerConfig) return opts.dockerConfig;
  const env = opts.env ?? process.env;
  if (env.DOCKER_CONFIG) return path.join(env.DOCKER_CONFIG, 'config.json');
  return path.join(env.HOME || os.homedir(), '.docker', 'config.json');
}

function readDockerConfig(file: string, explicit: boolean): DockerConfig | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (!explicit && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ShipshapeError('io', `cannot read docker config ${file}: ${(err as Error).message}`, { cause: err });
  }
  try {
    return JSON.parse(text) as DockerConfig;
  } catch (err) {
    throw new ShipshapeError('usage', `docker config ${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** Runs `docker-credential-<name> get` with the server URL on stdin; undefined when it has nothing for it. */
export async function runCredentialHelper(
  name: string,
  server: string,
  env: NodeJS.ProcessEnv,
  source: string,
): Promise<Credentials | undefined> {
  const program = `docker-credential-${name}`;
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn(program, ['get'], { env, stdio: ['pipe', 'pipe', 'pipe'], timeout: HELPER_TIMEOUT_MS });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c, stdout: out, stderr: err }));
    child.stdin.on('error', () => undefined); // a helper that exits without reading stdin is not our failure
    child.stdin.end(server);
  });
  if (code !== 0) {
    // The helper protocol reports a missing entry with this message on stdout.
    if (/credentials not found/i.test(stdout + stderr)) return undefined;
    throw new ShipshapeError('unauthorized', `credential helper ${program} failed for ${server}: ${(stderr || stdout).trim().split('\n')[0] || `exit ${code}`}`);
  }
  let doc: { Username?: string; Secret?: string };
  try {
    doc = JSON.parse(stdout) as typeof doc;
  } catch {
    throw new ShipshapeError('unauthorized', `credential helper ${program} printed something that is not JSON for ${server}`);
  }
  if (!doc.Secret) return undefined;
  // Helpers store identity tokens under the user name "<token>".
  if (doc.Username === '<token>') return { kind: 'identity-token', token: doc.Secret, source };
  return { kind: 'basic', username: doc.Username ?? '', password: doc.Secret, source };
}

async function helperCredentials(name: string, registry: string, opts: RegistryOptions, source: string): Promise<Credentials | undefined> {
  const env = opts.env ?? process.env;
  try {
    return await runCredentialHelper(name, serverUrl(registry), env, source);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      // A config naming a helper that is not installed would make docker fail; we go on anonymously and say so.
      opts.onWarning?.(`credential helper docker-credential-${name} (from ${source}) is not installed; continuing without it`);
      return undefined;
    }
    throw err;
  }
}

function fromAuthEntry(entry: NonNullable<DockerConfig['auths']>[string], source: string): Credentials | undefined {
  if (entry.identitytoken) return { kind: 'identity-token', token: entry.identitytoken, ...(entry.username ? { username: entry.username } : {}), source };
  if (entry.registrytoken) return { kind: 'bearer', token: entry.registrytoken, source };
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) throw new ShipshapeError('usage', `${source}: "auth" is not base64 of user:password`);
    return { kind: 'basic', username: decoded.slice(0, colon), password: decoded.slice(colon + 1), source };
  }
  if (entry.username && entry.password) return { kind: 'basic', username: entry.username, password: entry.password, source };
  return undefined;
}

/** Credentials from the docker config file for `registry`, or undefined. */
export async function dockerConfigCredentials(registry: string, opts: RegistryOptions = {}): Promise<Credentials | undefined> {
  const file = dockerConfigPath(opts);
  const config = readDockerConfig(file, Boolean(opts.dockerConfig));
  if (!config) return undefined;
  const want = normaliseServer(registry);
  const helperKey = Object.keys(config.credHelpers ?? {}).find((k) => normaliseServer(k) === want);
  if (helperKey) return helperCredentials(config.credHelpers![helperKey]!, registry, opts, `${file} credHelpers`);
  if (config.credsStore) {
    const c = await helperCredentials(config.credsStore, registry, opts, `${file} credsStore`);
    if (c) return c;
  }
  // An exact key beats a normalised match (https://host/v1/ vs host), as docker's lookup does.
  const auths = config.auths ?? {};
  const key = auths[serverUrl(registry)] ? serverUrl(registry) : Object.keys(auths).find((k) => normaliseServer(k) === want);
  return key ? fromAuthEntry(auths[key]!, `${file} auths["${key}"]`) : undefined;
}

/** Whether the flag and environment credentials of `opts` may go to `registry`. */
export function ownsCredentials(registry: string, opts: Pick<RegistryOptions, 'credentialsFor'>): boolean {
  return opts.credentialsFor !== undefined && sameRegistry(opts.credentialsFor, registry);
}

/**
 * The options for a reference the caller named: its registry owns the flag and environment
 * credentials unless the caller bound them elsewhere. Used by the entry points that take such a
 * reference (openImage, verify, attest, promote), never for registries found along the way.
 */
export function namedBy<T extends Pick<RegistryOptions, 'credentialsFor'>>(registry: string, opts: T): T {
  return opts.credentialsFor === undefined ? { ...opts, credentialsFor: registry } : opts;
}

/** Whether two registry names (host[:port], Docker Hub aliases folded) are the same registry. */
export function sameRegistry(a: string, b: string): boolean {
  return normaliseServer(a) === normaliseServer(b);
}

/**
 * Options, then environment, then docker config. Options and environment belong to one registry,
 * `credentialsFor`, and to none when it is unset; any other registry gets only its own docker
 * config entry, so a base-image label or a redirect can never collect the user's credentials, and
 * a client made without a binding (a new caller) cannot leak them either.
 */
export async function resolveCredentials(registry: string, opts: RegistryOptions = {}): Promise<Credentials | undefined> {
  if (!ownsCredentials(registry, opts)) return dockerConfigCredentials(registry, opts);
  if (opts.username !== undefined || opts.password !== undefined) {
    if (!opts.username || opts.password === undefined) throw new ShipshapeError('usage', 'a registry username needs a password, and a password a username');
    return { kind: 'basic', username: opts.username, password: opts.password, source: 'options' };
  }
  const env = opts.env ?? process.env;
  if (env.SHIPSHAPE_USERNAME && env.SHIPSHAPE_PASSWORD !== undefined) {
    return { kind: 'basic', username: env.SHIPSHAPE_USERNAME, password: env.SHIPSHAPE_PASSWORD, source: 'SHIPSHAPE_USERNAME/SHIPSHAPE_PASSWORD' };
  }
  if (env.SHIPSHAPE_REGISTRY_TOKEN) return { kind: 'bearer', token: env.SHIPSHAPE_REGISTRY_TOKEN, source: 'SHIPSHAPE_REGISTRY_TOKEN' };
  return dockerConfigCredentials(registry, opts);
}
