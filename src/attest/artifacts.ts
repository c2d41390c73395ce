/**
 * What signing and attesting one image digest produces, before anything is pushed: the cosign
 * signature layer, DSSE envelopes (scan verdict, SBOMs) as cosign `.att` layers, and the same
 * as OCI 1.1 referrer manifests (cosign signature artifact, Sigstore bundles).
 */
import { toBundle } from './bundle.js';
import { DSSE_MEDIA_TYPE, IN_TOTO_PAYLOAD_TYPE } from './dsse.js';
import {
  blobOut,
  BUNDLE_CONTENT_ANNOTATION,
  BUNDLE_MEDIA_TYPE,
  BUNDLE_PREDICATE_ANNOTATION,
  COSIGN_SIG_ARTIFACT,
  COSIGN_SIGNATURE_ANNOTATION,
  CREATED_ANNOTATION,
  PREDICATE_TYPE_ANNOTATION,
  referrerDescriptor,
  referrerManifest,
  SIMPLE_SIGNING_MEDIA_TYPE,
  type BlobOut,
  type Desc,
  type ManifestOut,
} from './layout.js';
import { signBytes, signEnvelope } from './sign.js';
import { simpleSigningPayload } from './simple-signing.js';
import { statement } from './statement.js';
import type { DsseEnvelope, SigningKey } from './types.js';

export interface StatementInput {
  predicateType: string;
  predicate: unknown;
  /** Subject digests besides the image's own (platform manifests of an index). */
  alsoAbout?: string[];
}

export interface Referrer {
  manifest: ManifestOut;
  /** Its entry in a referrers index. */
  desc: Desc;
  kind: 'signature' | 'attestation';
  predicateType?: string;
}

export interface Attachments {
  /** The cosign `.sig` layer (absent when not signing). */
  signature?: BlobOut;
  /** cosign `.att` layers: one DSSE envelope each. */
  attestations: Array<{ layer: BlobOut; predicateType: string; envelope: DsseEnvelope }>;
  referrers: Referrer[];
}

/**
 * Signs `subject` (the image manifest or index descriptor) and attests each statement.
 * `name` is the repository as the statements and the simple-signing identity name it (host/repo).
 */
export function buildAttachments(key: SigningKey, name: string, subject: Desc, statements: StatementInput[], opts: { sign: boolean; now: Date }): Attachments {
  const created = opts.now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const out: Attachments = { attestations: [], referrers: [] };
  if (opts.sign) {
    const payload = simpleSigningPayload(name, subject.digest);
    const layer = blobOut(payload, SIMPLE_SIGNING_MEDIA_TYPE, { [COSIGN_SIGNATURE_ANNOTATION]: signBytes(key, payload) });
    out.signature = layer;
    const annotations = { [CREATED_ANNOTATION]: created };
    const manifest = referrerManifest(COSIGN_SIG_ARTIFACT, subject, layer, annotations);
    out.referrers.push({ manifest, desc: referrerDescriptor(manifest, COSIGN_SIG_ARTIFACT, annotations), kind: 'signature' });
  }
  for (const s of statements) {
    const st = statement(name, [subject.digest, ...(s.alsoAbout ?? [])], s.predicateType, s.predicate);
    const envelope = signEnvelope(key, IN_TOTO_PAYLOAD_TYPE, Buffer.from(JSON.stringify(st)));
    const layer = blobOut(Buffer.from(JSON.stringify(envelope)), DSSE_MEDIA_TYPE, { [PREDICATE_TYPE_ANNOTATION]: s.predicateType });
    out.attestations.push({ layer, predicateType: s.predicateType, envelope });
    const bundle = blobOut(Buffer.from(JSON.stringify(toBundle(envelope, key.keyId))), BUNDLE_MEDIA_TYPE);
    const annotations = { [BUNDLE_CONTENT_ANNOTATION]: 'dsse-envelope', [BUNDLE_PREDICATE_ANNOTATION]: s.predicateType, [CREATED_ANNOTATION]: created };
    const manifest = referrerManifest(BUNDLE_MEDIA_TYPE, subject, bundle, annotations);
    out.referrers.push({ manifest, desc: referrerDescriptor(manifest, BUNDLE_MEDIA_TYPE, annotations), kind: 'attestation', predicateType: s.predicateType });
  }
  return out;
}
