/** `shipshape key generate`: an ECDSA P-256 key pair, the private key in cosign's encrypted format (0600). */
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ShipshapeError } from '../errors.js';
import { newPassphrase } from './passphrase.js';

/** Writes a file with mode 0600 through a temp name, so a reader never sees half a key. */
function writeSecret(file: string, text: string, mode: number): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text, { mode, flag: 'wx' });
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw new ShipshapeError('io', `cannot write ${file}: ${(err as Error).message}`, { cause: err });
  }
}

export function registerKey(program: Command): void {
  const cmd = program.command('key').description('signing keys (ECDSA P-256, cosign-compatible)');
  cmd
    .command('generate')
    .description('make a key pair: PREFIX.key (encrypted with SHIPSHAPE_KEY_PASSWORD or a passphrase asked at the terminal) and PREFIX.pub')
    .option('-o, --output <prefix>', 'file name prefix', 'cosign')
    .option('--force', 'overwrite existing key files')
    .action(async (flags: { output: string; force?: boolean }) => {
      const keyFile = `${flags.output}.key`;
      const pubFile = `${flags.output}.pub`;
      for (const f of [keyFile, pubFile]) {
        if (existsSync(f) && !flags.force) throw new ShipshapeError('usage', `${f} exists: choose another --output or give --force`);
      }
      const passphrase = await newPassphrase();
      const { generateKeyPair } = await import('../attest/keys.js');
      const pair = generateKeyPair(passphrase);
      if (flags.force) for (const f of [keyFile, pubFile]) rmSync(f, { force: true });
      writeSecret(keyFile, pair.privatePem, 0o600);
      writeSecret(pubFile, pair.publicPem, 0o644);
      process.stderr.write(`Private key written to ${keyFile}\nPublic key written to ${pubFile} (key id ${pair.keyId})\n`);
    });
}
