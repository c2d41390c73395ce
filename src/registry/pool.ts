/**
 * Registry clients kept for a server's life: one per registry and set of options, so keep-alive
 * connections, bearer tokens (cached per scope by each client), TLS trust and small verified blobs
 * are reused across lookups.
 */
import { createHash } from 'node:crypto';
import { statSync } from 'node:fs';
import { ShipshapeError } from '../errors.js';
import { SmallBlobCache } from './blob-cache.js';
import { RegistryClient } from './client.js';
import { ownsCredentials } from './credentials.js';
import { repositoryScope, type RegistryOptions } from './types.js';

/** Distinct (registry, options) pairs kept; past it the oldest client is closed (a server names few registries). */
const MAX_CLIENTS = 64;
/** Each client keeps the small blobs it verified (signature payloads, envelopes: a few KiB each) up to this. */
const BLOB_CACHE_BYTES = 1 << 20;
/** CA files are looked at again at most this often: a rotated CA is picked up without a restart. */
const CA_RECHECK_MS = 5_000;

interface Entry {
  client: RegistryClient;
  /** mtime/size/inode of the CA files when the client was made. */
  caStamp: string;
  checkedAt: number;
}

/** Idle connections are kept this long (undici: 4 s), below the usual 60 s of load balancers in between. */
const KEEP_ALIVE_MS = 30_000;

function newClient(registry: string, opts: RegistryOptions): RegistryClient {
  return new RegistryClient(registry, { ...opts, keepAliveAfterHead: true, keepAliveMs: KEEP_ALIVE_MS }, new SmallBlobCache(BLOB_CACHE_BYTES));
}

/** What credentials.ts reads from the environment. */
const CREDENTIAL_ENV = ['SHIPSHAPE_USERNAME', 'SHIPSHAPE_PASSWORD', 'SHIPSHAPE_REGISTRY_TOKEN', 'DOCKER_CONFIG', 'HOME', 'PATH'];

function caStamp(files: string[] | undefined): string {
  return (files ?? [])
    .map((f) => {
      try {
        const s = statSync(f);
        return `${s.mtimeMs}:${s.size}:${s.ino}`;
      } catch {
        return 'missing';
      }
    })
    .join(',');
}

/**
 * The options a client depends on, as one key. Credentials are part of it (hashed): a client made
 * for a registry bound to the given credentials (`credentialsFor`) is never handed out for a
 * lookup that must go without them, and the other way round.
 */
function optionsKey(registry: string, opts: RegistryOptions): string {
  const env = opts.env ?? process.env;
  const secret = createHash('sha256')
    .update(JSON.stringify([opts.username ?? null, opts.password ?? null, CREDENTIAL_ENV.map((k) => env[k] ?? null)]))
    .digest('hex');
  return JSON.stringify([
    registry,
    ownsCredentials(registry, opts) ? 'own' : 'none',
    secret,
    opts.caCerts ?? [],
    opts.insecureRegistries ?? [],
    opts.timeoutMs ?? null,
    opts.retry ?? null,
    opts.dockerConfig ?? null,
  ]);
}

export class RegistryPool {
  private readonly entries = new Map<string, Entry>();
  private closed = false;

  constructor(private readonly now: () => number = Date.now) {}

  /** The shared client for `registry` with `opts`; callers must not close it (the pool does). */
  client(registry: string, opts: RegistryOptions = {}): RegistryClient {
    const key = optionsKey(registry, opts);
    const now = this.now();
    const e = this.entries.get(key);
    if (e) {
      if (!opts.caCerts?.length || now - e.checkedAt < CA_RECHECK_MS) return e.client;
      e.checkedAt = now;
      const stamp = caStamp(opts.caCerts);
      if (stamp === e.caStamp) return e.client;
      // A new CA file: new trust, new connections; the old client ends once its lookups are done.
      // A CA file gone or unreadable keeps the trust already built.
      let fresh: RegistryClient;
      try {
        fresh = newClient(registry, opts);
      } catch {
        return e.client;
      }
      this.retire(e.client, opts.timeoutMs);
      this.entries.set(key, { client: fresh, caStamp: stamp, checkedAt: now });
      return fresh;
    }
    if (this.closed) throw new ShipshapeError('network', `registry client pool for ${registry} is closed (the server is shutting down)`);
    // A client that cannot be made (a CA file missing) throws here, every time, as a fresh one would.
    const client = newClient(registry, opts);
    while (this.entries.size >= MAX_CLIENTS) {
      const [oldKey, old] = this.entries.entries().next().value!;
      this.entries.delete(oldKey);
      this.retire(old.client, opts.timeoutMs);
    }
    this.entries.set(key, { client, caStamp: caStamp(opts.caCerts), checkedAt: now });
    return client;
  }

  /**
   * Opens `connections` connections to `registry` now (GET /v2/ at once, which also learns the
   * registry's authentication scheme), and fetches the pull token of each of `repositories`, so
   * the first lookups pay no handshake. Best effort: never throws (a lookup reports the failure).
   */
  async preconnect(registry: string, opts: RegistryOptions, connections: number, repositories: string[] = []): Promise<void> {
    let client: RegistryClient;
    try {
      client = this.client(registry, opts);
    } catch {
      return;
    }
    const get = async (path: string, scopes: string[]) => {
      const res = await client.request({ method: 'GET', path, scopes, ok: [200, 404], what: `${registry}${path}` });
      await res.body.dump().catch(() => undefined);
    };
    await Promise.all([
      ...Array.from({ length: Math.max(0, connections) }, () => get('/v2/', []).catch(() => undefined)),
      ...repositories.map((r) => get(`/v2/${r}/tags/list?n=1`, [repositoryScope(r)]).catch(() => undefined)),
    ]);
  }

  /** How many clients are kept. */
  get size(): number {
    return this.entries.size;
  }

  /** Closes a client once requests already sent on it have had their time. */
  private retire(client: RegistryClient, timeoutMs: number | undefined): void {
    setTimeout(() => void client.close().catch(() => undefined), (timeoutMs ?? 30_000) + 1_000).unref();
  }

  /** Ends every connection now; later lookups through the pool fail (the owner is shutting down). */
  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((e) => e.client.close().catch(() => undefined)));
  }
}
