/** Re-attestation on a verdict flip: promote's attest() with the configured key, by digest, with the re-matched report. */
import { loadSigningKey } from '../attest/keys.js';
import { ShipshapeError } from '../errors.js';
import { attest } from '../promote/attest.js';
import type { RegistryOptions } from '../registry/index.js';
import type { WatchEntry } from './config.js';
import type { AttestFn } from './engine.js';
import { registryOptions } from './watch.js';

/**
 * Loads the key once (passphrase from SHIPSHAPE_KEY_PASSWORD or COSIGN_PASSWORD: a server has no
 * terminal to ask at) and returns the function the monitor calls after a flip: a new signed scan
 * attestation whose report is the re-matched one, so no layer is read.
 */
export async function attestWithKey(keyPath: string, watch: WatchEntry[], base: RegistryOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<AttestFn> {
  const passphrase = env.SHIPSHAPE_KEY_PASSWORD ?? env.COSIGN_PASSWORD;
  let key;
  try {
    key = await loadSigningKey(keyPath, passphrase);
  } catch (err) {
    if (err instanceof ShipshapeError) throw new ShipshapeError(err.code, `attest.key: ${err.message}`, { cause: err });
    throw err;
  }
  return async (image, report) => {
    const registry = image.slice(0, image.indexOf('/'));
    const w = watch.find((x) => x.registry === registry);
    await attest(image, { key, report, registry: w ? registryOptions(w, base) : base });
  };
}
