/** What `db status` shows and a scan records: schema version, build time, content digest, per-feed provenance. */

export interface FeedStatus {
  id: string;
  /** A directory or the URLs the feed was read from. */
  source: string;
  fetchedAt: string;
  records: number;
  /** The releases/ecosystems the feed covers (`alpine:3.10`, `debian:11`), even those with no advisory. */
  namespaces: string[];
}

export interface DbStatus {
  path: string;
  schemaVersion: number;
  builtAt: string;
  /** sha256 over the advisory rows in canonical order: equal data gives an equal digest. */
  digest: string;
  feeds: FeedStatus[];
}
