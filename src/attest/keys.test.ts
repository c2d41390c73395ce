import { execFileSync, spawnSync } from 'node:child_process';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../test/helpers/shared.js';
import { checkSimpleSigning, checkStatementEnvelope, trustedKeys } from './check.js';
import { pae } from './dsse.js';
import { generateKeyPair, loadPublicKeys, loadSigningKey, parseSigningKey } from './keys.js';
import { simpleSigningPayload } from './simple-signing.js';
import { signBytes, signEnvelope } from './sign.js';
import { statement } from './statement.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'shipshape-keys-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

describe('cosign key vectors', () => {
  const dir = sharedPath('cosign-vectors');
  it.skipIf(!dir).each(['pemcosignkey', 'pemcosigneckey', 'pemsigstorekey'])('%s.key with password hello gives the .pub beside it', async (name) => {
    const key = await loadSigningKey(path.join(dir!, `${name}.key`), 'hello');
    const want = createPublicKey(readFileSync(path.join(dir!, `${name}.pub`), 'utf8')).export({ type: 'spki', format: 'pem' }).toString();
    expect(key.publicKeyPem).toBe(want);
  });
  it.skipIf(!dir)('a wrong passphrase is a bad-key error naming the file, not the key', async () => {
    const file = path.join(dir!, 'pemsigstorekey.key');
    const err = await loadSigningKey(file, 'wrong').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'bad-key' });
    expect(String((err as Error).message)).toMatch(/wrong passphrase/);
    expect(String((err as Error).message)).not.toMatch(/ENCRYPTED|eyJ/);
  });
});

describe('generated keys', () => {
  it('round-trip through the encrypted format; the label is the sigstore one', async () => {
    const pair = generateKeyPair('s3cret');
    expect(pair.privatePem).toMatch(/^-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n/);
    const key = await parseSigningKey(pair.privatePem, 's3cret', 'k');
    expect(key.publicKeyPem).toBe(pair.publicPem);
    expect(key.keyId).toBe(pair.keyId);
    await expect(parseSigningKey(pair.privatePem, 'other', 'k')).rejects.toThrow(/wrong passphrase/);
    await expect(parseSigningKey(pair.privatePem, undefined, 'k')).rejects.toThrow(/SHIPSHAPE_KEY_PASSWORD/);
  });

  it('plain PKCS#8 and SEC1 PEM are read; RSA and P-384 keys are refused', async () => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pkcs8 = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const sec1 = privateKey.export({ type: 'sec1', format: 'pem' }).toString();
    expect((await parseSigningKey(pkcs8, undefined, 'k')).keyId).toBe((await parseSigningKey(sec1, undefined, 'k')).keyId);
    const p384 = generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await expect(parseSigningKey(p384, undefined, 'k')).rejects.toThrow(/P-256 only/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    await expect(parseSigningKey(rsa, undefined, 'k')).rejects.toThrow(/rsa key/);
    await expect(parseSigningKey('not a key', undefined, 'k')).rejects.toThrow(/no private key PEM block/);
  });

  it('hostile scrypt parameters are refused before any work', async () => {
    const doc = { kdf: { name: 'scrypt', params: { N: 1 << 30, r: 8, p: 1 }, salt: 'AA==' }, cipher: { name: 'nacl/secretbox', nonce: 'AA==' }, ciphertext: 'AA==' };
    const pem = `-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\n${Buffer.from(JSON.stringify(doc)).toString('base64')}\n-----END ENCRYPTED COSIGN PRIVATE KEY-----\n`;
    await expect(parseSigningKey(pem, 'x', 'k')).rejects.toThrow(/out of the accepted range/);
  });

  it('public keys: a missing file and a private key are refused', async () => {
    await expect(loadPublicKeys([path.join(tmp, 'nope.pub')])).rejects.toThrow(/no such file/);
    const f = path.join(tmp, 'priv.pem');
    writeFileSync(f, generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }));
    await expect(loadPublicKeys([f])).rejects.toThrow(/no PUBLIC KEY/);
  });
});

describe('signatures verified by openssl', () => {
  const pair = generateKeyPair('pw');
  let key: Awaited<ReturnType<typeof parseSigningKey>>;
  beforeAll(async () => {
    key = await parseSigningKey(pair.privatePem, 'pw', 'k');
  });
  const other = generateKeyPair('pw');
  const pub = path.join(tmp, 'k.pub');
  const otherPub = path.join(tmp, 'other.pub');
  writeFileSync(pub, pair.publicPem);
  writeFileSync(otherPub, other.publicPem);
  const opensslVerify = (data: Buffer, sigB64: string, pubFile: string) => {
    writeFileSync(path.join(tmp, 'data'), data);
    writeFileSync(path.join(tmp, 'sig'), Buffer.from(sigB64, 'base64'));
    return spawnSync('openssl', ['dgst', '-sha256', '-verify', pubFile, '-signature', path.join(tmp, 'sig'), path.join(tmp, 'data')]).status;
  };
  const digest = `sha256:${'ab'.repeat(32)}`;

  it.skipIf(!hasOpenssl)('a simple-signing signature verifies with the key and not with another', () => {
    const payload = simpleSigningPayload('127.0.0.1:5000/app', digest);
    const sig = signBytes(key, payload);
    expect(opensslVerify(payload, sig, pub)).toBe(0);
    expect(opensslVerify(payload, sig, otherPub)).not.toBe(0);
    expect(checkSimpleSigning(payload, sig, trustedKeys([pair.publicPem]), digest)).toMatchObject({ ok: true, keyId: key.keyId });
    expect(checkSimpleSigning(payload, sig, trustedKeys([other.publicPem]), digest)).toMatchObject({ ok: false });
    expect(checkSimpleSigning(payload, sig, trustedKeys([pair.publicPem]), `sha256:${'cd'.repeat(32)}`)).toMatchObject({ ok: false, reason: expect.stringMatching(/not sha256:cdcd/) });
  });

  it.skipIf(!hasOpenssl)('a DSSE signature is over the PAE bytes, computed independently here', () => {
    const st = statement('r/app', [digest], 'https://example.com/p', { a: 1 });
    const payload = Buffer.from(JSON.stringify(st));
    const env = signEnvelope(key, 'application/vnd.in-toto+json', payload);
    const type = 'application/vnd.in-toto+json';
    const myPae = Buffer.concat([Buffer.from(`DSSEv1 ${type.length} ${type} ${payload.length} `), payload]);
    expect(pae(type, payload).equals(myPae)).toBe(true);
    expect(opensslVerify(myPae, env.signatures[0]!.sig, pub)).toBe(0);
    expect(opensslVerify(payload, env.signatures[0]!.sig, pub)).not.toBe(0);
    const keys = trustedKeys([other.publicPem, pair.publicPem]);
    expect(checkStatementEnvelope(env, keys, digest, 'https://example.com/p')).toMatchObject({ ok: true, keyId: key.keyId });
    expect(checkStatementEnvelope(env, keys, `sha256:${'00'.repeat(32)}`, 'https://example.com/p')).toMatchObject({ ok: false, reason: expect.stringMatching(/subject is sha256:abab.*not sha256:0000/) });
    expect(checkStatementEnvelope(env, keys, digest, 'https://other')).toMatchObject({ ok: false, reason: expect.stringMatching(/predicate type/) });
    const tampered = { ...env, payload: Buffer.from(JSON.stringify({ ...st, predicate: { a: 2 } })).toString('base64') };
    expect(checkStatementEnvelope(tampered, keys, digest, 'https://example.com/p')).toMatchObject({ ok: false, reason: expect.stringMatching(/does not verify/) });
  });

  it.skipIf(!hasOpenssl)('a key generated by openssl (SEC1 PEM) signs what openssl verifies', async () => {
    const f = path.join(tmp, 'ossl.key');
    execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', f]);
    execFileSync('openssl', ['ec', '-in', f, '-pubout', '-out', path.join(tmp, 'ossl.pub')], { stdio: 'ignore' });
    const k = await parseSigningKey(readFileSync(f, 'utf8'), undefined, 'k');
    const data = Buffer.from('hello');
    expect(opensslVerify(data, signBytes(k, data), path.join(tmp, 'ossl.pub'))).toBe(0);
  });
});

describe('a scrypt begun before the bundle loaded (bin/key-prestart.cjs)', () => {
  // The launcher's helper is CommonJS beside bin/shipshape; the test loads it as the launcher does.
  const { prestartKey, keyArgument } = createRequire(import.meta.url)('../../bin/key-prestart.cjs') as {
    prestartKey: (command: string | undefined, args: string[], env: Record<string, string | undefined>) => void;
    keyArgument: (args: string[]) => string | undefined;
  };
  const slot = Symbol.for('shipshape.prestartedScrypt');
  const g = globalThis as { [k: symbol]: unknown };
  afterEach(() => {
    delete g[slot];
  });

  it('finds --key as commander reads it', () => {
    expect(keyArgument(['promote', 'a', 'b', '--key', 'k1'])).toBe('k1');
    expect(keyArgument(['promote', '--key=k2'])).toBe('k2');
    expect(keyArgument(['promote', '-k', 'k3'])).toBe('k3');
    expect(keyArgument(['promote', '-kk4'])).toBe('k4');
    expect(keyArgument(['promote', '--', '--key', 'x'])).toBeUndefined();
  });

  it('is begun for promote and attest with a passphrase in the environment, and its key decrypts the file', async () => {
    const pair = generateKeyPair('s3cret');
    const f = path.join(tmp, 'pre.key');
    writeFileSync(f, pair.privatePem);
    prestartKey('scan', ['scan', '--key', f], { SHIPSHAPE_KEY_PASSWORD: 's3cret' });
    expect(g[slot]).toBeUndefined();
    prestartKey('promote', ['promote', '--key', f], {});
    expect(g[slot]).toBeUndefined();
    prestartKey('attest', ['attest', 'img', '--key', f], { COSIGN_PASSWORD: 's3cret' });
    expect(g[slot]).toBeDefined();
    expect((await loadSigningKey(f, 's3cret')).keyId).toBe(pair.keyId);
    // Taken once: the slot is empty after.
    expect(g[slot]).toBeUndefined();
  });

  it('is used only for the very same inputs: another passphrase or salt decrypts on its own', async () => {
    const pair = generateKeyPair('s3cret');
    const f = path.join(tmp, 'pre2.key');
    writeFileSync(f, pair.privatePem);
    // A prestarted result is trusted as given when the inputs match: a wrong one shows it was taken.
    prestartKey('promote', ['promote', '--key', f], { SHIPSHAPE_KEY_PASSWORD: 's3cret' });
    (g[slot] as { key: Promise<unknown> }).key = Promise.resolve(Buffer.alloc(32));
    await expect(loadSigningKey(f, 's3cret')).rejects.toThrow(/wrong passphrase/);
    // Begun with another passphrase: not taken, the file's own passphrase still works.
    prestartKey('promote', ['promote', '--key', f], { SHIPSHAPE_KEY_PASSWORD: 'other' });
    expect((await loadSigningKey(f, 's3cret')).keyId).toBe(pair.keyId);
    // Begun for another key file (another salt): not taken.
    const other = path.join(tmp, 'pre3.key');
    writeFileSync(other, generateKeyPair('s3cret').privatePem);
    prestartKey('promote', ['promote', '--key', other], { SHIPSHAPE_KEY_PASSWORD: 's3cret' });
    expect((await loadSigningKey(f, 's3cret')).keyId).toBe(pair.keyId);
  });

  it('hostile or odd key files are not begun on (keys.ts still refuses them)', async () => {
    const doc = { kdf: { name: 'scrypt', params: { N: 1 << 30, r: 8, p: 1 }, salt: 'AA==' }, cipher: { name: 'nacl/secretbox', nonce: 'AA==' }, ciphertext: 'AA==' };
    const f = path.join(tmp, 'hostile.key');
    writeFileSync(f, `-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\n${Buffer.from(JSON.stringify(doc)).toString('base64')}\n-----END ENCRYPTED COSIGN PRIVATE KEY-----\n`);
    prestartKey('promote', ['promote', '--key', f], { SHIPSHAPE_KEY_PASSWORD: 'x' });
    expect(g[slot]).toBeUndefined();
    for (const text of ['not a key', '-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\nbm90IGpzb24=\n-----END ENCRYPTED COSIGN PRIVATE KEY-----\n']) {
      writeFileSync(f, text);
      prestartKey('promote', ['promote', '--key', f], { SHIPSHAPE_KEY_PASSWORD: 'x' });
      expect(g[slot]).toBeUndefined();
    }
    writeFileSync(f, Buffer.alloc(70 << 10, 0x41));
    prestartKey('promote', ['promote', '--key', f], { SHIPSHAPE_KEY_PASSWORD: 'x' });
    expect(g[slot]).toBeUndefined();
    prestartKey('promote', ['promote', '--key', path.join(tmp, 'missing.key')], { SHIPSHAPE_KEY_PASSWORD: 'x' });
    expect(g[slot]).toBeUndefined();
  });
});
