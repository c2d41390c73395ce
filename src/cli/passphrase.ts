/** Key passphrases: SHIPSHAPE_KEY_PASSWORD (or cosign's COSIGN_PASSWORD), else asked at the terminal without echo. */
import { ShipshapeError } from '../errors.js';

/** Reads a line from the terminal with echo off; refuses when stdin is not a terminal. */
async function prompt(question: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    throw new ShipshapeError('usage', 'the key is encrypted and no terminal is attached: set SHIPSHAPE_KEY_PASSWORD');
  }
  process.stderr.write(question);
  stdin.setRawMode(true);
  stdin.resume();
  let line = '';
  try {
    return await new Promise<string>((resolve, reject) => {
      const onData = (d: Buffer) => {
        for (const ch of d.toString('utf8')) {
          if (ch === '\r' || ch === '\n') {
            stdin.off('data', onData);
            return resolve(line);
          }
          if (ch === '\u0003') {
            stdin.off('data', onData);
            return reject(new ShipshapeError('usage', 'interrupted'));
          }
          if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1);
          else line += ch;
        }
      };
      stdin.on('data', onData);
    });
  } finally {
    stdin.setRawMode(false);
    stdin.pause();
    process.stderr.write('\n');
  }
}

function fromEnv(): string | undefined {
  return process.env.SHIPSHAPE_KEY_PASSWORD ?? process.env.COSIGN_PASSWORD;
}

/** The passphrase the environment gives, if any. */
export function passphraseFromEnv(): string | undefined {
  return fromEnv();
}

/** Is the passphrase asked at the terminal (nothing in the environment)? */
export function passphraseFromTerminal(): boolean {
  return fromEnv() === undefined;
}

/** The passphrase to decrypt a key with. */
export async function readPassphrase(file: string): Promise<string> {
  return fromEnv() ?? prompt(`Enter passphrase for ${file}: `);
}

/** A new passphrase, asked twice at a terminal. */
export async function newPassphrase(): Promise<string> {
  const env = fromEnv();
  if (env !== undefined) return env;
  const a = await prompt('Enter passphrase for the new private key: ');
  const b = await prompt('Enter it again: ');
  if (a !== b) throw new ShipshapeError('usage', 'the passphrases do not match');
  return a;
}
