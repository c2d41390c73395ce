/** The feeds area's public surface: the Feed interface, the registry, each feed's factory and the download helper. */
export type { AnyFeed, Feed, FeedFetchOptions, FeedInfo, ScoreFeed } from './types.js';
export { feeds, getFeed } from './registry.js';
export { download, mirrorUrl, cachePath, type DownloadOptions, type DownloadResult } from './http.js';
export { alpineSecdbFeed, alpineNamespace, type AlpineSecdbOptions } from './alpine-secdb/index.js';
export { debianTrackerFeed, debianNamespace, DEBIAN_RELEASES, type DebianTrackerOptions } from './debian-tracker/index.js';
export { nvdFeed, type NvdFeedOptions } from './nvd/index.js';
