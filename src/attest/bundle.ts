/**
 * A DSSE envelope as a Sigstore bundle v0.3 (https://github.com/sigstore/protobuf-specs,
 * sigstore_bundle.proto) with public-key verification material: no certificate, no transparency log.
 */
import type { DsseEnvelope } from './types.js';

export const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';

export interface SigstoreBundle {
  mediaType: typeof BUNDLE_MEDIA_TYPE;
  verificationMaterial: { publicKey: { hint: string }; tlogEntries: []; timestampVerificationData: { rfc3161Timestamps: [] } };
  dsseEnvelope: { payload: string; payloadType: string; signatures: Array<{ sig: string; keyid: string }> };
}

/** The bundle; `hint` names the key (its id) so a verifier can pick it from its trust material. */
export function toBundle(env: DsseEnvelope, keyId: string): SigstoreBundle {
  return {
    mediaType: BUNDLE_MEDIA_TYPE,
    verificationMaterial: { publicKey: { hint: keyId }, tlogEntries: [], timestampVerificationData: { rfc3161Timestamps: [] } },
    dsseEnvelope: { payload: env.payload, payloadType: env.payloadType, signatures: env.signatures.map((s) => ({ sig: s.sig, keyid: s.keyid })) },
  };
}
