/** The one error type of shipshape: a `code` a caller can switch on, a message a user can read, a cause. */

export type ErrorCode =
  | 'usage' // bad flags or arguments
  | 'bad-reference' // an image reference that does not parse
  | 'bad-image' // malformed manifest, index, config, layout or archive
  | 'unsupported-media-type'
  | 'digest-mismatch' // content does not match the digest that names it
  | 'corrupt-layer' // truncated or corrupt compressed stream or tar
  | 'unsafe-path' // tar entry escaping the root
  | 'too-large' // a size limit (decompression bomb, oversized document)
  | 'not-found' // tag, blob, file or repository absent
  | 'unauthorized' // 401/403 from a registry, or bad credentials
  | 'network' // unreachable host, TLS failure, timeout, 5xx after retries
  | 'registry' // other unexpected registry answers
  | 'bad-feed' // a feed file or download that does not parse
  | 'bad-db' // a database file that is not shipshape's, or of another schema
  | 'stale-db' // the database is older than allowed
  | 'bad-policy'
  | 'bad-sbom' // an SBOM file that does not parse or is of an unsupported format/version
  | 'io' // file system errors
  | 'bad-key' // a signing or public key that cannot be read: wrong passphrase, not ECDSA P-256, not PEM
  | 'conflict' // the destination holds something else where we would write (a tag on another digest, a foreign .sig tag)
  | 'bad-request' // a malformed request to a shipshape server (answered 400)
  | 'bad-config' // a monitor config file that does not parse or validate
  | 'store' // the monitor's store (SQLite / PostgreSQL) failed or is of another schema
  | 'internal';

export class ShipshapeError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ShipshapeError';
    this.code = code;
  }
}

export function isShipshapeError(err: unknown): err is ShipshapeError {
  return err instanceof ShipshapeError;
}

/** One line for a user: the message of a ShipshapeError, or a short description of anything else. */
export function describeError(err: unknown): string {
  if (err instanceof ShipshapeError) return err.message;
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}
