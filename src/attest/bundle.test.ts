import { createPublicKey } from 'node:crypto';
import { bundleFromJSON } from '@sigstore/bundle';
import { toSignedEntity, Verifier } from '@sigstore/verify';
import { beforeAll, describe, expect, it } from 'vitest';
import { toBundle } from './bundle.js';
import { IN_TOTO_PAYLOAD_TYPE } from './dsse.js';
import { generateKeyPair, parseSigningKey } from './keys.js';
import { signEnvelope } from './sign.js';
import { statement } from './statement.js';

/** sigstore-js, as a third party, checks our bundle with the public key as its only trust material. */
function sigstoreVerify(bundleJson: unknown, publicPem: string) {
  const key = createPublicKey(publicPem);
  const trust = {
    certificateAuthorities: [],
    timestampAuthorities: [],
    tlogs: [],
    ctlogs: [],
    publicKey: () => ({ publicKey: key, validFor: () => true }),
  };
  const verifier = new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 });
  return verifier.verify(toSignedEntity(bundleFromJSON(bundleJson)));
}

describe('Sigstore bundle v0.3', () => {
  const pair = generateKeyPair('pw');
  let key: Awaited<ReturnType<typeof parseSigningKey>>;
  beforeAll(async () => {
    key = await parseSigningKey(pair.privatePem, 'pw', 'k');
  });
  const st = statement('127.0.0.1/app', [`sha256:${'ab'.repeat(32)}`], 'https://shipshape.dev/attestations/scan/v1', { verdict: 'pass' });
  const env = () => signEnvelope(key, IN_TOTO_PAYLOAD_TYPE, Buffer.from(JSON.stringify(st)));

  it('verifies with @sigstore/verify and the public key', () => {
    const bundle = JSON.parse(JSON.stringify(toBundle(env(), key.keyId)));
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(() => sigstoreVerify(bundle, pair.publicPem)).not.toThrow();
  });

  it('fails with another key, and when the payload is changed', () => {
    const bundle = JSON.parse(JSON.stringify(toBundle(env(), key.keyId)));
    expect(() => sigstoreVerify(bundle, generateKeyPair('x').publicPem)).toThrow();
    bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify({ ...st, predicate: { verdict: 'fail' } })).toString('base64');
    expect(() => sigstoreVerify(bundle, pair.publicPem)).toThrow();
  });
});
