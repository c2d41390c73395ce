/** Re-attestation on a verdict flip: promote's attest() with the configured key, by digest, with the re-matched report. */
import { ShipshapeError } from '../errors.js';
import type { WatchEntry } from './config.js';
import type { AttestFn } from './engine.js';

/**
 * The attest function the monitor calls after a verdict flip. promote's attest() (src/attest,
 * issue 12) is not in this build yet: a configured key is refused at start-up rather than
 * silently not re-attesting.
 */
export async function attestWithKey(keyPath: string, _watch: WatchEntry[]): Promise<AttestFn> {
  throw new ShipshapeError('usage', `attest.key ${keyPath}: re-attestation needs shipshape's attest() (the promote issue), which this build does not have yet`);
}
