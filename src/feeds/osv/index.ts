/** OSV feeds and the OSV record converter: what the feed registry and the matcher use. */
export {
  osvFeed,
  goVulndbFeed,
  pypaFeed,
  rustsecFeed,
  ghsaFeed,
  ghsaNpmFeed,
  ghsaMavenFeed,
  OSV_BUCKET_URL,
  type OsvFeedSpec,
  type OsvFeedOptions,
} from './feed.js';
export { ECOSYSTEMS, ecosystemFromOsv, ecosystemFromNamespace, normalizePackageName, type EcosystemInfo } from './ecosystems.js';
export { convertOsvText, convertOsvRecord, eventsToRanges, emptyStats, type OsvStats, type ConvertOptions } from './parse.js';
export { zipEntries, DEFAULT_ZIP_LIMITS, type ZipLimits, type ZipFileEntry } from './zip.js';
export { OsvRecord } from './schema.js';
