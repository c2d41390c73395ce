/**
 * Checking signatures without a registry: a cosign simple-signing payload and its signature, a DSSE
 * envelope and its in-toto statement, against a list of trusted public keys. Never imports signing.
 */
import { createHash, verify as verifySig, type KeyObject } from 'node:crypto';
import { decodeBase64, IN_TOTO_PAYLOAD_TYPE, pae } from './dsse.js';
import { keyIdOf, parsePublicKey } from './keys.js';
import { SIMPLE_SIGNING_TYPE } from './simple-signing.js';
import type { DsseEnvelope, InTotoStatement } from './types.js';

export interface TrustedKey {
  key: KeyObject;
  keyId: string;
}

/** Parses the PEM texts of VerifyOptions.keys once. */
export function trustedKeys(pems: string[]): TrustedKey[] {
  return pems.map((pem, i) => {
    // A server verifies with the same keys on every lookup: each PEM is parsed once (errors are not kept).
    const known = parsedKeys.get(pem);
    if (known) return known;
    const key = parsePublicKey(pem, `trusted key #${i + 1}`);
    const k = { key, keyId: keyIdOf(key) };
    if (parsedKeys.size >= MAX_PARSED_KEYS) parsedKeys.delete(parsedKeys.keys().next().value!);
    parsedKeys.set(pem, k);
    return k;
  });
}
const MAX_PARSED_KEYS = 256;
const parsedKeys = new Map<string, TrustedKey>();

/**
 * Signatures already seen to verify, by key id (a hash of the key), a sha256 of the signed bytes and
 * the signature: the check is a pure function of those, so a server looking at the same signature
 * again (cold cache, the same image) skips the ECDSA verification (~0.1 ms each). Only successes are
 * kept, in a bounded map: a forged signature is checked every time and cannot evict much.
 */
const MAX_VERIFIED = 4096;
const verified = new Set<string>();

/** The id of the first trusted key that verifies `sig` (base64 DER ECDSA) over `data`, or undefined. */
export function verifiedBy(data: Buffer, sigB64: string, keys: TrustedKey[]): string | undefined {
  const sig = decodeBase64(sigB64);
  if (!sig.length) return undefined;
  const seen = `${createHash('sha256').update(data).digest('hex')}|${sig.toString('base64')}`;
  for (const k of keys) {
    if (verified.has(`${k.keyId}|${seen}`)) return k.keyId;
  }
  for (const k of keys) {
    try {
      if (verifySig('sha256', data, k.key, sig)) {
        if (verified.size >= MAX_VERIFIED) verified.delete(verified.values().next().value!);
        verified.add(`${k.keyId}|${seen}`);
        return k.keyId;
      }
    } catch {
      // a malformed signature verifies under no key
    }
  }
  return undefined;
}

export type Checked<T> = { ok: true; keyId: string; value: T } | { ok: false; reason: string };

/** A cosign signature: signed by a trusted key, of type cosign, naming `digest`. */
export function checkSimpleSigning(payload: Buffer, sigB64: string, keys: TrustedKey[], digest: string): Checked<null> {
  const keyId = verifiedBy(payload, sigB64, keys);
  if (!keyId) return { ok: false, reason: 'signature does not verify with any trusted key' };
  let doc: { critical?: { type?: string; image?: Record<string, unknown> } };
  try {
    doc = JSON.parse(payload.toString('utf8')) as typeof doc;
  } catch {
    return { ok: false, reason: 'signed payload is not JSON' };
  }
  if (doc?.critical?.type !== SIMPLE_SIGNING_TYPE) return { ok: false, reason: `signed payload is not a cosign signature (type ${String(doc?.critical?.type)})` };
  // containers/image writes Docker-manifest-digest; cosign reads it case-insensitively.
  const image = doc.critical.image ?? {};
  const named = Object.entries(image).find(([k]) => k.toLowerCase() === 'docker-manifest-digest')?.[1];
  if (named !== digest) return { ok: false, reason: `signature is for ${String(named)}, not ${digest}` };
  return { ok: true, keyId, value: null };
}

/** A DSSE envelope holding an in-toto statement: signed by a trusted key, naming `digest` as a subject, of `predicateType`. */
export function checkStatementEnvelope<P>(env: DsseEnvelope, keys: TrustedKey[], digest: string, predicateType: string): Checked<InTotoStatement<P>> {
  if (env.payloadType !== IN_TOTO_PAYLOAD_TYPE) return { ok: false, reason: `envelope payload type is ${env.payloadType}, not in-toto` };
  const payload = decodeBase64(env.payload);
  const signed = pae(env.payloadType, payload);
  let keyId: string | undefined;
  for (const s of env.signatures) {
    keyId = verifiedBy(signed, s.sig, keys);
    if (keyId) break;
  }
  if (!keyId) return { ok: false, reason: 'attestation signature does not verify with any trusted key' };
  let st: InTotoStatement<P>;
  try {
    st = JSON.parse(payload.toString('utf8')) as InTotoStatement<P>;
  } catch {
    return { ok: false, reason: 'attestation payload is not JSON' };
  }
  if (!/^https:\/\/in-toto\.io\/Statement\/v(1|0\.1)$/.test(String(st?._type))) return { ok: false, reason: `attestation is not an in-toto statement (_type ${String(st?._type)})` };
  if (st.predicateType !== predicateType) return { ok: false, reason: `attestation predicate type is ${String(st.predicateType)}, not ${predicateType}` };
  const [alg, hex] = digest.split(':') as [string, string];
  const subjects = Array.isArray(st.subject) ? st.subject : [];
  if (!subjects.some((s) => s?.digest?.[alg] === hex)) {
    const other = subjects.map((s) => Object.entries(s?.digest ?? {}).map(([a, h]) => `${a}:${h}`).join(',')).join(' ');
    return { ok: false, reason: `attestation subject is ${other || 'empty'}, not ${digest}` };
  }
  return { ok: true, keyId, value: st };
}
