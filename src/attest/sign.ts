/** Signing with a loaded key: raw ECDSA-SHA256 (ASN.1 DER, base64) over a cosign payload or a DSSE PAE. */
import { sign } from 'node:crypto';
import { pae } from './dsse.js';
import type { DsseEnvelope, SigningKey } from './types.js';

/** ECDSA P-256 over SHA-256, DER-encoded as cosign and openssl write it; base64. */
export function signBytes(key: SigningKey, data: Buffer): string {
  return sign('sha256', data, key.privateKey).toString('base64');
}

/** A DSSE envelope with one signature over PAE(payloadType, payload). */
export function signEnvelope(key: SigningKey, payloadType: string, payload: Buffer): DsseEnvelope {
  return {
    payloadType,
    payload: payload.toString('base64'),
    signatures: [{ keyid: key.keyId, sig: signBytes(key, pae(payloadType, payload)) }],
  };
}
