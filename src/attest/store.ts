/**
 * Storing signatures and attestations beside an image digest in a registry (docs/signatures.md):
 * OCI 1.1 referrers when the registry answers the referrers API, else the referrers tag schema
 * index AND cosign's `.sig` / `.att` tags, appended to what is there.
 */
import { ShipshapeError } from '../errors.js';
import type { RegistryClient } from '../registry/client.js';
import { fetchReferrers, getManifestIfPresent } from '../registry/referrers.js';
import { putManifest, uploadBlobIfMissing } from '../registry/upload.js';
import type { Attachments } from './artifacts.js';
import {
  attestationTag,
  cosignTagManifest,
  isCosignAttestationManifest,
  isCosignSignatureManifest,
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
}

/** Reads the referrers and the cosign tags of `digest`; a `.sig`/`.att` tag that is not cosign's is a conflict. */
export async function readAttachState(client: RegistryClient, repository: string, digest: string): Promise<AttachState> {
  const [refs, sig, att] = await Promise.all([
    fetchReferrers(client, repository, digest),
    getManifestIfPresent(client, repository, signatureTag(digest)),
    getManifestIfPresent(client, repository, attestationTag(digest)),
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
  };
}

async function pushManifestWithBlobs(client: RegistryClient, repository: string, m: ManifestOut, reference: string, blobs: BlobOut[] = m.blobs): Promise<void> {
  for (const b of blobs) await uploadBlobIfMissing(client, repository, b.desc.digest, b.data);
  await putManifest(client, repository, reference, m.mediaType, m.bytes);
}

/** Pushes the attachments of `digest`; `state` is what readAttachState saw (re-read when absent). */
export async function attach(client: RegistryClient, repository: string, digest: string, a: Attachments, state?: AttachState): Promise<PushedArtifact[]> {
  const st = state ?? (await readAttachState(client, repository, digest));
  const pushed: PushedArtifact[] = [];
  // Referrer manifests: by digest; an OCI 1.1 registry indexes them by their subject.
  for (const r of a.referrers) {
    await pushManifestWithBlobs(client, repository, r.manifest, r.manifest.digest);
    pushed.push({
      kind: r.kind === 'signature' ? 'signature' : r.predicateType?.includes('cyclonedx') ? 'sbom-attestation' : 'attestation',
      digest: r.manifest.digest,
      stored: [st.api ? 'referrers' : `${referrersTag(digest)} (referrers tag schema)`],
      ...(r.predicateType ? { predicateType: r.predicateType } : {}),
    });
  }
  if (st.api) return pushed;

  // No referrers API: the tag schema index, then cosign's tags, each extended with what is new.
  const index = referrersIndex(st.referrers, a.referrers.map((r) => r.desc));
  await putManifest(client, repository, referrersTag(digest), index.mediaType, index.bytes);
  pushed.push({ kind: 'referrers-index', digest: index.digest, stored: [referrersTag(digest)] });
  if (a.signature) {
    const layers = [...st.signatureLayers.filter((l) => l.digest !== a.signature!.desc.digest), a.signature.desc];
    const m = cosignTagManifest(layers);
    await pushManifestWithBlobs(client, repository, m, signatureTag(digest), [...m.blobs, a.signature]);
    pushed.push({ kind: 'signature', digest: m.digest, stored: [signatureTag(digest)] });
  }
  if (a.attestations.length) {
    const added = a.attestations.map((x) => x.layer);
    const layers = [...st.attestationLayers.filter((l) => !added.some((n) => n.desc.digest === l.digest)), ...added.map((x) => x.desc)];
    const m = cosignTagManifest(layers);
    await pushManifestWithBlobs(client, repository, m, attestationTag(digest), [...m.blobs, ...added]);
    for (const x of a.attestations) {
      pushed.push({ kind: x.predicateType.includes('cyclonedx') ? 'sbom-attestation' : 'attestation', digest: x.layer.desc.digest, stored: [attestationTag(digest)], predicateType: x.predicateType });
    }
  }
  return pushed;
}
