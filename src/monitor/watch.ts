/**
 * The watch list: registry repositories and tag globs from the config (the registry's `_catalog`
 * where it answers), and images running in a cluster, read from `kubectl get pods -A -o json`
 * output or the admission webhook's decision log (JSON lines).
 */
import { readFileSync } from 'node:fs';
import { describeError, ShipshapeError } from '../errors.js';
import { parseReference } from '../image/index.js';
import type { OpenOptions } from '../image/types.js';
import { RegistryClient, type RegistryOptions } from '../registry/index.js';
import type { WatchEntry } from './config.js';
import type { WatchedRef } from './types.js';

/** `*` matches within one path segment, `**` across segments, `?` one character. */
export function nameGlob(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

const isGlob = (s: string) => /[*?]/.test(s);

/** Registry options for a watched registry: plain HTTP when `insecure`, its CA, credentials from the named env vars. */
export function registryOptions(w: Pick<WatchEntry, 'registry' | 'insecure' | 'caCert' | 'usernameEnv' | 'passwordEnv'>, base: RegistryOptions = {}): RegistryOptions {
  const env = base.env ?? process.env;
  const username = w.usernameEnv ? env[w.usernameEnv] : undefined;
  const password = w.passwordEnv ? env[w.passwordEnv] : undefined;
  return {
    ...base,
    insecureRegistries: [...(base.insecureRegistries ?? []), ...(w.insecure ? [w.registry] : [])],
    caCerts: [...(base.caCerts ?? []), ...(w.caCert ? [w.caCert] : [])],
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    // Explicit credentials (the entry's, or SHIPSHAPE_* in the environment) belong to this entry's registry only.
    credentialsFor: w.registry,
  };
}

/** Open options for an image reference: those of the watch entry naming its registry, if any. */
export function openOptionsFor(registry: string, watch: WatchEntry[], base: OpenOptions = {}): OpenOptions {
  const w = watch.find((x) => x.registry === registry);
  // A registry no watch entry names (a running Pod's image) gets only its docker config entry.
  return w ? (registryOptions(w, base as RegistryOptions) as OpenOptions) : { ...base, credentialsFor: '' };
}

/** The registry's repository list (`GET /v2/_catalog`, paginated), or undefined when it does not answer it. */
export async function catalog(client: RegistryClient): Promise<string[] | undefined> {
  const out: string[] = [];
  let path: string | undefined = '/v2/_catalog?n=1000';
  try {
    for (let page = 0; path && page < 100; page++) {
      const res = await client.request({ method: 'GET', path, scopes: ['registry:catalog:*'], what: `catalog of ${client.registry}` });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const c of res.body) {
        size += (c as Buffer).length;
        if (size > 16 << 20) throw new ShipshapeError('too-large', `catalog of ${client.registry} is larger than 16 MiB`);
        chunks.push(c as Buffer);
      }
      const doc = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { repositories?: unknown };
      if (!Array.isArray(doc.repositories)) return undefined;
      out.push(...doc.repositories.filter((r): r is string => typeof r === 'string'));
      const link = res.headers['link'];
      const next = typeof link === 'string' ? /<([^>]+)>\s*;\s*rel="?next"?/.exec(link)?.[1] : undefined;
      path = next;
    }
  } catch (err) {
    // Unreachable or refusing our credentials: an error for the round. A registry without a
    // catalog (404, or a catalog scope our token may not have: 403) falls back to the literal names.
    if (err instanceof ShipshapeError && (err.code === 'network' || (err.code === 'unauthorized' && !/access denied/.test(err.message)))) throw err;
    return undefined;
  }
  return out;
}

export interface DiscoverResult {
  refs: WatchedRef[];
  /** References or registries that could not be read this round, with why (kept, retried next round). */
  errors: Array<{ ref: string; registry: string; repository: string; error: string }>;
}

/** Every tag of every watched repository matching the globs, resolved to a digest. */
export async function discoverRegistry(w: WatchEntry, base: RegistryOptions = {}): Promise<DiscoverResult> {
  const client = new RegistryClient(w.registry, { ...registryOptions(w, base), retry: { tries: 2, baseDelayMs: 200 }, timeoutMs: base.timeoutMs ?? 15_000 });
  const refs: WatchedRef[] = [];
  const errors: DiscoverResult['errors'] = [];
  try {
    let repos = w.repositories.filter((r) => !isGlob(r));
    if (w.repositories.some(isGlob)) {
      let all: string[] | undefined;
      try {
        all = await catalog(client);
      } catch (err) {
        errors.push({ ref: `${w.registry}/${w.repositories.join(',')}`, registry: w.registry, repository: '', error: describeError(err) });
        return { refs, errors };
      }
      if (all) {
        const globs = w.repositories.map(nameGlob);
        repos = [...new Set([...repos, ...all.filter((r) => globs.some((g) => g.test(r)))])];
      }
    }
    const tagGlobs = (w.tags ?? ['*']).map(nameGlob);
    for (const repository of repos.sort()) {
      let tags: string[];
      try {
        tags = await client.listTags(repository);
      } catch (err) {
        errors.push({ ref: `${w.registry}/${repository}`, registry: w.registry, repository, error: describeError(err) });
        continue;
      }
      // cosign's signature/attestation tags and the referrers fallback tags are not images to watch.
      const wanted = tags.filter((t) => !/^sha256-[0-9a-f]{64}(\.(sig|att|sbom))?$/.test(t) && tagGlobs.some((g) => g.test(t))).sort();
      for (const tag of wanted) {
        const ref = `${w.registry}/${repository}:${tag}`;
        try {
          const head = await client.headManifest(repository, tag);
          refs.push({ ref, registry: w.registry, repository, tag, digest: head.digest, source: 'registry' });
        } catch (err) {
          errors.push({ ref, registry: w.registry, repository, error: describeError(err) });
        }
      }
    }
  } finally {
    await client.close();
  }
  return { refs, errors };
}

/** A reference as a watched ref: registry + repository + tag or digest. */
function refOf(image: string, source: WatchedRef['source'], digest: string | undefined, running: string[]): WatchedRef | undefined {
  let parsed;
  try {
    parsed = parseReference(image);
  } catch {
    return undefined;
  }
  if (parsed.kind !== 'registry') return undefined;
  const tag = parsed.tag;
  const d = digest ?? parsed.digest;
  const name = `${parsed.registry}/${parsed.repository}${tag ? `:${tag}` : ''}${!tag && d ? `@${d}` : ''}`;
  return { ref: name, registry: parsed.registry, repository: parsed.repository, ...(tag ? { tag } : {}), ...(d ? { digest: d } : {}), source, running };
}

const DIGEST = /sha256:[0-9a-f]{64}/;

/**
 * Images from `kubectl get pods -A -o json`: each container's image, with the digest the kubelet
 * pulled (status.containerStatuses[].imageID) when the pod reports it, and where it runs.
 * https://kubernetes.io/docs/reference/kubernetes-api/workload-resources/pod-v1/
 */
export function importPods(text: string, file: string): WatchedRef[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ShipshapeError('bad-config', `${file}: not JSON (${(err as Error).message.split('\n')[0]}): expected kubectl get pods -A -o json output`);
  }
  const d = doc as { kind?: unknown; items?: unknown };
  const items = d && typeof d === 'object' && d.kind === 'Pod' ? [d] : d && Array.isArray(d.items) ? d.items : null;
  if (!items) throw new ShipshapeError('bad-config', `${file}: not a pod list (expected kind List or PodList with items, as kubectl get pods -A -o json prints)`);
  const byRef = new Map<string, WatchedRef>();
  for (const item of items as Array<Record<string, any>>) {
    if (!item || typeof item !== 'object') continue;
    const where = `${item.metadata?.namespace ?? 'default'}/${item.metadata?.name ?? '?'}`;
    const statuses: Array<Record<string, any>> = [...(item.status?.containerStatuses ?? []), ...(item.status?.initContainerStatuses ?? [])];
    const containers: Array<Record<string, any>> = [...(item.spec?.containers ?? []), ...(item.spec?.initContainers ?? [])];
    for (const c of containers) {
      if (typeof c?.image !== 'string') continue;
      const st = statuses.find((s) => s?.name === c.name);
      const digest = typeof st?.imageID === 'string' ? DIGEST.exec(st.imageID)?.[0] : undefined;
      const r = refOf(c.image, 'kubectl', digest, [where]);
      if (!r) continue;
      const prev = byRef.get(r.ref);
      if (prev) prev.running = [...new Set([...(prev.running ?? []), where])];
      else byRef.set(r.ref, r);
    }
  }
  return [...byRef.values()];
}

/**
 * Images from the admission webhook's decision log: one JSON object per line naming its images as
 * `images` (strings or {image|reference, digest}) or `image`, with an optional `namespace`.
 * Lines that are not JSON or name no image are skipped (a log is appended to while we read it).
 */
export function importDecisionLog(text: string): WatchedRef[] {
  const byRef = new Map<string, WatchedRef>();
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    let o: Record<string, any>;
    try {
      o = JSON.parse(line) as Record<string, any>;
    } catch {
      continue;
    }
    if (!o || typeof o !== 'object') continue;
    const list: unknown[] = Array.isArray(o.images) ? o.images : o.image !== undefined ? [o.image] : [];
    const ns = typeof o.namespace === 'string' ? o.namespace : typeof o.request?.namespace === 'string' ? o.request.namespace : undefined;
    for (const it of list) {
      const image = typeof it === 'string' ? it : typeof (it as any)?.image === 'string' ? (it as any).image : typeof (it as any)?.reference === 'string' ? (it as any).reference : undefined;
      if (!image) continue;
      const digest = typeof (it as any)?.digest === 'string' && DIGEST.test((it as any).digest) ? (it as any).digest : undefined;
      const r = refOf(image, 'admission', digest, ns ? [ns] : []);
      if (!r) continue;
      const prev = byRef.get(r.ref);
      if (prev) {
        prev.running = [...new Set([...(prev.running ?? []), ...(r.running ?? [])])];
        if (r.digest) prev.digest = r.digest;
      } else byRef.set(r.ref, r);
    }
  }
  return [...byRef.values()];
}

export function readImportFile(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ShipshapeError('io', `cannot read ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? (err as Error).message)}`, { cause: err });
  }
}
