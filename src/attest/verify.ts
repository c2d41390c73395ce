/**
 * verify(): is this registry image signed, and attested as scanned, by a trusted key? Resolves a tag
 * once, then reads only by digest: OCI 1.1 referrers (API, else the `sha256-<hex>` tag index) and
 * cosign's `.sig` / `.att` tags. Registry failures throw; unmet requirements are reasons.
 * The one decision the CLI, the admission webhook and the monitor share.
 */
import { z } from 'zod';
import { ShipshapeError } from '../errors.js';
import { parseRegistryReference } from '../image/reference.js';
import { RegistryClient } from '../registry/client.js';
import { namedBy } from '../registry/credentials.js';
import { fetchReferrers, fetchReferrersTagIndex, getManifestIfPresent, knownReferrersApi, noteReferrersApi, type Referrers } from '../registry/referrers.js';
import { SEVERITIES } from '../model/index.js';
import { checkSimpleSigning, checkStatementEnvelope, trustedKeys, type TrustedKey } from './check.js';
import { parseEnvelope } from './dsse.js';
import {
  attestationTag,
  BUNDLE_MEDIA_TYPE,
  BUNDLE_PREDICATE_ANNOTATION,
  COSIGN_SIG_ARTIFACT,
  COSIGN_SIGNATURE_ANNOTATION,
  DSSE_MEDIA_TYPE,
  isCosignSignatureManifest,
  parseArtifactManifest,
  PREDICATE_TYPE_ANNOTATION,
  SIMPLE_SIGNING_MEDIA_TYPE,
  signatureTag,
  type Desc,
} from './layout.js';
import { SCAN_PREDICATE_TYPE, type ScanPredicate, type VerifiedAttestation, type VerifyOptions, type VerifyResult } from './types.js';

/** Signed payloads and envelopes are small; anything bigger is not ours. */
const MAX_PAYLOAD_BYTES = 4 << 20;
/** Only the newest attestations are read: the monitor re-attests, so old ones pile up. */
const MAX_CANDIDATES = 32;
const PARALLEL = 6;

// The scan predicate as types.ts declares it (https://shipshape.dev/attestations/scan/v1).
const scanPredicateSchema = z
  .object({
    verdict: z.enum(['pass', 'fail']),
    reasons: z.array(z.string()),
    policyDigest: z.string(),
    db: z.object({ builtAt: z.string(), digest: z.string() }).nullable(),
    scanner: z.object({ name: z.literal('shipshape'), version: z.string() }),
    counts: z.record(z.number()),
    findings: z.array(z.string()),
    suppressed: z.array(z.object({ id: z.string(), reason: z.string() })),
    scannedAt: z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'not a time'),
  })
  .passthrough();

/** 9d, 36h, 12m, 40s: the largest unit that fits. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s >= 86400 * 2) return `${Math.floor(s / 86400)}d`;
  if (s >= 3600 * 2) return `${Math.floor(s / 3600)}h`;
  if (s >= 120) return `${Math.floor(s / 60)}m`;
  return `${s}s`;
}

/** "2 critical, 1 high": the non-zero counts, worst first. */
export function countsText(counts: Record<string, number>): string {
  const parts = [...SEVERITIES].reverse().filter((s) => (counts[s] ?? 0) > 0).map((s) => `${counts[s]} ${s}`);
  return parts.join(', ') || 'no findings';
}

async function mapLimited<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

interface Found {
  signature: { found: boolean; valid: boolean; keyId?: string };
  signatureProblems: string[];
  attestation?: VerifiedAttestation;
  attestationFound: boolean;
  attestationProblems: string[];
}

/** What the registry holds about one digest, checked against the keys. */
async function inspect(client: RegistryClient, repository: string, digest: string, keys: TrustedKey[], now: Date): Promise<Found> {
  const where = `${client.registry}/${repository}`;
  const sigTagP = getManifestIfPresent(client, repository, signatureTag(digest));
  const attTagP = getManifestIfPresent(client, repository, attestationTag(digest));
  // A registry known to lack the referrers API (Distribution 2.8): its tag schema index matters only
  // where a cosign tag is missing (below), so it is read only then: 2 requests, not 4, per image.
  const askApi = knownReferrersApi(client) !== false;
  const referrersP: Promise<Referrers> = !askApi
    ? Promise.all([sigTagP, attTagP]).then(async ([s, a]) => ({ api: false, manifests: s && a ? [] : await fetchReferrersTagIndex(client, repository, digest) }))
    : fetchReferrers(client, repository, digest);
  const [referrers, sigTag, attTag] = await Promise.all([referrersP, sigTagP, attTagP]);
  // A 404 from the API about a repository that exists (a cosign tag was read from it) means no API;
  // learnt only when asked, so the API is asked again once the memory ends (a registry upgraded).
  if (askApi && !referrers.api && (sigTag || attTag)) noteReferrersApi(client, false);
  const sigProblems: string[] = [];
  const attProblems: string[] = [];

  // Signature candidates: each a payload blob and its base64 signature.
  const sigCandidates: Array<{ layer: Desc; origin: string }> = [];
  if (sigTag) {
    const what = `${where}:${signatureTag(digest)}`;
    try {
      const m = parseArtifactManifest(sigTag.bytes, what);
      if (!isCosignSignatureManifest(m)) sigProblems.push(`${what} is not a cosign signature`);
      for (const l of m.layers) if (l.mediaType === SIMPLE_SIGNING_MEDIA_TYPE) sigCandidates.push({ layer: l, origin: what });
    } catch (err) {
      sigProblems.push(`${what} is not a cosign signature (${(err as Error).message})`);
    }
  }
  // Without the API, the tag schema index lists what the cosign tags hold too (docs/signatures.md):
  // read referrer manifests only where the cosign tag is absent, so verify stays a few requests.
  const sigReferrers = referrers.api || !sigTag ? referrers.manifests.filter((d) => d.artifactType === COSIGN_SIG_ARTIFACT).slice(-MAX_CANDIDATES) : [];
  const attReferrers =
    referrers.api || !attTag
      ? referrers.manifests
          .filter((d) => d.artifactType === BUNDLE_MEDIA_TYPE && (d.annotations?.[BUNDLE_PREDICATE_ANNOTATION] ?? SCAN_PREDICATE_TYPE) === SCAN_PREDICATE_TYPE)
          .slice(-MAX_CANDIDATES)
      : [];
  // Referrer manifests are small: read them all at once.
  const referrerManifests = await mapLimited([...sigReferrers, ...attReferrers], PARALLEL, async (d) => {
    const what = `referrer ${where}@${d.digest}`;
    try {
      const got = await client.getManifest(repository, d.digest);
      const m = parseArtifactManifest(got.bytes, what);
      if (m.subject && m.subject.digest !== digest) throw new ShipshapeError('bad-image', `${what} is about ${m.subject.digest}, not ${digest}`);
      return { d, m, what };
    } catch (err) {
      if (err instanceof ShipshapeError && (err.code === 'network' || err.code === 'unauthorized')) throw err;
      (d.artifactType === COSIGN_SIG_ARTIFACT ? sigProblems : attProblems).push((err as Error).message);
      return undefined;
    }
  });
  for (const r of referrerManifests) {
    if (!r || r.d.artifactType !== COSIGN_SIG_ARTIFACT) continue;
    for (const l of r.m.layers) if (l.mediaType === SIMPLE_SIGNING_MEDIA_TYPE) sigCandidates.push({ layer: l, origin: r.what });
  }

  // The signature's payload is fetched beside the attestations' envelopes (below).
  const signature: Found['signature'] = { found: sigCandidates.length > 0, valid: false };
  const signatureChecked = (async () => {
    for (const c of sigCandidates.slice(-MAX_CANDIDATES).reverse()) {
      const sig = c.layer.annotations?.[COSIGN_SIGNATURE_ANNOTATION];
      if (!sig) {
        sigProblems.push(`${c.origin}: layer ${c.layer.digest} carries no signature`);
        continue;
      }
      const payload = await blobOrProblem(client, repository, c.layer, sigProblems);
      if (!payload) continue;
      const r = checkSimpleSigning(payload, sig, keys, digest);
      if (r.ok) {
        signature.valid = true;
        signature.keyId = r.keyId;
        break;
      }
      sigProblems.push(r.reason);
    }
  })();
  signatureChecked.catch(() => undefined);

  // Attestation candidates: DSSE envelopes from the .att tag, bundles from referrers.
  const envCandidates: Array<{ layer: Desc; kind: 'dsse' | 'bundle'; origin: string }> = [];
  if (attTag) {
    const what = `${where}:${attestationTag(digest)}`;
    try {
      const m = parseArtifactManifest(attTag.bytes, what);
      const layers = m.layers.filter((l) => l.mediaType === DSSE_MEDIA_TYPE && (l.annotations?.[PREDICATE_TYPE_ANNOTATION] ?? SCAN_PREDICATE_TYPE) === SCAN_PREDICATE_TYPE);
      // cosign appends: the newest are last.
      for (const l of layers.slice(-MAX_CANDIDATES)) envCandidates.push({ layer: l, kind: 'dsse', origin: what });
    } catch (err) {
      attProblems.push(`${what} is not a cosign attestation (${(err as Error).message})`);
    }
  }
  for (const r of referrerManifests) {
    if (!r || r.d.artifactType !== BUNDLE_MEDIA_TYPE) continue;
    for (const l of r.m.layers) if (l.mediaType === BUNDLE_MEDIA_TYPE) envCandidates.push({ layer: l, kind: 'bundle', origin: r.what });
  }
  // Newest first (cosign appends; referrers in push order), a batch at a time: the first batch
  // holding a valid one ends the search, so a long history costs nothing.
  envCandidates.reverse();
  const checkOne = async (c: (typeof envCandidates)[number]): Promise<VerifiedAttestation | undefined> => {
    const bytes = await blobOrProblem(client, repository, c.layer, attProblems);
    if (!bytes) return undefined;
    try {
      let envBytes: Buffer | string = bytes;
      if (c.kind === 'bundle') {
        const b = JSON.parse(bytes.toString('utf8')) as { dsseEnvelope?: unknown };
        if (!b?.dsseEnvelope) throw new ShipshapeError('bad-image', `${c.origin}: the bundle holds no DSSE envelope`);
        envBytes = JSON.stringify(b.dsseEnvelope);
      }
      const env = parseEnvelope(envBytes, `${c.origin}: envelope ${c.layer.digest}`);
      const r = checkStatementEnvelope<ScanPredicate>(env, keys, digest, SCAN_PREDICATE_TYPE);
      if (!r.ok) {
        attProblems.push(r.reason);
        return undefined;
      }
      const p = scanPredicateSchema.safeParse(r.value.predicate);
      if (!p.success) {
        attProblems.push(`attestation ${c.layer.digest}: the scan predicate is malformed (${p.error.issues[0]!.path.join('.')}: ${p.error.issues[0]!.message})`);
        return undefined;
      }
      const predicate = p.data as unknown as ScanPredicate;
      return { predicateType: SCAN_PREDICATE_TYPE, digest: c.layer.digest, keyId: r.keyId, predicate, ageMs: now.getTime() - Date.parse(predicate.scannedAt), envelope: env };
    } catch (err) {
      attProblems.push((err as Error).message);
      return undefined;
    }
  };
  let valid: VerifiedAttestation[] = [];
  for (let i = 0; i < envCandidates.length && !valid.length; i += PARALLEL) {
    const batch = await Promise.all(envCandidates.slice(i, i + PARALLEL).map(checkOne));
    valid = batch.filter((a): a is VerifiedAttestation => !!a).sort((a, b) => a.ageMs - b.ageMs);
  }
  await signatureChecked;
  return {
    signature,
    signatureProblems: sigProblems,
    ...(valid[0] ? { attestation: valid[0] } : {}),
    attestationFound: envCandidates.length > 0,
    attestationProblems: attProblems,
  };
}

async function blobOrProblem(client: RegistryClient, repository: string, layer: Desc, problems: string[]): Promise<Buffer | undefined> {
  try {
    return await client.fetchBlobBytes(repository, layer, MAX_PAYLOAD_BYTES);
  } catch (err) {
    if (err instanceof ShipshapeError && (err.code === 'network' || err.code === 'unauthorized')) throw err;
    problems.push((err as Error).message);
    return undefined;
  }
}

function firstDistinct(problems: string[]): string {
  const uniq = [...new Set(problems)];
  return uniq.length ? `: ${uniq.slice(0, 2).join('; ')}${uniq.length > 2 ? ` (and ${uniq.length - 2} more)` : ''}` : '';
}

/** Verifies a registry image (by tag or digest) against trusted public keys. */
export async function verify(image: string, opts: VerifyOptions): Promise<VerifyResult> {
  const ref = parseRegistryReference(image);
  if (!opts.keys.length) throw new ShipshapeError('usage', 'verify needs at least one trusted public key');
  const keys = trustedKeys(opts.keys);
  const now = opts.now?.() ?? new Date();
  // A server passes its pool: connections, tokens and TLS trust outlive the call (docs/admission.md).
  const named = namedBy(ref.registry, opts.registry ?? {});
  const client = opts.pool ? opts.pool.client(ref.registry, named) : new RegistryClient(ref.registry, named);
  try {
    const digest = ref.digest ?? (await client.headManifest(ref.repository, ref.tag ?? 'latest')).digest;
    const found = await inspect(client, ref.repository, digest, keys, now);
    const reasons: string[] = [];
    if ((opts.requireSignature ?? true) && !found.signature.valid) {
      reasons.push(found.signature.found || found.signatureProblems.length ? `no signature by a trusted key${firstDistinct(found.signatureProblems)}` : 'no signature by a trusted key (none found)');
    }
    const att = found.attestation;
    if ((opts.requireAttestation ?? true) && !att) {
      reasons.push(
        found.attestationFound || found.attestationProblems.length
          ? `no valid scan attestation by a trusted key${firstDistinct(found.attestationProblems)}`
          : 'no scan attestation by a trusted key (none found)',
      );
    }
    if (att && opts.maxAgeMs !== undefined && att.ageMs > opts.maxAgeMs) {
      reasons.push(`attestation is ${formatAge(att.ageMs)} old, more than ${formatAge(opts.maxAgeMs)}`);
    }
    if (att && opts.requirePass && att.predicate.verdict !== 'pass') {
      reasons.push(`scan verdict is fail: ${countsText(att.predicate.counts)}`);
    }
    if (!att && (opts.requireAttestation ?? true) === false && (opts.requirePass || opts.maxAgeMs !== undefined)) {
      reasons.push('no scan attestation by a trusted key to judge its verdict and age');
    }
    return {
      reference: image,
      registry: ref.registry,
      repository: ref.repository,
      digest,
      verified: reasons.length === 0,
      reasons,
      signature: found.signature,
      ...(att ? { attestation: att } : {}),
    };
  } finally {
    if (!opts.pool) await client.close();
  }
}
