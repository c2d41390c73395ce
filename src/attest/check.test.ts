/** verifiedBy(): a signature seen to verify is remembered only for the same key, bytes and signature. */
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { trustedKeys, verifiedBy } from './check.js';

const pair = () => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { pem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), privateKey };
};

describe('verifiedBy', () => {
  it('answers a repeated check the same; a remembered success never verifies other bytes, another signature or another key', () => {
    const a = pair();
    const b = pair();
    const [ka, kb] = trustedKeys([a.pem, b.pem]);
    const data = Buffer.from('{"critical":{}}');
    const sig = sign('sha256', data, a.privateKey).toString('base64');
    for (let i = 0; i < 3; i++) expect(verifiedBy(data, sig, [ka!])).toBe(ka!.keyId);
    expect(verifiedBy(Buffer.from('{"critical":{ }}'), sig, [ka!])).toBeUndefined();
    expect(verifiedBy(data, sig, [kb!])).toBeUndefined();
    expect(verifiedBy(data, sig, [kb!, ka!])).toBe(ka!.keyId);
    const other = sign('sha256', data, b.privateKey).toString('base64');
    expect(verifiedBy(data, other, [ka!])).toBeUndefined();
    expect(verifiedBy(data, other, [ka!, kb!])).toBe(kb!.keyId);
    // The same signature bytes written differently (base64 without padding) are the same signature.
    expect(verifiedBy(data, sig.replace(/=+$/, ''), [ka!])).toBe(ka!.keyId);
    expect(verifiedBy(data, '', [ka!])).toBeUndefined();
  });
});
