/**
 * Reading what refers to a digest: the OCI 1.1 referrers API
 * (https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-referrers), else the
 * referrers tag schema (`sha256-<hex>` index) registries without the API (Distribution 2.8) hold.
 */
import { ShipshapeError } from '../errors.js';
import { parseDigest } from '../image/digest.js';
import type { RegistryClient } from './client.js';
import { header, readBody } from './transport.js';
import { repositoryScope, type FetchedManifest } from './types.js';

const MAX_INDEX_BYTES = 4 << 20;
const MAX_PAGES = 20;

export interface ReferrerDescriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export interface Referrers {
  /** true: the registry answered the referrers API; false: the list came from the tag schema (or nothing). */
  api: boolean;
  manifests: ReferrerDescriptor[];
}

/** A manifest by tag or digest, or undefined when the registry has none there. */
export async function getManifestIfPresent(client: RegistryClient, repository: string, reference: string): Promise<FetchedManifest | undefined> {
  try {
    return await client.getManifest(repository, reference);
  } catch (err) {
    if (err instanceof ShipshapeError && err.code === 'not-found') return undefined;
    throw err;
  }
}

function manifestsOf(bytes: Buffer, what: string): ReferrerDescriptor[] {
  let doc: { manifests?: unknown };
  try {
    doc = JSON.parse(bytes.toString('utf8')) as typeof doc;
  } catch {
    throw new ShipshapeError('registry', `${what} is not JSON`);
  }
  if (!Array.isArray(doc?.manifests)) throw new ShipshapeError('registry', `${what} is not an image index`);
  return (doc.manifests as ReferrerDescriptor[]).filter(
    (d) => d && typeof d.digest === 'string' && /^sha256:[a-f0-9]{64}$/.test(d.digest) && typeof d.mediaType === 'string' && Number.isInteger(d.size),
  );
}

/**
 * What a long-lived (pooled) client has learnt about its registry's referrers API, and until when
 * it trusts that: a registry may be upgraded, so the API is asked again after REFERRERS_API_MEMORY_MS.
 * A client of one command lives a few requests: there this only saves the fallback read.
 */
const REFERRERS_API_MEMORY_MS = 60_000;
const referrersApi = new WeakMap<RegistryClient, { api: boolean; until: number }>();

/** true / false when `client` has seen its registry answer (or refuse) the referrers API lately; else undefined. */
export function knownReferrersApi(client: RegistryClient, now = Date.now()): boolean | undefined {
  const k = referrersApi.get(client);
  return k && k.until > now ? k.api : undefined;
}

/**
 * Remembers whether the registry answers the referrers API. Only a 404 about a repository known to
 * exist (a manifest was read from it) may teach "no API": a registry with the API answers 404 for
 * an unknown repository too.
 */
export function noteReferrersApi(client: RegistryClient, api: boolean, now = Date.now()): void {
  referrersApi.set(client, { api, until: now + REFERRERS_API_MEMORY_MS });
}

/** The referrers tag schema's index (`sha256-<hex>`): what a client without the API wrote; [] when none. */
export async function fetchReferrersTagIndex(client: RegistryClient, repository: string, digest: string): Promise<ReferrerDescriptor[]> {
  parseDigest(digest);
  const tag = `sha256-${digest.slice('sha256:'.length)}`;
  const idx = await getManifestIfPresent(client, repository, tag);
  return idx ? manifestsOf(idx.bytes, `${client.registry}/${repository}:${tag}`) : [];
}

/**
 * Does the registry answer the referrers API? (Asked once per digest: a 404 means no.) A 200 is
 * remembered on the client (knownReferrersApi); then the tag schema is read only if the API fails.
 */
export async function fetchReferrers(client: RegistryClient, repository: string, digest: string): Promise<Referrers> {
  parseDigest(digest);
  const what = `referrers of ${client.registry}/${repository}@${digest}`;
  const manifests: ReferrerDescriptor[] = [];
  let path: string | undefined = `/v2/${repository}/referrers/${digest}`;
  // The referrers tag schema is read beside the API's first page (one round trip, not two, on a
  // registry without the API); its answer is dropped when the API answers. A client that saw the
  // API answer lately does not read it.
  let fallback: Promise<ReferrerDescriptor[]> | undefined;
  const tagIndex = () => (fallback ??= fetchReferrersTagIndex(client, repository, digest));
  if (knownReferrersApi(client) !== true) tagIndex().catch(() => undefined);
  for (let page = 0; path && page < MAX_PAGES; page++) {
    const res = await client.request({ method: 'GET', path, scopes: [repositoryScope(repository)], headers: { accept: 'application/vnd.oci.image.index.v1+json' }, ok: [200, 404], what });
    if (res.status === 404) {
      await res.body.dump().catch(() => undefined);
      if (page > 0) break;
      // No API: the referrers tag schema, when a client wrote one.
      return { api: false, manifests: await tagIndex() };
    }
    if (page === 0) noteReferrersApi(client, true);
    manifests.push(...manifestsOf(await readBody(res.body, MAX_INDEX_BYTES, what), what));
    const link = header(res, 'link');
    const next = link ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link)?.[1] : undefined;
    path = next ? new URL(next, new URL(path, 'http://x')).pathname + new URL(next, new URL(path, 'http://x')).search : undefined;
  }
  return { api: true, manifests };
}
