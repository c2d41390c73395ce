/**
 * The admission decision engine: one place that decides whether a namespace may run some images,
 * for every door (AdmissionReview validate and mutate, ImageReview) alike. verify() does the
 * cryptographic work; the engine adds the policy (registries, exemptions, modes, thresholds,
 * break-glass), the caches (decisions by digest + policy digest, tag → digest), single-flight,
 * deadlines and failing closed.
 */
import type { VerifyOptions, VerifyResult } from '../attest/types.js';
import { globMatch } from '../check/dockerfile/image-ref.js';
import { describeError, isShipshapeError, ShipshapeError } from '../errors.js';
import { parseRegistryReference } from '../image/reference.js';
import { SEVERITIES, severityRank, type Severity } from '../model/index.js';
import type { RegistryPool } from '../registry/pool.js';
import type { RegistryOptions } from '../registry/types.js';
import { TtlCache } from './cache.js';
import type { AdmissionPolicy, EffectivePolicy, Mode } from './policy.js';

export type VerifyFn = (image: string, opts: VerifyOptions) => Promise<VerifyResult>;
/** Resolves `registry/repository:tag` to the digest the tag names now. */
export type ResolveTagFn = (ref: { registry: string; repository: string; tag: string }, opts: RegistryOptions) => Promise<string>;

/** Why an image was admitted or refused, as a bounded set (metrics label, log field). */
export type ReasonCode =
  | 'verified'
  | 'exempt-namespace'
  | 'exempt-image'
  | 'break-glass'
  | 'bad-reference'
  | 'registry-not-allowed'
  | 'not-verified'
  | 'threshold'
  | 'not-found'
  | 'registry-error'
  | 'fail-open'
  | 'internal-error';

export interface ImageDecision {
  image: string;
  /** The policy's answer for this image (before audit mode and break-glass). */
  allowed: boolean;
  code: ReasonCode;
  reasons: string[];
  /** The digest that was verified (or resolved). */
  digest?: string;
  /** `image@digest` for an image named by tag and admitted after verification: what /mutate writes. */
  pinned?: string;
  /** The decision came from the cache. */
  cached: boolean;
}

export interface Decision {
  allowed: boolean;
  mode: Mode;
  namespace: string;
  policyDigest: string;
  images: ImageDecision[];
  /** Denial message: each refused image and each reason. */
  message?: string;
  warnings: string[];
  auditAnnotations: Record<string, string>;
  breakGlass: boolean;
}

export interface DecisionInput {
  namespace: string;
  images: string[];
  annotations?: Record<string, string>;
}

export interface EngineEvents {
  /** A registry lookup failed (code of the ShipshapeError). */
  registryError?(code: string): void;
  cache?(cache: 'decision' | 'tag', hit: boolean): void;
}

export interface EngineOptions {
  policy: AdmissionPolicy;
  /** The real verify() by default; tests inject their own. */
  verify?: VerifyFn;
  /** The registry client's HEAD by default. */
  resolveTag?: ResolveTagFn;
  /** Registry access (CA, credentials, insecure hosts); the policy's registryTimeout is applied on top. */
  registry?: RegistryOptions;
  /** The whole decision must end within this (below the webhook's timeoutSeconds); default 9 s. */
  deadlineMs?: number;
  /** Distinct images looked up at once. */
  concurrency?: number;
  now?: () => number;
  events?: EngineEvents;
}

/** Decisions are kept for this many (digest, policy) pairs. */
const MAX_DECISIONS = 10_000;
const MAX_TAGS = 10_000;
/** Most images named in a denial message; the rest are counted. */
const MAX_MESSAGE_IMAGES = 20;

interface CachedVerdict {
  result: VerifyResult;
  at: number;
}

async function defaultVerify(): Promise<VerifyFn> {
  // Loaded on first use: the attest area (crypto, sigstore) is only needed once a lookup happens.
  return (await import('../attest/verify.js')).verify;
}

/** Connections opened per allowed registry at start-up and reload (a cold lookup runs 2-3 requests at once). */
const PRECONNECT_CONNECTIONS = 8;

export class AdmissionEngine {
  private policy: AdmissionPolicy;
  private verifyFn: VerifyFn | undefined;
  private readonly resolveTag: ResolveTagFn;
  /**
   * Registry clients (keep-alive connections, bearer tokens per scope, TLS trust) shared by every
   * tag lookup and verify() of the current policy; keyed by registry and credential binding.
   * A policy reload starts a new pool; the old one closes once its lookups have had their time.
   */
  private pool: RegistryPool | undefined;
  private readonly retiring = new Set<RegistryPool>();
  private readonly registry: RegistryOptions;
  /** Lookups go through the pool (no verify or resolveTag injected): only then is preconnect() useful. */
  private readonly pooled: boolean;
  private readonly deadlineMs: number;
  private readonly concurrency: number;
  private readonly now: () => number;
  private readonly events: EngineEvents;
  readonly decisions: TtlCache<CachedVerdict>;
  readonly tags: TtlCache<string>;
  /** `registry/repository:tag` → the digest it named at its last lookup: where to start verifying early, never a decision. */
  private readonly lastDigests = new Map<string, string>();

  constructor(opts: EngineOptions) {
    this.policy = opts.policy;
    this.verifyFn = opts.verify;
    // The default: a HEAD of the tag through the pooled client, the digest the tag names.
    this.resolveTag = opts.resolveTag ?? (async (ref, o) => (await (await this.registryPool()).client(ref.registry, o).headManifest(ref.repository, ref.tag)).digest);
    this.registry = opts.registry ?? {};
    this.pooled = !opts.verify && !opts.resolveTag;
    this.deadlineMs = opts.deadlineMs ?? 9_000;
    this.concurrency = Math.max(1, opts.concurrency ?? 16);
    this.now = opts.now ?? Date.now;
    this.events = opts.events ?? {};
    this.decisions = new TtlCache(MAX_DECISIONS, this.now);
    this.tags = new TtlCache(MAX_TAGS, this.now);
  }

  /** Closes the registry connections kept for lookups. */
  async close(): Promise<void> {
    const pools = [...this.retiring, ...(this.pool ? [this.pool] : [])];
    this.retiring.clear();
    this.pool = undefined;
    await Promise.all(pools.map((p) => p.close()));
  }

  /** Swaps in a reloaded policy; decisions of the old one stay keyed by its digest and age out. */
  setPolicy(p: AdmissionPolicy): void {
    this.policy = p;
    const old = this.pool;
    this.pool = undefined;
    if (old) {
      this.retiring.add(old);
      setTimeout(() => {
        this.retiring.delete(old);
        void old.close();
      }, this.deadlineMs + 1_000).unref();
    }
  }

  /**
   * Opens connections (and fetches pull tokens of repositories named exactly) to each registry the
   * policy allows by name, with the options and credential binding lookups will use, so the first
   * requests after start-up or a reload pay no handshake. Best effort, bounded by registryTimeout.
   */
  async preconnect(connections = PRECONNECT_CONNECTIONS): Promise<void> {
    if (!this.pooled) return;
    const wanted = new Map<string, { policy: EffectivePolicy; repositories: Set<string> }>();
    for (const policy of [this.policy.global, ...this.policy.namespaces.map((n) => n.policy)]) {
      for (const glob of policy.allowedRegistries) {
        const slash = glob.indexOf('/');
        const host = slash < 0 ? glob : glob.slice(0, slash);
        if (!host || /[*?[\]]/.test(host)) continue;
        const w = wanted.get(host) ?? { policy, repositories: new Set<string>() };
        wanted.set(host, w);
        const repo = slash < 0 ? '' : glob.slice(slash + 1);
        if (repo && /^[a-z0-9._/-]+$/.test(repo)) w.repositories.add(repo);
      }
    }
    const pool = await this.registryPool();
    await Promise.all([...wanted].map(([host, w]) => pool.preconnect(host, this.registryOptions(host, w.policy), connections, [...w.repositories].slice(0, 16))));
  }

  /** Loads what the first lookup would load (verify() and the registry client); no network. */
  async prepare(): Promise<void> {
    this.verifyFn ??= await defaultVerify();
    if (this.pooled) await this.registryPool();
  }

  /** The current pool, made on first use (the registry client is loaded only once a lookup happens). */
  private async registryPool(): Promise<RegistryPool> {
    if (!this.pool) {
      const { RegistryPool: Pool } = await import('../registry/pool.js');
      this.pool ??= new Pool();
    }
    return this.pool;
  }

  get currentPolicy(): AdmissionPolicy {
    return this.policy;
  }

  /** The effective policy of a namespace: an exact override, else the first glob that matches, else the default. */
  policyFor(namespace: string): EffectivePolicy {
    const ns = this.policy.namespaces;
    return (ns.find((n) => n.pattern === namespace) ?? ns.find((n) => n.pattern.includes('*') && globMatch(n.pattern, namespace)))?.policy ?? this.policy.global;
  }

  async decide(input: DecisionInput): Promise<Decision> {
    const policy = this.policyFor(input.namespace);
    const annotations = input.annotations ?? {};
    const base = { mode: policy.mode, namespace: input.namespace, policyDigest: policy.digest };
    const distinct = [...new Set(input.images)];

    if (this.policy.exemptNamespaces.some((g) => globMatch(g, input.namespace))) {
      return this.finish(base, distinct.map((image) => ({ image, allowed: true, code: 'exempt-namespace', reasons: [`namespace ${input.namespace} is exempt`], cached: false })), policy, false, []);
    }

    const warnings: string[] = [];
    const glass = annotations[policy.breakGlass.annotation];
    if (glass !== undefined && glass.toLowerCase() === 'true') {
      if (policy.breakGlass.enabled) {
        return this.finish(base, distinct.map((image) => ({ image, allowed: true, code: 'break-glass', reasons: [`break-glass annotation ${policy.breakGlass.annotation}`], cached: false })), policy, true, []);
      }
      warnings.push(`break-glass annotation ${policy.breakGlass.annotation} ignored: break-glass is off in the admission policy`);
    }

    const decided = await this.withDeadline(this.mapLimited(distinct, (image) => this.decideImage(image, policy)), distinct, policy);
    return this.finish(base, decided, policy, false, warnings);
  }

  /** Runs the lookups; when the deadline passes first, every image not decided yet is refused (fail closed). */
  private async withDeadline(work: Promise<ImageDecision[]>, images: string[], policy: EffectivePolicy): Promise<ImageDecision[]> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<ImageDecision[]>((resolve) => {
      timer = setTimeout(() => {
        const why = `registry lookups did not finish within ${this.deadlineMs} ms`;
        resolve(images.map((image) => this.onRegistryFailure(image, why, policy)));
      }, this.deadlineMs);
    });
    try {
      return await Promise.race([work, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async mapLimited<T, R>(items: T[], fn: (t: T) => Promise<R>): Promise<R[]> {
    const out = new Array<R>(items.length);
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.concurrency, items.length) }, worker));
    return out;
  }

  /**
   * Options for a lookup on `registry`. The credentials given to `serve` (flags, environment) go
   * only to a registry the policy's allowedRegistries approve: with no allow list a Pod could name
   * any host and collect them. Any other host gets only its own docker config entry (docs/registry.md).
   */
  private registryOptions(registry: string, policy: EffectivePolicy): RegistryOptions {
    const approved = policy.allowedRegistries.length > 0;
    // One try: retries with backoff would outlast the webhook's own timeout.
    return { ...this.registry, credentialsFor: approved ? registry : '', timeoutMs: this.policy.registryTimeoutMs, retry: { tries: 1 } };
  }

  private onRegistryFailure(image: string, why: string, policy: EffectivePolicy): ImageDecision {
    if (policy.onRegistryError === 'allow') {
      return { image, allowed: true, code: 'fail-open', reasons: [`${why}; admitted unverified (onRegistryError: allow)`], cached: false };
    }
    return { image, allowed: false, code: 'registry-error', reasons: [`${why}, and no cached decision (fail closed)`], cached: false };
  }

  async decideImage(image: string, policy: EffectivePolicy): Promise<ImageDecision> {
    try {
      return await this.decideImageUnsafe(image, policy);
    } catch (err) {
      // Whatever went wrong, the answer is no.
      return { image, allowed: false, code: 'internal-error', reasons: [`internal error: ${describeError(err)}`], cached: false };
    }
  }

  private async decideImageUnsafe(image: string, policy: EffectivePolicy): Promise<ImageDecision> {
    if (policy.exemptImages.some((g) => globMatch(g, image))) {
      return { image, allowed: true, code: 'exempt-image', reasons: ['image is exempt'], cached: false };
    }
    let ref: ReturnType<typeof parseRegistryReference>;
    try {
      if (image.trim() !== image || image === '') throw new ShipshapeError('bad-reference', `invalid image reference ${JSON.stringify(image)}`);
      ref = parseRegistryReference(image);
    } catch (err) {
      return { image, allowed: false, code: 'bad-reference', reasons: [describeError(err)], cached: false };
    }
    const name = `${ref.registry}/${ref.repository}`;
    if (policy.allowedRegistries.length && !policy.allowedRegistries.some((g) => globMatch(g, name))) {
      return {
        image,
        allowed: false,
        code: 'registry-not-allowed',
        reasons: [`${name} is not in the allowed registries (${policy.allowedRegistries.join(', ')})`],
        cached: false,
      };
    }

    let digest = ref.digest;
    let early: { digest: string; verdict: Promise<{ value: CachedVerdict; cached: boolean }> } | undefined;
    if (!digest) {
      const tag = ref.tag ?? 'latest';
      const tagKey = `${name}:${tag}`;
      // The digest this tag named at its last lookup starts verifying now, beside the tag's lookup;
      // the decision still waits for the tag and takes that verification only if the tag names the
      // same digest (then one registry round trip is saved), else verifies what the tag names now.
      const hint = this.lastDigests.get(tagKey);
      if (hint !== undefined && this.tags.get(tagKey) === undefined && this.decisions.get(this.verdictKey(name, hint, policy)) === undefined) {
        early = { digest: hint, verdict: this.verdictFor(name, hint, ref.registry, policy) };
        early.verdict.catch(() => undefined);
      }
      try {
        const r = await this.tags.getOrLoad(tagKey, () => this.resolveTag({ registry: ref.registry, repository: ref.repository, tag }, this.registryOptions(ref.registry, policy)), () => this.policy.tagTtlMs);
        this.events.cache?.('tag', r.cached);
        digest = r.value;
        this.rememberDigest(tagKey, digest);
      } catch (err) {
        this.lastDigests.delete(tagKey);
        return this.lookupFailed(image, err, policy, `tag ${name}:${tag}`);
      }
    }

    const key = this.verdictKey(name, digest, policy);
    const hit = this.decisions.get(key);
    if (hit && this.tooOld(hit, policy)) this.decisions.delete(key);
    let verdict: CachedVerdict;
    let cached: boolean;
    try {
      // Kept here, not only in the cache: with a TTL of 0 the early verdict is cached nowhere.
      const r = await (early?.digest === digest ? early.verdict : this.verdictFor(name, digest, ref.registry, policy));
      this.events.cache?.('decision', r.cached);
      verdict = r.value;
      cached = r.cached;
    } catch (err) {
      return this.lookupFailed(image, err, policy, `image ${name}@${digest}`);
    }
    const reasons = [...verdict.result.reasons, ...this.thresholdReasons(verdict.result, policy)];
    if (!verdict.result.verified && reasons.length === 0) reasons.push('not verified');
    const allowed = verdict.result.verified && reasons.length === 0;
    const code: ReasonCode = allowed ? 'verified' : verdict.result.verified ? 'threshold' : 'not-verified';
    return {
      image,
      allowed,
      code,
      reasons,
      digest: verdict.result.digest || digest,
      ...(allowed && !ref.digest ? { pinned: `${image}@${verdict.result.digest || digest}` } : {}),
      cached,
    };
  }

  private verdictKey(name: string, digest: string, policy: EffectivePolicy): string {
    return `${name}@${digest}|${policy.digest}`;
  }

  /** The verdict on `name@digest` under `policy`: cached, shared with a lookup in flight, or verified now. */
  private verdictFor(name: string, digest: string, registry: string, policy: EffectivePolicy): Promise<{ value: CachedVerdict; cached: boolean }> {
    // A refusal is kept no longer than a tag: an image signed a moment later is admitted soon.
    const ttl = (v: CachedVerdict) => (v.result.verified ? this.policy.cacheTtlMs : Math.min(this.policy.cacheTtlMs, this.policy.tagTtlMs));
    return this.decisions.getOrLoad(this.verdictKey(name, digest, policy), async () => ({ result: await this.runVerify(`${name}@${digest}`, registry, policy), at: this.now() }), ttl);
  }

  private rememberDigest(tagKey: string, digest: string): void {
    this.lastDigests.delete(tagKey);
    if (this.lastDigests.size >= MAX_TAGS) this.lastDigests.delete(this.lastDigests.keys().next().value!);
    this.lastDigests.set(tagKey, digest);
  }

  private async runVerify(image: string, registry: string, policy: EffectivePolicy): Promise<VerifyResult> {
    this.verifyFn ??= await defaultVerify();
    return this.verifyFn(image, {
      keys: policy.trustedKeys,
      requireSignature: policy.requireSignature,
      requireAttestation: policy.requireAttestation,
      ...(policy.maxAgeMs !== undefined ? { maxAgeMs: policy.maxAgeMs } : {}),
      requirePass: policy.requirePass,
      registry: this.registryOptions(registry, policy),
      pool: await this.registryPool(),
      now: () => new Date(this.now()),
    });
  }

  /** A verified decision whose attestation has aged past maxAge since it was cached must be made again. */
  private tooOld(v: CachedVerdict, policy: EffectivePolicy): boolean {
    const att = v.result.attestation;
    if (!v.result.verified || !att || policy.maxAgeMs === undefined) return false;
    return att.ageMs + (this.now() - v.at) > policy.maxAgeMs;
  }

  private lookupFailed(image: string, err: unknown, policy: EffectivePolicy, what: string): ImageDecision {
    const code = isShipshapeError(err) ? err.code : 'internal';
    this.events.registryError?.(code);
    if (code === 'not-found') return { image, allowed: false, code: 'not-found', reasons: [`${what} not found: ${describeError(err)}`], cached: false };
    if (code === 'network') return this.onRegistryFailure(image, `registry unreachable: ${describeError(err)}`, policy);
    return { image, allowed: false, code: 'registry-error', reasons: [`cannot look up ${what}: ${describeError(err)}`], cached: false };
  }

  /** Optional thresholds, judged again from the attestation's counts. */
  private thresholdReasons(r: VerifyResult, policy: EffectivePolicy): string[] {
    const counts = r.attestation?.predicate.counts;
    if (!counts) {
      const wants = policy.failOn || Object.keys(policy.maxCounts).length > 0;
      return wants && r.verified ? ['no scan attestation to judge the thresholds by'] : [];
    }
    const out: string[] = [];
    if (policy.failOn) {
      const over = SEVERITIES.filter((s) => severityRank(s) >= severityRank(policy.failOn!) && (counts[s] ?? 0) > 0);
      if (over.length) out.push(`scan attestation counts ${over.map((s) => `${counts[s]} ${s}`).join(', ')}: failOn is ${policy.failOn}`);
    }
    for (const [s, max] of Object.entries(policy.maxCounts) as Array<[Severity, number]>) {
      if ((counts[s] ?? 0) > max) out.push(`scan attestation counts ${counts[s]} ${s}, more than the ${max} allowed`);
    }
    return out;
  }

  private finish(
    base: { mode: Mode; namespace: string; policyDigest: string },
    images: ImageDecision[],
    policy: EffectivePolicy,
    breakGlass: boolean,
    warnings: string[],
  ): Decision {
    const refused = images.filter((d) => !d.allowed);
    const auditAnnotations: Record<string, string> = {};
    const digests = images.filter((d) => d.digest).map((d) => `${d.image}=${d.digest}`);
    if (digests.length) auditAnnotations.images = digests.join(',').slice(0, 4000);
    for (const d of images) if (d.code === 'fail-open') warnings.push(`${d.image}: ${d.reasons.join('; ')}`);
    if (breakGlass) {
      auditAnnotations['break-glass'] = 'true';
      warnings.push(`break-glass: ${images.length} image(s) admitted without verification (${policy.breakGlass.annotation}); this is audited`);
    }
    let allowed = refused.length === 0;
    let message: string | undefined;
    if (refused.length) {
      const lines = refused.slice(0, MAX_MESSAGE_IMAGES).map((d) => `image ${d.image}: ${d.reasons.join('; ')}`);
      if (refused.length > MAX_MESSAGE_IMAGES) lines.push(`and ${refused.length - MAX_MESSAGE_IMAGES} more image(s)`);
      message = `shipshape admission denied ${refused.length} of ${images.length} image(s): ${lines.join(' | ')}`;
      if (base.mode === 'audit') {
        warnings.push(...refused.slice(0, MAX_MESSAGE_IMAGES).map((d) => `audit: image ${d.image} would be denied: ${d.reasons.join('; ')}`));
        allowed = true;
        message = undefined;
        auditAnnotations.decision = 'audit-denied';
      } else {
        auditAnnotations.decision = 'denied';
      }
    } else {
      auditAnnotations.decision = breakGlass ? 'break-glass' : 'allowed';
    }
    return { ...base, allowed, images, ...(message ? { message } : {}), warnings, auditAnnotations, breakGlass };
  }
}
