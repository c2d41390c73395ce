/**
 * `admission.yaml`: the webhook's policy, JSON-Schema-checked (draft 2020-12,
 * https://json-schema.org/draft/2020-12/schema), keys read relative to the file, per-namespace
 * overrides folded into one effective policy per namespace, each with its own digest.
 */
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type Ajv2020Module from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { ShipshapeError } from '../errors.js';
import { digestOf } from '../image/digest.js';
import { parseSeverity, SEVERITIES, type Severity } from '../model/index.js';
import { DURATION_PATTERN, durationMs, nodeAt, parseYamlChecked } from '../policy/index.js';

export type Mode = 'enforce' | 'audit';
/** Registry unreachable and nothing cached: deny (fail closed, the default) or admit with a warning. */
export type OnRegistryError = 'deny' | 'allow';

/** The break-glass annotation Kubernetes' ImagePolicyWebhook documents. */
export const DEFAULT_BREAK_GLASS_ANNOTATION = 'alpha.image-policy.k8s.io/break-glass';

/** What decides one namespace's images: the file's top level with that namespace's overrides applied. */
export interface EffectivePolicy {
  mode: Mode;
  /** Globs over `host[:port]/repository`; empty = any registry. */
  allowedRegistries: string[];
  /** PEM texts, in file order. */
  trustedKeys: string[];
  /** The files they came from, for messages. */
  trustedKeyFiles: string[];
  requireSignature: boolean;
  requireAttestation: boolean;
  maxAgeMs?: number;
  requirePass: boolean;
  /** Re-judged from the attestation's counts: deny at or above this severity. */
  failOn?: Severity;
  /** Re-judged from the attestation's counts: at most this many findings of a severity. */
  maxCounts: Partial<Record<Severity, number>>;
  /** Image globs admitted without a lookup. */
  exemptImages: string[];
  onRegistryError: OnRegistryError;
  breakGlass: { enabled: boolean; annotation: string };
  /** sha256 of the canonical JSON of everything above (keys by content): the decision cache's second key. */
  digest: string;
}

export interface AdmissionPolicy {
  source: string;
  /** Namespaces admitted without any check (globs). */
  exemptNamespaces: string[];
  cacheTtlMs: number;
  tagTtlMs: number;
  registryTimeoutMs: number;
  /** The default, for namespaces without an override. */
  global: EffectivePolicy;
  /** Namespace (or glob) → its effective policy, in file order. */
  namespaces: Array<{ pattern: string; policy: EffectivePolicy }>;
  /** Files the policy was read from (itself and the keys): a change to any reloads it. */
  files: string[];
}

export const DEFAULT_CACHE_TTL_MS = 5 * 60_000;
export const DEFAULT_TAG_TTL_MS = 30_000;
export const DEFAULT_REGISTRY_TIMEOUT_MS = 3_000;

const duration = { type: 'string', pattern: DURATION_PATTERN, description: 'a duration: 90s, 5m, 36h, 7d, 2w' };
const globs = { type: 'array', items: { type: 'string', minLength: 1 } };
const severity = { enum: [...SEVERITIES, ...SEVERITIES.map((s) => s.toUpperCase())] };

/** The keys a namespace may override. */
const overridable = {
  mode: { enum: ['enforce', 'audit'], description: 'enforce denies; audit admits and returns warnings' },
  allowedRegistries: { ...globs, description: 'globs over host[:port]/repository, e.g. registry.example:5000/*' },
  trustedKeys: { ...globs, description: 'public keys (PEM files, relative to this file); a signature by any of them counts' },
  signature: {
    type: 'object',
    additionalProperties: false,
    properties: { required: { type: 'boolean', description: 'require a cosign signature by a trusted key (default true)' } },
  },
  attestation: {
    type: 'object',
    additionalProperties: false,
    properties: {
      required: { type: 'boolean', description: 'require a signed scan attestation (default true)' },
      maxAge: { ...duration, description: 'the newest scan attestation may be at most this old' },
      verdict: { enum: ['pass', 'any'], description: 'pass: its verdict must be pass (default); any: any verdict' },
      failOn: { ...severity, description: "deny when the attestation counts a finding of this severity or above" },
      maxCounts: {
        type: 'object',
        additionalProperties: false,
        properties: Object.fromEntries(SEVERITIES.map((s) => [s, { type: 'integer', minimum: 0 }])),
        description: 'at most this many findings per severity',
      },
    },
  },
  exemptImages: { ...globs, description: 'images admitted without a check (globs over the reference as written)' },
  onRegistryError: { enum: ['deny', 'allow'], description: 'registry unreachable and nothing cached: deny (fail closed, default) or allow with a warning' },
  breakGlass: {
    type: 'object',
    additionalProperties: false,
    properties: {
      enabled: { type: 'boolean', description: 'honour the break-glass annotation (default false); every use is audited' },
      annotation: { type: 'string', minLength: 1, description: `annotation key (default ${DEFAULT_BREAK_GLASS_ANNOTATION}), value "true"` },
    },
  },
} as const;

export const admissionPolicySchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://shipshape.dev/schemas/admission/v1.json',
  title: 'shipshape admission policy (admission.yaml)',
  type: 'object',
  additionalProperties: false,
  required: ['trustedKeys'],
  properties: {
    ...overridable,
    exemptNamespaces: { ...globs, description: 'namespaces admitted without a check' },
    cache: {
      type: 'object',
      additionalProperties: false,
      properties: {
        ttl: { ...duration, description: 'how long a decision is kept, by (digest, policy digest); default 5m' },
        tagTtl: { ...duration, description: 'how long a tag → digest resolution is kept; default 30s' },
      },
    },
    registryTimeout: { ...duration, description: 'per registry request; keep it below the webhook timeoutSeconds (default 3s)' },
    namespaces: {
      type: 'object',
      description: 'namespace (or glob) → overrides of the keys above',
      additionalProperties: { type: 'object', additionalProperties: false, properties: overridable },
    },
  },
} as const;

type Overrides = {
  mode?: Mode;
  allowedRegistries?: string[];
  trustedKeys?: string[];
  signature?: { required?: boolean };
  attestation?: { required?: boolean; maxAge?: string; verdict?: 'pass' | 'any'; failOn?: string; maxCounts?: Partial<Record<Severity, number>> };
  exemptImages?: string[];
  onRegistryError?: OnRegistryError;
  breakGlass?: { enabled?: boolean; annotation?: string };
};
type PolicyFile = Overrides & {
  exemptNamespaces?: string[];
  cache?: { ttl?: string; tagTtl?: string };
  registryTimeout?: string;
  namespaces?: Record<string, Overrides>;
};

const requireCjs = createRequire(import.meta.url);
let validator: ValidateFunction | undefined;
function validate(): ValidateFunction {
  if (!validator) {
    const Ajv2020 = (requireCjs('ajv/dist/2020.js') as typeof Ajv2020Module).default;
    validator = new Ajv2020({ allErrors: false, strict: true, verbose: true }).compile(admissionPolicySchema);
  }
  return validator;
}

export interface LoadOptions {
  /** Reads a key file (path resolved against the policy file); default: the file system. */
  readKey?: (file: string) => string;
}

/** Reads and validates `admission.yaml` and the keys it names; bad-policy with one line naming file:line:column. */
export function loadAdmissionPolicy(file: string, opts: LoadOptions = {}): AdmissionPolicy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ShipshapeError('bad-policy', `cannot read admission policy ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  return parseAdmissionPolicy(text, file, opts);
}

const PEM_KEY_RE = /-----BEGIN PUBLIC KEY-----[\s\S]+?-----END PUBLIC KEY-----/;

export function parseAdmissionPolicy(text: string, file: string, opts: LoadOptions = {}): AdmissionPolicy {
  const { data, doc, at } = parseYamlChecked(text, file, validate(), 'the admission policy');
  const f = data as PolicyFile;
  const dir = path.dirname(file);
  const read = opts.readKey ?? ((p: string) => readFileSync(p, 'utf8'));
  const files = new Set<string>([path.resolve(file)]);
  const keyCache = new Map<string, string>();
  const where = (segments: string[]) => at(nodeAt(doc, segments)?.range?.[0] ?? 0);

  const readKeys = (rels: string[], segs: string[]): string[] =>
    rels.map((rel, i) => {
      const abs = path.resolve(dir, rel);
      const known = keyCache.get(abs);
      if (known) return known;
      let pem: string;
      try {
        pem = read(abs);
      } catch (err) {
        throw new ShipshapeError('bad-policy', `${where([...segs, String(i)])}: cannot read trusted key ${rel}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
          cause: err,
        });
      }
      const m = PEM_KEY_RE.exec(pem);
      if (!m) throw new ShipshapeError('bad-policy', `${where([...segs, String(i)])}: trusted key ${rel} is not a PEM public key (-----BEGIN PUBLIC KEY-----)`);
      try {
        const key = createPublicKey(m[0]);
        if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error(`a ${key.asymmetricKeyType} key, not ECDSA P-256`);
      } catch (err) {
        throw new ShipshapeError('bad-policy', `${where([...segs, String(i)])}: trusted key ${rel} does not load: ${(err as Error).message.split('\n')[0]}`, { cause: err });
      }
      files.add(abs);
      keyCache.set(abs, m[0]);
      return m[0];
    });

  const effective = (o: Overrides, base: EffectivePolicy | undefined, segs: string[]): EffectivePolicy => {
    const keys = o.trustedKeys ? readKeys(o.trustedKeys, [...segs, 'trustedKeys']) : base?.trustedKeys ?? [];
    const a = o.attestation ?? {};
    const maxAge = a.maxAge !== undefined ? durationMs(a.maxAge) : base?.maxAgeMs;
    const failOn = a.failOn !== undefined ? parseSeverity(a.failOn) : base?.failOn;
    const p: Omit<EffectivePolicy, 'digest'> = {
      mode: o.mode ?? base?.mode ?? 'enforce',
      allowedRegistries: o.allowedRegistries ?? base?.allowedRegistries ?? [],
      trustedKeys: keys,
      trustedKeyFiles: o.trustedKeys ? o.trustedKeys.map((k) => path.resolve(dir, k)) : base?.trustedKeyFiles ?? [],
      requireSignature: o.signature?.required ?? base?.requireSignature ?? true,
      requireAttestation: a.required ?? base?.requireAttestation ?? true,
      ...(maxAge !== undefined ? { maxAgeMs: maxAge } : {}),
      requirePass: a.verdict !== undefined ? a.verdict === 'pass' : base?.requirePass ?? true,
      ...(failOn ? { failOn } : {}),
      maxCounts: a.maxCounts ?? base?.maxCounts ?? {},
      exemptImages: o.exemptImages ?? base?.exemptImages ?? [],
      onRegistryError: o.onRegistryError ?? base?.onRegistryError ?? 'deny',
      breakGlass: {
        enabled: o.breakGlass?.enabled ?? base?.breakGlass.enabled ?? false,
        annotation: o.breakGlass?.annotation ?? base?.breakGlass.annotation ?? DEFAULT_BREAK_GLASS_ANNOTATION,
      },
    };
    if (p.trustedKeys.length === 0 && (p.requireSignature || p.requireAttestation)) {
      throw new ShipshapeError('bad-policy', `${where(segs.length ? segs : ['trustedKeys'])}: trustedKeys is empty, but a signature or attestation is required`);
    }
    return { ...p, digest: policyDigest(p) };
  };

  const global = effective(f, undefined, []);
  const namespaces = Object.entries(f.namespaces ?? {}).map(([pattern, o]) => ({ pattern, policy: effective(o, global, ['namespaces', pattern]) }));
  return {
    source: file,
    exemptNamespaces: f.exemptNamespaces ?? [],
    cacheTtlMs: f.cache?.ttl ? durationMs(f.cache.ttl)! : DEFAULT_CACHE_TTL_MS,
    tagTtlMs: f.cache?.tagTtl ? durationMs(f.cache.tagTtl)! : DEFAULT_TAG_TTL_MS,
    registryTimeoutMs: f.registryTimeout ? durationMs(f.registryTimeout)! : DEFAULT_REGISTRY_TIMEOUT_MS,
    global,
    namespaces,
    files: [...files],
  };
}

/** sha256 of the policy's canonical JSON (sorted keys; keys by their PEM text, not their file names). */
export function policyDigest(p: Omit<EffectivePolicy, 'digest'>): string {
  const { trustedKeyFiles: _files, ...rest } = p;
  return digestOf(canonicalJson(rest));
}

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}
