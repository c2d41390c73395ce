/** Options and plain types of the registry client (OCI distribution API v2). */
import type { OpenOptions } from '../image/types.js';

/** Everything the registry client can be told; OpenOptions' registry fields plus knobs for tests and servers. */
export interface RegistryOptions
  extends Pick<OpenOptions, 'username' | 'password' | 'credentialsFor' | 'caCerts' | 'insecureRegistries' | 'timeoutMs' | 'dockerConfig'> {
  /** Environment to read SHIPSHAPE_* credentials, DOCKER_CONFIG, HOME and PATH from; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Retries on 429, 5xx and connection resets. */
  retry?: RetryOptions;
  /**
   * Keep the connection after a HEAD (undici closes it, for servers that wrongly send a body): set
   * by RegistryPool, whose long-lived clients would otherwise pay a TLS handshake per tag lookup,
   * and by promote for DEST (a HEAD per blob, then the uploads).
   */
  keepAliveAfterHead?: boolean;
  /** How long an idle connection is kept (undici's default: 4 s); RegistryPool keeps its longer. */
  keepAliveMs?: number;
  /** Told about non-fatal problems, e.g. a configured credential helper that is not installed. */
  onWarning?: (message: string) => void;
}

export interface RetryOptions {
  /** Total tries, the first included (default 4). */
  tries?: number;
  /** First backoff delay in ms, doubled each time, with jitter (default 500). */
  baseDelayMs?: number;
  /** Longest wait, for backoff and for a Retry-After header (default 30 000). */
  maxDelayMs?: number;
}

/** Credentials for one registry, and where they came from (said in error messages). */
export type Credentials =
  | { kind: 'basic'; username: string; password: string; source: string }
  /** An OAuth2 refresh token (docker config `identitytoken`, or a helper's `<token>` user). */
  | { kind: 'identity-token'; token: string; username?: string; source: string }
  /** A bearer token sent to the registry as is (SHIPSHAPE_REGISTRY_TOKEN). */
  | { kind: 'bearer'; token: string; source: string };

/** A manifest or index as fetched: the exact bytes, verified against `digest`. */
export interface FetchedManifest {
  digest: string;
  /** From the Content-Type header, else the document's own mediaType. */
  mediaType: string;
  bytes: Buffer;
}

export interface ManifestHead {
  digest: string;
  mediaType: string;
  size: number;
}

/** Access scope of a repository, as token servers spell it. */
export function repositoryScope(repository: string, actions: string = 'pull'): string {
  return `repository:${repository}:${actions}`;
}
