/** Public surface of the registry client: what other areas may use. */
export { RegistryClient, MAX_MANIFEST_BYTES, type RegistryRequest } from './client.js';
export { resolveManifest, type ResolvedManifest } from './manifests.js';
export { resolveCredentials, sameRegistry, dockerConfigCredentials, dockerConfigPath, DOCKER_HUB_SERVER } from './credentials.js';
export { parseChallenges, type Challenge } from './auth.js';
export { blobBudgetMs, endpointHost, DEFAULT_TIMEOUT_MS, type HttpResponse } from './transport.js';
export { repositoryScope, type Credentials, type FetchedManifest, type ManifestHead, type RegistryOptions, type RetryOptions } from './types.js';
export { RegistryPool } from './pool.js';
