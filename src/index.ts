/** shipshape's library API: what other programs may import. */
export { ShipshapeError, type ErrorCode } from './errors.js';
export * from './model/index.js';
export { compareVersions } from './version/index.js';
export { scanImage, inventory, type ScanOptions, type Inventory } from './scan/index.js';
export { matchPackages, type AdvisorySource } from './match/index.js';
export { parseReference, openImage } from './image/index.js';
export { buildDb, openDb } from './db/index.js';
export { getReporter, reporters } from './report/index.js';
export { promote, parseDestination } from './promote/index.js';
export { attest } from './promote/attest.js';
export { verify } from './attest/verify.js';
export { loadSigningKey, loadPublicKeys, generateKeyPair } from './attest/keys.js';
export * from './attest/types.js';
