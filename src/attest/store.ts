/**
 * Storing signatures and attestations beside an image digest in a registry (docs/signatures.md):
 * OCI 1.1 referrers when the registry answers the referrers API, else the referrers tag schema
 * index AND cosign's `.sig` / `.att` tags, appended to what is there.
 */
import { ShipshapeError } from '../errors.js';
import { digestOf } from '../image/digest.js';
import type { RegistryClient } from '../registry/client.js';
import { fetchReferrers, getManifestIfPresent } from '../registry/referrers.js';
import { blobExists, putManifest, uploadBlob } from '../registry/upload.js';
import type { Attachments } from './artifacts.js';
import {
  attestationTag,
  cosignTagManifest,
  EMPTY_BLOB,
  isCosignAttestationManifest,
  isCosignSignatureManifest,
  OCI_EMPTY,
  parseArtifactManifest,
  referrersIndex,
  referrersTag,
  signatureTag,
  type BlobOut,
  type Desc,
  type ManifestOut,
} from './layout.js';
import type { PushedArtifact } from './types.js';

/** What DEST holds about a digest before we write: read first, so a conflict stops us before any write. */
export interface AttachState {
  api: boolean;
  referrers: Desc[];
  signatureLayers: Desc[];
  attestationLayers: Desc[];
  /** Does the repository hold the empty `{}` blob (the config of every artifact manifest)? */
  emptyBlob: boolean;
}

/** Reads the referrers and the cosign tags of `digest`; a `.sig`/`.att` tag that is not cosign's is a conflict. */
export async function readAttachState(client: RegistryClient, repository: string, digest: string): Promise<AttachState> {
  const [refs, sig, att, emptyBlob] = await Promise.all([
    fetchReferrers(client, repository, digest),
    getManifestIfPresent(client, repository, signatureTag(digest)),
    getManifestIfPresent(client, repository, attestationTag(digest)),
    blobExists(client, repository, digestOf(EMPTY_BLOB)),
  ]);
  const layersOf = (got: typeof sig, tag: string, ok: (m: ReturnType<typeof parseArtifactManifest>) => boolean, kind: string): Desc[] => {
    if (!got) return [];
    const what = `${client.registry}/${repository}:${tag}`;
    let m;
    try {
      m = parseArtifactManifest(got.bytes, what);
    } catch (err) {
      throw new ShipshapeError('conflict', `${what} exists but is not a cosign ${kind} (${(err as Error).message}); remove that tag first`);
    }
    if (!ok(m)) throw new ShipshapeError('conflict', `${what} exists but is not a cosign ${kind} (layers: ${m.layers.map((l) => l.mediaType).join(', ') || 'none'}); remove that tag first`);
    return m.layers;
  };
  return {
    api: refs.api,
    referrers: refs.manifests,
    signatureLayers: layersOf(sig, signatureTag(digest), isCosignSignatureManifest, 'signature'),
    attestationLayers: layersOf(att, attestationTag(digest), isCosignAttestationManifest, 'attestation'),
    emptyBlob,
  };
}

/** The manifests attach() pushes beside the referrers (cosign's tags, without the API), each extended with what is new. */
function cosignTags(digest: string, a: Attachments, st: AttachState): Array<{ tag: string; m: ManifestOut }> {
  const tagged: Array<{ tag: string; m: ManifestOut }> = [];
  if (!st.api && a.signature) {
    const layers = [...st.signatureLayers.filter((l) => l.digest !== a.signature!.desc.digest), a.signature.desc];
    tagged.push({ tag: signatureTag(digest), m: cosignTagManifest(layers) });
  }
  if (!st.api && a.attestations.length) {
    const added = a.attestations.map((x) => x.layer);
    const layers = [...st.attestationLayers.filter((l) => !added.some((n) => n.desc.digest === l.digest)), ...added.map((x) => x.desc)];
    tagged.push({ tag: attestationTag(digest), m: cosignTagManifest(layers) });
  }
  return tagged;
}

/**
 * The blobs attach() uploads, each once: signed payloads are new by nature, so they go without a
 * HEAD first (a registry takes a blob it has again as a no-op); the shared empty `{}` only when
 * readAttachState did not find it. A caller may upload them itself (promote stages them).
 */
export function attachmentBlobs(digest: string, a: Attachments, st: AttachState): BlobOut[] {
  const blobs = [
    ...a.referrers.flatMap((r) => r.manifest.blobs),
    ...cosignTags(digest, a, st).flatMap((t) => t.m.blobs),
    ...(st.api ? [] : [...(a.signature ? [a.signature] : []), ...a.attestations.map((x) => x.layer)]),
  ];
  return [...new Map(blobs.map((b) => [b.desc.digest, b])).values()].filter((b) => !(st.emptyBlob && b.desc.mediaType === OCI_EMPTY));
}

/**
 * Pushes the attachments of `digest`; `state` is what readAttachState saw (re-read when absent).
 * `blobs`: a promise that the caller uploads attachmentBlobs() itself; the manifests wait for it.
 */
export async function attach(client: RegistryClient, repository: string, digest: string, a: Attachments, state?: AttachState, opts: { blobs?: Promise<unknown> } = {}): Promise<PushedArtifact[]> {
  const st = state ?? (await readAttachState(client, repository, digest));
  const pushed: PushedArtifact[] = [];
  const kindOf = (predicateType: string) => (predicateType.includes('cyclonedx') ? 'sbom-attestation' : 'attestation');
  const tagged = cosignTags(digest, a, st);
  // Every blob first, then the manifests naming them; the tags last.
  if (opts.blobs) await opts.blobs;
  else {
    const unique = attachmentBlobs(digest, a, st);
    let next = 0;
    const worker = async () => {
      for (let b = unique[next++]; b; b = unique[next++]) await uploadBlob(client, repository, b.desc.digest, b.data);
    };
    await Promise.all(Array.from({ length: Math.min(8, unique.length) }, worker));
  }
  // Referrer manifests by digest (an OCI 1.1 registry indexes them by their subject) and, beside
  // them, cosign's tags (they name blobs only); the referrers tag schema index after what it lists.
  const tagsPut = Promise.all(tagged.map((t) => putManifest(client, repository, t.tag, t.m.mediaType, t.m.bytes)));
  tagsPut.catch(() => undefined);
  await Promise.all([tagsPut, ...a.referrers.map((r) => putManifest(client, repository, r.manifest.digest, r.manifest.mediaType, r.manifest.bytes))]);
  for (const r of a.referrers) {
    pushed.push({
      kind: r.kind === 'signature' ? 'signature' : kindOf(r.predicateType ?? ''),
      digest: r.manifest.digest,
      stored: [st.api ? 'referrers' : `${referrersTag(digest)} (referrers tag schema)`],
      ...(r.predicateType ? { predicateType: r.predicateType } : {}),
    });
  }
  if (st.api) return pushed;
  const index = referrersIndex(st.referrers, a.referrers.map((r) => r.desc));
  await putManifest(client, repository, referrersTag(digest), index.mediaType, index.bytes);
  pushed.push({ kind: 'referrers-index', digest: index.digest, stored: [referrersTag(digest)] });
  for (const t of tagged) {
    if (t.tag === signatureTag(digest)) pushed.push({ kind: 'signature', digest: t.m.digest, stored: [t.tag] });
    else for (const x of a.attestations) pushed.push({ kind: kindOf(x.predicateType), digest: x.layer.desc.digest, stored: [t.tag], predicateType: x.predicateType });
  }
  return pushed;
}
