/**
 * Client for one registry (OCI distribution API v2): authenticated requests, manifests (verified
 * by digest), blobs (streamed through a digest check), tags. Spec:
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md
 * Uploads (blob PUT, cross-repo mount, manifest PUT, referrers) belong here too, built on `request`.
 */
import type { Readable } from 'node:stream';
import { ShipshapeError } from '../errors.js';
import { DigestVerifier, digestOf, isDigest, parseDigest, verifyBuffer } from '../image/digest.js';
import { MANIFEST_ACCEPT } from '../image/schema.js';
import { Authenticator } from './auth.js';
import type { SmallBlobCache } from './blob-cache.js';
import { resolveCredentials } from './credentials.js';
import { blobBudgetMs, header, networkError, readBody, Transport, type HttpMethod, type HttpResponse } from './transport.js';
import { repositoryScope, type FetchedManifest, type ManifestHead, type RegistryOptions } from './types.js';

/** distribution refuses manifests above 4 MiB; so do we. */
export const MAX_MANIFEST_BYTES = 4 << 20;
const MAX_ERROR_BODY = 64 << 10;
const MAX_TAG_PAGES = 1000;

export interface RegistryRequest {
  method: HttpMethod;
  /** A path under the registry (`/v2/...`) or an absolute URL (upload locations). */
  path: string;
  /** Token scopes the request needs, e.g. ['repository:library/alpine:pull']. */
  scopes: string[];
  headers?: Record<string, string>;
  body?: Buffer | string | Readable;
  /** Statuses that are answers, not errors (default: 200). */
  ok?: number[];
  /** Says what was asked for, in not-found and error messages: "manifest docker.io/library/alpine:3.20". */
  what: string;
  /**
   * Time for the whole request, body included (default: the timeout). Blob transfers must pass
   * `blobBudgetMs(size, timeoutMs)`, or a large layer is cut off at the timeout.
   */
  budgetMs?: number;
}

interface RegistryErrorBody {
  errors?: Array<{ code?: string; message?: string }>;
}

function describeErrorBody(body: Buffer): string | undefined {
  try {
    const doc = JSON.parse(body.toString('utf8')) as RegistryErrorBody;
    const e = doc.errors?.[0];
    if (e && (e.code || e.message)) return [e.code, e.message].filter(Boolean).join(': ');
  } catch {
    // not JSON: fall through to the text
  }
  const text = body.toString('utf8').trim().split('\n')[0]?.slice(0, 200);
  return text || undefined;
}

/** The manifest reference part of a URL: a tag or a digest. */
function refPart(reference: string): string {
  return encodeURIComponent(reference).replace(/%3A/gi, ':');
}

export class RegistryClient {
  readonly registry: string;
  private readonly transport: Transport;
  private readonly auth: Authenticator;

  /**
   * `blobCache`: small blobs already fetched and verified, by repository and digest (a RegistryPool's):
   * their bytes cannot change, so a lookup repeated later reads only the (mutable) manifests again.
   */
  constructor(
    registry: string,
    opts: RegistryOptions = {},
    private readonly blobCache?: SmallBlobCache,
  ) {
    this.registry = registry;
    this.transport = new Transport(registry, opts);
    this.auth = new Authenticator(registry, this.transport, () => resolveCredentials(registry, opts));
  }

  /** Sends an authenticated request; answers with a status outside `ok` become ShipshapeErrors. */
  async request(req: RegistryRequest): Promise<HttpResponse> {
    const url = /^https?:\/\//.test(req.path) ? req.path : `${this.transport.baseUrl}${req.path}`;
    let scopes = req.scopes;
    for (let attempt = 1; ; attempt++) {
      const authorization = await this.auth.authorization(scopes);
      const res = await this.transport.send({
        method: req.method,
        url,
        headers: { ...(req.headers ?? {}), ...(authorization ? { authorization } : {}) },
        ...(req.body !== undefined ? { body: req.body } : {}),
        ...(req.budgetMs !== undefined ? { budgetMs: req.budgetMs } : {}),
      });
      if ((req.ok ?? [200]).includes(res.status)) return res;
      const answeredBy = new URL(res.url);
      if (res.status === 401 && answeredBy.origin !== new URL(url).origin) {
        // A host we were redirected to (blob storage) wants credentials: its challenge must never
        // unlock this registry's credentials, so nothing is sent to it.
        await res.body.dump().catch(() => undefined);
        throw new ShipshapeError(
          'unauthorized',
          `${answeredBy.host}, where registry ${this.registry} redirected ${req.what}, asked for authentication: credentials for ${this.registry} are not sent to another host`,
        );
      }
      if (res.status === 401 && attempt < 3) {
        await res.body.dump().catch(() => undefined);
        const retry = await this.auth.onUnauthorized(header(res, 'www-authenticate'), scopes, Boolean(authorization));
        if (retry) {
          scopes = retry;
          continue;
        }
        throw new ShipshapeError('unauthorized', await this.auth.failureMessage(401));
      }
      throw await this.statusError(res, req);
    }
  }

  private async statusError(res: HttpResponse, req: RegistryRequest): Promise<ShipshapeError> {
    let detail: string | undefined;
    if (req.method !== 'HEAD') {
      try {
        detail = describeErrorBody(await readBody(res.body, MAX_ERROR_BODY, 'error body'));
      } catch {
        detail = undefined;
      }
    } else {
      await res.body.dump().catch(() => undefined);
    }
    const suffix = detail ? ` (${detail})` : '';
    if (res.status === 400 && /HTTP request to an HTTPS server/i.test(detail ?? '')) {
      return new ShipshapeError('network', `registry ${this.registry} speaks HTTPS: remove it from insecureRegistries`);
    }
    if (res.status === 401 || res.status === 403) return new ShipshapeError('unauthorized', await this.auth.failureMessage(res.status, detail));
    if (res.status === 404) return new ShipshapeError('not-found', `${req.what} not found${suffix}`);
    if (res.status === 429) return new ShipshapeError('registry', `registry ${this.registry} kept rate-limiting ${req.what} (429 Too Many Requests)${suffix}`);
    if (res.status >= 500) return new ShipshapeError('network', `registry ${this.registry} failed with ${res.status} for ${req.what} after retries${suffix}`);
    return new ShipshapeError('registry', `registry ${this.registry} answered ${res.status} to ${req.method} for ${req.what}${suffix}`);
  }

  private async read(res: HttpResponse, max: number, what: string): Promise<Buffer> {
    try {
      return await readBody(res.body, max, what);
    } catch (err) {
      throw networkError(err, this.registry, this.transport.timeoutMs);
    }
  }

  private name(repository: string, reference: string): string {
    return `${this.registry}/${repository}${isDigest(reference) ? '@' : ':'}${reference}`;
  }

  /** GET a manifest or index by tag or digest; bytes verified against the digest asked for, else Docker-Content-Digest. */
  async getManifest(repository: string, reference: string): Promise<FetchedManifest> {
    const what = `manifest ${this.name(repository, reference)}`;
    const res = await this.request({
      method: 'GET',
      path: `/v2/${repository}/manifests/${refPart(reference)}`,
      scopes: [repositoryScope(repository)],
      headers: { accept: MANIFEST_ACCEPT },
      what,
    });
    const bytes = await this.read(res, MAX_MANIFEST_BYTES, what);
    const announced = header(res, 'docker-content-digest');
    let digest: string;
    if (isDigest(reference)) {
      verifyBuffer(bytes, reference, what);
      digest = reference;
    } else if (announced && isDigest(announced)) {
      verifyBuffer(bytes, announced, what);
      digest = announced;
    } else {
      digest = digestOf(bytes);
    }
    const contentType = header(res, 'content-type')?.split(';')[0]?.trim();
    let mediaType = contentType && contentType !== 'application/json' ? contentType : undefined;
    if (!mediaType) {
      try {
        mediaType = (JSON.parse(bytes.toString('utf8')) as { mediaType?: string }).mediaType;
      } catch {
        // parsed (and refused) properly by the caller
      }
    }
    return { digest, mediaType: mediaType ?? '', bytes };
  }

  /** HEAD a manifest: its digest without its body (falls back to GET when the registry omits the digest header). */
  async headManifest(repository: string, reference: string): Promise<ManifestHead> {
    const what = `manifest ${this.name(repository, reference)}`;
    const res = await this.request({
      method: 'HEAD',
      path: `/v2/${repository}/manifests/${refPart(reference)}`,
      scopes: [repositoryScope(repository)],
      headers: { accept: MANIFEST_ACCEPT },
      what,
    });
    await res.body.dump().catch(() => undefined);
    const digest = header(res, 'docker-content-digest');
    if (!digest || !isDigest(digest)) {
      const m = await this.getManifest(repository, reference);
      return { digest: m.digest, mediaType: m.mediaType, size: m.bytes.length };
    }
    return {
      digest,
      mediaType: header(res, 'content-type')?.split(';')[0]?.trim() ?? '',
      size: Number(header(res, 'content-length') ?? -1),
    };
  }

  /**
   * Streams a blob; the stream fails with digest-mismatch at its end when the bytes do not hash to
   * `digest`, and with too-large as soon as they run past `size` (when size >= 0).
   */
  async fetchBlob(repository: string, blob: { digest: string; size: number }): Promise<Readable> {
    parseDigest(blob.digest);
    const what = `blob ${blob.digest} of ${this.registry}/${repository}`;
    const res = await this.request({
      method: 'GET',
      path: `/v2/${repository}/blobs/${blob.digest}`,
      scopes: [repositoryScope(repository)],
      what,
      budgetMs: blobBudgetMs(blob.size, this.transport.timeoutMs),
    });
    const verifier = new DigestVerifier(blob.digest, blob.size, what);
    const host = new URL(res.url).host;
    res.body.on('error', (err) => verifier.destroy(networkError(err, host, this.transport.timeoutMs)));
    // A consumer that stops early must not leave the socket busy.
    verifier.on('close', () => res.body.destroy());
    res.body.pipe(verifier);
    return verifier;
  }

  /** A small blob (a config) in memory, verified; too-large past `maxBytes`. */
  async fetchBlobBytes(repository: string, blob: { digest: string; size: number }, maxBytes: number): Promise<Buffer> {
    const what = `blob ${blob.digest} of ${this.registry}/${repository}`;
    if (blob.size > maxBytes) throw new ShipshapeError('too-large', `${what} is ${blob.size} bytes, more than the ${maxBytes} allowed`);
    parseDigest(blob.digest);
    const cacheKey = `${repository}@${blob.digest}`;
    const cached = this.blobCache?.get(cacheKey);
    if (cached && cached.length <= maxBytes && (blob.size < 0 || cached.length === blob.size)) return cached;
    const res = await this.request({
      method: 'GET',
      path: `/v2/${repository}/blobs/${blob.digest}`,
      scopes: [repositoryScope(repository)],
      what,
    });
    const bytes = await this.read(res, maxBytes, what);
    verifyBuffer(bytes, blob.digest, what);
    if (blob.size >= 0 && bytes.length !== blob.size) {
      throw new ShipshapeError('bad-image', `${what} is ${bytes.length} bytes, its descriptor says ${blob.size}`);
    }
    this.blobCache?.set(cacheKey, bytes);
    return bytes;
  }

  /** Every tag of a repository, following Link pagination. */
  async listTags(repository: string): Promise<string[]> {
    const tags: string[] = [];
    let path: string | undefined = `/v2/${repository}/tags/list`;
    for (let page = 0; path && page < MAX_TAG_PAGES; page++) {
      const what = `repository ${this.registry}/${repository}`;
      const res = await this.request({ method: 'GET', path, scopes: [repositoryScope(repository)], what });
      const link = header(res, 'link');
      const bytes = await this.read(res, MAX_MANIFEST_BYTES, `tag list of ${what}`);
      let doc: { tags?: string[] | null };
      try {
        doc = JSON.parse(bytes.toString('utf8')) as typeof doc;
      } catch {
        throw new ShipshapeError('registry', `registry ${this.registry} sent a tag list for ${repository} that is not JSON`);
      }
      for (const t of doc.tags ?? []) tags.push(t);
      const next = link ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link)?.[1] : undefined;
      path = next ? new URL(next, `${this.transport.baseUrl}${path}`).toString() : undefined;
    }
    return tags;
  }

  async close(): Promise<void> {
    await this.transport.close();
  }
}
