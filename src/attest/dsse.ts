/**
 * DSSE envelopes (https://github.com/secure-systems-lab/dsse/blob/master/envelope.md and
 * protocol.md): the pre-authentication encoding that is signed, and a schema for envelopes read
 * from a registry. Signing lives in sign.ts, checking in check.ts.
 */
import { z } from 'zod';
import { ShipshapeError } from '../errors.js';
import type { DsseEnvelope } from './types.js';

export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';
export const DSSE_MEDIA_TYPE = 'application/vnd.dsse.envelope.v1+json';

/** PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body, lengths in bytes as ASCII decimal. */
export function pae(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, 'utf8');
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

const b64 = z.string().regex(/^[A-Za-z0-9+/\-_]*={0,2}$/, 'not base64');
const envelopeSchema = z.object({
  payloadType: z.string().min(1),
  payload: b64,
  signatures: z.array(z.object({ keyid: z.string().optional(), sig: b64 }).passthrough()).min(1).max(16),
});

/** Parses an envelope read from outside; throws bad-image with `what` on anything malformed. */
export function parseEnvelope(bytes: Buffer | string, what: string): DsseEnvelope {
  let doc: unknown;
  try {
    doc = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch {
    throw new ShipshapeError('bad-image', `${what}: not a JSON DSSE envelope`);
  }
  const r = envelopeSchema.safeParse(doc);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new ShipshapeError('bad-image', `${what}: not a DSSE envelope (${i.path.join('.') || 'document'}: ${i.message})`);
  }
  return { payloadType: r.data.payloadType, payload: r.data.payload, signatures: r.data.signatures.map((s) => ({ keyid: s.keyid ?? '', sig: s.sig })) };
}

/** base64 or base64url, as DSSE allows either. */
export function decodeBase64(s: string): Buffer {
  return Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}
