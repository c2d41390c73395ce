/**
 * ECDSA P-256 keys: generated and written in cosign's encrypted format (scrypt + NaCl secretbox,
 * https://github.com/sigstore/cosign/blob/main/pkg/cosign/keys.go), read back from that format
 * (both PEM labels), from plain PKCS#8 / SEC1 PEM, and public keys from PKIX PEM.
 * Key material is never put into an error message.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, scrypt, scryptSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import nacl from 'tweetnacl';
import { ShipshapeError } from '../errors.js';
import type { SigningKey } from './types.js';

export const COSIGN_PEM_LABELS = ['ENCRYPTED SIGSTORE PRIVATE KEY', 'ENCRYPTED COSIGN PRIVATE KEY'] as const;
/** What `key generate` writes: the label cosign has written since v2. */
export const WRITE_LABEL = 'ENCRYPTED SIGSTORE PRIVATE KEY';
/** cosign's own scrypt parameters. */
const SCRYPT = { N: 32768, r: 8, p: 1 };
/** A key file asking for more work than this is refused rather than letting it pin the CPU and memory. */
const MAX_SCRYPT_N = 1 << 20;
const MAX_KEY_FILE_BYTES = 64 << 10;

interface EncryptedKeyDoc {
  kdf: { name: string; params: { N: number; r: number; p: number }; salt: string };
  cipher: { name: string; nonce: string };
  ciphertext: string;
}

/** sha256 of the public key's PKIX DER, hex: the key id in results and DSSE signatures. */
export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex');
}

function assertP256(key: KeyObject, what: string): void {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    const kind = key.asymmetricKeyType === 'ec' ? `EC ${key.asymmetricKeyDetails?.namedCurve ?? 'unknown curve'}` : (key.asymmetricKeyType ?? 'unknown');
    throw new ShipshapeError('bad-key', `${what} is a ${kind} key; shipshape signs with ECDSA P-256 only`);
  }
}

function signingKeyOf(privateKey: KeyObject, what: string): SigningKey {
  assertP256(privateKey, what);
  const pub = createPublicKey(privateKey);
  return { privateKey, publicKeyPem: pub.export({ type: 'spki', format: 'pem' }).toString(), keyId: keyIdOf(pub) };
}

/** The PEM blocks of a text: label and base64-decoded body. */
function pemBlocks(text: string): Array<{ label: string; der: Buffer }> {
  const out: Array<{ label: string; der: Buffer }> = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) out.push({ label: m[1]!, der: Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64') });
  return out;
}

// Node's default maxmem (32 MiB) is below what cosign's N=32768, r=8 needs (128·N·r bytes).
const maxmem = (params: { N: number; r: number }) => 256 * params.N * params.r + (1 << 20);

function scryptKey(passphrase: string, salt: Buffer, params: { N: number; r: number; p: number }): Buffer {
  return scryptSync(Buffer.from(passphrase, 'utf8'), salt, 32, { ...params, maxmem: maxmem(params) });
}

/** A derivation bin/key-prestart.cjs began before the bundle loaded: its inputs, and the key it will give (undefined if it failed). */
interface Prestarted {
  passphrase: string;
  salt: Buffer;
  N: number;
  r: number;
  p: number;
  key: Promise<Buffer | undefined>;
}
const PRESTARTED = Symbol.for('shipshape.prestartedScrypt');

/** The prestarted derivation, taken (once) only if its inputs are exactly these. */
function takePrestarted(passphrase: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer | undefined> | undefined {
  const slot = globalThis as { [PRESTARTED]?: Prestarted };
  const pre = slot[PRESTARTED];
  if (!pre) return undefined;
  delete slot[PRESTARTED];
  const same = pre.passphrase === passphrase && pre.salt.equals(salt) && pre.N === params.N && pre.r === params.r && pre.p === params.p;
  return same ? pre.key : undefined;
}

/** The same, off the main thread: the CLI loads its modules meanwhile (or begun earlier still, by bin/shipshape). */
async function scryptKeyAsync(passphrase: string, salt: Buffer, params: { N: number; r: number; p: number }): Promise<Buffer> {
  const early = await takePrestarted(passphrase, salt, params);
  if (early) return early;
  return new Promise((resolve, reject) =>
    scrypt(Buffer.from(passphrase, 'utf8'), salt, 32, { ...params, maxmem: maxmem(params) }, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Encrypts a PKCS#8 DER private key as cosign does; returns the PEM text. */
export function encryptPrivateKey(pkcs8Der: Buffer, passphrase: string, label: string = WRITE_LABEL): string {
  const salt = randomBytes(32);
  const nonce = randomBytes(nacl.secretbox.nonceLength);
  const key = scryptKey(passphrase, salt, SCRYPT);
  const box = nacl.secretbox(new Uint8Array(pkcs8Der), new Uint8Array(nonce), new Uint8Array(key));
  key.fill(0);
  const doc: EncryptedKeyDoc = {
    kdf: { name: 'scrypt', params: SCRYPT, salt: salt.toString('base64') },
    cipher: { name: 'nacl/secretbox', nonce: nonce.toString('base64') },
    ciphertext: Buffer.from(box).toString('base64'),
  };
  const body = Buffer.from(JSON.stringify(doc)).toString('base64').replace(/(.{64})/g, '$1\n').trimEnd();
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

function parseEncryptedDoc(der: Buffer, what: string): EncryptedKeyDoc {
  let doc: EncryptedKeyDoc;
  try {
    doc = JSON.parse(der.toString('utf8')) as EncryptedKeyDoc;
  } catch {
    throw new ShipshapeError('bad-key', `${what}: the encrypted key is not cosign's JSON envelope`);
  }
  const p = doc?.kdf?.params;
  const ok =
    doc?.kdf?.name === 'scrypt' &&
    doc.cipher?.name === 'nacl/secretbox' &&
    typeof doc.kdf.salt === 'string' &&
    typeof doc.cipher.nonce === 'string' &&
    typeof doc.ciphertext === 'string' &&
    [p?.N, p?.r, p?.p].every((n) => Number.isInteger(n) && (n as number) > 0);
  if (!ok) throw new ShipshapeError('bad-key', `${what}: unsupported encrypted key (want kdf scrypt and cipher nacl/secretbox)`);
  if (p.N > MAX_SCRYPT_N || (p.N & (p.N - 1)) !== 0 || p.r > 32 || p.p > 16) {
    throw new ShipshapeError('bad-key', `${what}: scrypt parameters N=${p.N} r=${p.r} p=${p.p} are out of the accepted range`);
  }
  return doc;
}

/** Decrypts cosign's envelope to the DER private key inside it. */
export async function decryptPrivateKey(der: Buffer, passphrase: string, what: string): Promise<Buffer> {
  const doc = parseEncryptedDoc(der, what);
  const nonce = Buffer.from(doc.cipher.nonce, 'base64');
  if (nonce.length !== nacl.secretbox.nonceLength) throw new ShipshapeError('bad-key', `${what}: the secretbox nonce is ${nonce.length} bytes, not 24`);
  const key = await scryptKeyAsync(passphrase, Buffer.from(doc.kdf.salt, 'base64'), doc.kdf.params);
  const plain = nacl.secretbox.open(new Uint8Array(Buffer.from(doc.ciphertext, 'base64')), new Uint8Array(nonce), new Uint8Array(key));
  key.fill(0);
  if (!plain) throw new ShipshapeError('bad-key', `${what}: wrong passphrase (or the key file is corrupt)`);
  return Buffer.from(plain);
}

/** A DER private key: PKCS#8 first (what cosign writes), else SEC1 (what older cosign wrote for EC keys). */
function privateKeyFromDer(der: Buffer, what: string): KeyObject {
  for (const type of ['pkcs8', 'sec1'] as const) {
    try {
      return createPrivateKey({ key: der, format: 'der', type });
    } catch {
      // try the next encoding
    }
  }
  throw new ShipshapeError('bad-key', `${what}: the decrypted key is neither PKCS#8 nor SEC1 DER`);
}

function readKeyFile(file: string, what: string): string {
  let buf: Buffer;
  try {
    buf = readFileSync(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ShipshapeError('bad-key', `cannot read ${what} ${file}: ${code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (err as Error).message}`, { cause: err });
  }
  if (buf.length > MAX_KEY_FILE_BYTES) throw new ShipshapeError('bad-key', `${what} ${file} is ${buf.length} bytes: not a key file`);
  return buf.toString('utf8');
}

/** Does this private-key text need a passphrase? (cosign's envelope or an encrypted PKCS#8 key.) */
export function needsPassphrase(text: string): boolean {
  return pemBlocks(text).some((b) => (COSIGN_PEM_LABELS as readonly string[]).includes(b.label) || b.label === 'ENCRYPTED PRIVATE KEY');
}

/** Parses private-key PEM text: cosign's encrypted format (either label), PKCS#8, SEC1, or encrypted PKCS#8. */
export async function parseSigningKey(text: string, passphrase: string | undefined, what: string): Promise<SigningKey> {
  const blocks = pemBlocks(text);
  const block = blocks.find((b) => /PRIVATE KEY$/.test(b.label));
  if (!block) {
    const labels = blocks.map((b) => b.label).join(', ');
    throw new ShipshapeError('bad-key', `${what}: no private key PEM block${labels ? ` (found: ${labels})` : ''}`);
  }
  if ((COSIGN_PEM_LABELS as readonly string[]).includes(block.label)) {
    if (passphrase === undefined) throw new ShipshapeError('bad-key', `${what} is encrypted: set SHIPSHAPE_KEY_PASSWORD (or enter it at a terminal)`);
    const der = await decryptPrivateKey(block.der, passphrase, what);
    try {
      return signingKeyOf(privateKeyFromDer(der, what), what);
    } finally {
      der.fill(0);
    }
  }
  let key: KeyObject;
  try {
    const pem = `-----BEGIN ${block.label}-----\n${block.der.toString('base64')}\n-----END ${block.label}-----\n`;
    key = createPrivateKey(block.label === 'ENCRYPTED PRIVATE KEY' ? { key: pem, format: 'pem', passphrase: passphrase ?? '' } : { key: pem, format: 'pem' });
  } catch (err) {
    const bad = block.label === 'ENCRYPTED PRIVATE KEY' ? 'wrong passphrase, or not a readable key' : 'not a readable key';
    throw new ShipshapeError('bad-key', `${what}: ${block.label}: ${bad}`, { cause: err });
  }
  return signingKeyOf(key, what);
}

/** Reads a signing key from a file; `passphrase` for encrypted keys (the CLI gets it from SHIPSHAPE_KEY_PASSWORD or a prompt). */
export async function loadSigningKey(file: string, passphrase?: string): Promise<SigningKey> {
  return parseSigningKey(readKeyFile(file, 'key'), passphrase, `key ${file}`);
}

/** Parses a PKIX "PUBLIC KEY" PEM (ECDSA P-256). */
export function parsePublicKey(text: string, what: string): KeyObject {
  const block = pemBlocks(text).find((b) => b.label === 'PUBLIC KEY');
  if (!block) throw new ShipshapeError('bad-key', `${what}: no PUBLIC KEY PEM block`);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: block.der, format: 'der', type: 'spki' });
  } catch (err) {
    throw new ShipshapeError('bad-key', `${what}: not a readable public key`, { cause: err });
  }
  assertP256(key, what);
  return key;
}

/** Reads public keys (PEM text), checking each parses; the texts are what VerifyOptions.keys takes. */
export async function loadPublicKeys(files: string[]): Promise<string[]> {
  return files.map((f) => {
    const text = readKeyFile(f, 'public key');
    parsePublicKey(text, `public key ${f}`);
    return text;
  });
}

/** A new key pair: the encrypted private key PEM (cosign format) and the PKIX public key PEM. */
export function generateKeyPair(passphrase: string): { privatePem: string; publicPem: string; keyId: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const der = privateKey.export({ type: 'pkcs8', format: 'der' });
  try {
    return {
      privatePem: encryptPrivateKey(der, passphrase),
      publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
      keyId: keyIdOf(publicKey),
    };
  } finally {
    der.fill(0);
  }
}
