/**
 * cosign's signature payload: containers/image "simple signing" JSON
 * (https://github.com/containers/image/blob/main/docs/containers-signature.5.md, cosign SIGNATURE_SPEC.md).
 */
export const SIMPLE_SIGNING_TYPE = 'cosign container image signature';
export const SIMPLE_SIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const COSIGN_SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';

/** The exact bytes cosign signs for an image: field order as cosign's Go structs marshal them. */
export function simpleSigningPayload(dockerReference: string, digest: string, optional: Record<string, unknown> | null = null): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: { identity: { 'docker-reference': dockerReference }, image: { 'docker-manifest-digest': digest }, type: SIMPLE_SIGNING_TYPE },
      optional,
    }),
  );
}
