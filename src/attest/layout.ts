/**
 * Where signatures and attestations live beside an image, as documents: cosign's tag layout
 * (`sha256-<hex>.sig` / `.att`, SIGNATURE_SPEC.md, ATTESTATION_SPEC.md), OCI 1.1 referrer manifests
 * (`subject` + `artifactType`) and the referrers tag schema index (`sha256-<hex>`), per
 * https://github.com/opencontainers/distribution-spec/blob/main/spec.md#listing-referrers.
 * Builders for what we write, schemas for what we read. No I/O here.
 */
import { z } from 'zod';
import { ShipshapeError } from '../errors.js';
import { digestOf } from '../image/digest.js';
import { BUNDLE_MEDIA_TYPE } from './bundle.js';
import { DSSE_MEDIA_TYPE } from './dsse.js';
import { COSIGN_SIGNATURE_ANNOTATION, SIMPLE_SIGNING_MEDIA_TYPE } from './simple-signing.js';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
export const OCI_EMPTY = 'application/vnd.oci.empty.v1+json';
/** cosign's artifact type for a signature stored as an OCI 1.1 referrer. */
export const COSIGN_SIG_ARTIFACT = 'application/vnd.dev.cosign.artifact.sig.v1+json';
export const PREDICATE_TYPE_ANNOTATION = 'predicateType';
export const BUNDLE_CONTENT_ANNOTATION = 'dev.sigstore.bundle.content';
export const BUNDLE_PREDICATE_ANNOTATION = 'dev.sigstore.bundle.predicateType';
export const CREATED_ANNOTATION = 'org.opencontainers.image.created';
export { BUNDLE_MEDIA_TYPE, DSSE_MEDIA_TYPE, SIMPLE_SIGNING_MEDIA_TYPE, COSIGN_SIGNATURE_ANNOTATION };

/** The OCI empty descriptor's blob: `{}`. */
export const EMPTY_BLOB = Buffer.from('{}');

export interface Desc {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** A blob to upload and the descriptor naming it. */
export interface BlobOut {
  desc: Desc;
  data: Buffer;
}

/** A manifest to push: its exact bytes, the blobs it needs first, and its digest. */
export interface ManifestOut {
  mediaType: string;
  bytes: Buffer;
  digest: string;
  blobs: BlobOut[];
}

function hexOf(digest: string): string {
  const m = /^sha256:([a-f0-9]{64})$/.exec(digest);
  if (!m) throw new ShipshapeError('bad-reference', `not a sha256 digest: ${digest}`);
  return m[1]!;
}
export const signatureTag = (digest: string) => `sha256-${hexOf(digest)}.sig`;
export const attestationTag = (digest: string) => `sha256-${hexOf(digest)}.att`;
export const referrersTag = (digest: string) => `sha256-${hexOf(digest)}`;

export function blobOut(data: Buffer, mediaType: string, annotations?: Record<string, string>): BlobOut {
  return { data, desc: { mediaType, digest: digestOf(data), size: data.length, ...(annotations ? { annotations } : {}) } };
}

function manifestOut(doc: object, blobs: BlobOut[], mediaType = OCI_MANIFEST): ManifestOut {
  const bytes = Buffer.from(JSON.stringify(doc));
  return { mediaType, bytes, digest: digestOf(bytes), blobs };
}

/**
 * The image cosign writes under `.sig` / `.att`: an OCI manifest whose layers are the signed
 * payloads (those already there first, then the new ones), with an image config listing them as
 * diff_ids as cosign's static layers do. Returns the manifest and its config blob; the layer
 * blobs are the caller's.
 */
export function cosignTagManifest(layers: Desc[]): ManifestOut {
  const config = Buffer.from(
    JSON.stringify({
      architecture: '',
      created: '0001-01-01T00:00:00Z',
      history: layers.map(() => ({ created: '0001-01-01T00:00:00Z' })),
      os: '',
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
      config: {},
    }),
  );
  const cfg = blobOut(config, OCI_CONFIG);
  const plain = layers.map((l) => ({ mediaType: l.mediaType, size: l.size, digest: l.digest, ...(l.annotations ? { annotations: l.annotations } : {}) }));
  return manifestOut({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: cfg.desc, layers: plain }, [cfg]);
}

/** An OCI 1.1 artifact manifest about `subject`: empty config, one layer, `artifactType`. */
export function referrerManifest(artifactType: string, subject: Desc, layer: BlobOut, annotations: Record<string, string>): ManifestOut {
  const empty = blobOut(EMPTY_BLOB, OCI_EMPTY);
  return manifestOut(
    {
      schemaVersion: 2,
      mediaType: OCI_MANIFEST,
      artifactType,
      config: empty.desc,
      layers: [layer.desc],
      subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
      annotations,
    },
    [empty, layer],
  );
}

/** The descriptor a referrers index lists for a referrer manifest. */
export function referrerDescriptor(m: ManifestOut, artifactType: string, annotations: Record<string, string>): Desc {
  return { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length, artifactType, annotations };
}

/** The referrers tag schema index: the existing entries and the new ones, without duplicates. */
export function referrersIndex(existing: Desc[], added: Desc[]): ManifestOut {
  const seen = new Set<string>();
  const manifests = [...existing, ...added].filter((d) => !seen.has(d.digest) && seen.add(d.digest));
  return manifestOut({ schemaVersion: 2, mediaType: OCI_INDEX, manifests }, [], OCI_INDEX);
}

const descSchema = z
  .object({
    mediaType: z.string(),
    digest: z.string().regex(/^sha256:[a-f0-9]{64}$/),
    size: z.number().int().nonnegative(),
    artifactType: z.string().optional(),
    annotations: z.record(z.string()).optional(),
  })
  .passthrough();
const artifactManifestSchema = z
  .object({
    schemaVersion: z.literal(2),
    mediaType: z.string().optional(),
    artifactType: z.string().optional(),
    config: descSchema,
    layers: z.array(descSchema).max(1000),
    subject: descSchema.optional(),
    annotations: z.record(z.string()).optional(),
  })
  .passthrough();
const indexSchema = z.object({ schemaVersion: z.literal(2), mediaType: z.string().optional(), manifests: z.array(descSchema).max(10000) }).passthrough();

export type ArtifactManifest = z.infer<typeof artifactManifestSchema>;

function parseWith<T>(schema: z.ZodType<T>, bytes: Buffer, what: string): T {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw new ShipshapeError('bad-image', `${what} is not JSON`);
  }
  const r = schema.safeParse(doc);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new ShipshapeError('bad-image', `${what} is not an OCI manifest (${i.path.join('.') || 'document'}: ${i.message})`);
  }
  return r.data;
}

/** A manifest of a signature/attestation/referrer (image-spec manifest.md). */
export function parseArtifactManifest(bytes: Buffer, what: string): ArtifactManifest {
  return parseWith(artifactManifestSchema, bytes, what);
}

/** A referrers list (the API's answer or the tag schema index): image-spec image-index.md. */
export function parseReferrersIndex(bytes: Buffer, what: string): Desc[] {
  return parseWith(indexSchema, bytes, what).manifests;
}

/** Is this manifest cosign's signature image (every layer a simple-signing payload with a signature)? */
export function isCosignSignatureManifest(m: ArtifactManifest): boolean {
  return m.layers.length > 0 && m.layers.every((l) => l.mediaType === SIMPLE_SIGNING_MEDIA_TYPE && typeof l.annotations?.[COSIGN_SIGNATURE_ANNOTATION] === 'string');
}

/** Is this manifest cosign's attestation image (every layer a DSSE envelope)? */
export function isCosignAttestationManifest(m: ArtifactManifest): boolean {
  return m.layers.length > 0 && m.layers.every((l) => l.mediaType === DSSE_MEDIA_TYPE);
}
