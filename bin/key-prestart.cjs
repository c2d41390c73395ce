// Starts the scrypt of a cosign-encrypted signing key (promote, attest) before the bundle loads.
// cosign's N=32768 costs ~90 ms of CPU; begun here, in libuv's thread pool, it runs while this
// process compiles the bundle on the main thread, a time when the second core has nothing to do.
// Nothing is decided here: src/attest/keys.ts takes the result only for the very same passphrase,
// salt and parameters (anything odd here is skipped silently, and keys.ts says what is wrong).
'use strict';
const { scrypt } = require('node:crypto');
const { openSync, readSync, closeSync } = require('node:fs');

const SLOT = Symbol.for('shipshape.prestartedScrypt');
// The same bounds as src/attest/keys.ts: a key file asking for more is refused there, and not begun here.
const MAX_KEY_FILE_BYTES = 64 << 10;
const MAX_SCRYPT_N = 1 << 20;
const LABELS = /-----BEGIN (ENCRYPTED SIGSTORE PRIVATE KEY|ENCRYPTED COSIGN PRIVATE KEY)-----([\s\S]*?)-----END \1-----/;

/** The value of --key/-k in `args` (commander's spellings: `--key F`, `--key=F`, `-k F`, `-kF`). */
function keyArgument(args) {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--') return undefined;
    if (a === '--key' || a === '-k') return args[i + 1];
    if (a.startsWith('--key=')) return a.slice('--key='.length);
    if (a.startsWith('-k') && a.length > 2 && !a.startsWith('--')) return a.slice(2);
  }
  return undefined;
}

function readSmall(file) {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(MAX_KEY_FILE_BYTES + 1);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return n > MAX_KEY_FILE_BYTES ? undefined : buf.subarray(0, n).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/** `args`: the command line after `node bin/shipshape`; `command`: its first word. */
function prestartKey(command, args, env) {
  if (command !== 'promote' && command !== 'attest') return;
  const passphrase = env.SHIPSHAPE_KEY_PASSWORD ?? env.COSIGN_PASSWORD;
  const file = keyArgument(args);
  if (passphrase === undefined || !file) return;
  try {
    const text = readSmall(file);
    const m = text && LABELS.exec(text);
    if (!m) return;
    const doc = JSON.parse(Buffer.from(m[2].replace(/\s+/g, ''), 'base64').toString('utf8'));
    const { N, r, p } = doc?.kdf?.params ?? {};
    if (doc?.kdf?.name !== 'scrypt' || typeof doc.kdf.salt !== 'string') return;
    if (![N, r, p].every((x) => Number.isInteger(x) && x > 0) || N > MAX_SCRYPT_N || (N & (N - 1)) !== 0 || r > 32 || p > 16) return;
    const salt = Buffer.from(doc.kdf.salt, 'base64');
    const key = new Promise((resolve) => {
      scrypt(Buffer.from(passphrase, 'utf8'), salt, 32, { N, r, p, maxmem: 256 * N * r + (1 << 20) }, (err, derived) => resolve(err ? undefined : derived));
    });
    globalThis[SLOT] = { passphrase, salt, N, r, p, key };
  } catch {
    // not a key this can start on: keys.ts reads it and says why
  }
}

module.exports = { prestartKey, keyArgument };
