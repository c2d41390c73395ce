/** The Feed interface: one implementation per advisory source, each able to read a local copy or download upstream. */
import type { Advisory, CveScore } from '../model/index.js';

export interface FeedFetchOptions {
  /**
   * A local directory holding the feed's files in their upstream layout (the folder of
   * ../shared/vulndata for this feed, e.g. `alpine-secdb/`). When absent the feed downloads.
   */
  dir?: string;
  /** Base URL replacing the upstream host(s) for downloads (air-gapped mirrors, tests). */
  mirror?: string;
  /** Where downloads and their ETag / Last-Modified validators are kept between runs. */
  cacheDir: string;
  /** Called with progress of long downloads (bytes done, bytes total or -1). */
  onProgress?: (done: number, total: number, label: string) => void;
  /** Per-record problems that do not stop the feed. */
  onWarning?: (message: string) => void;
  signal?: AbortSignal;
}

export interface FeedInfo {
  /** Where the data came from: a directory path or the URLs fetched. */
  source: string;
  /** The namespaces (releases) the last fetch covered, even those without any advisory. */
  namespaces?: string[];
}

export interface Feed {
  /** Advisory feeds say which package versions a flaw affects; score feeds (NVD) only rate flaws. */
  kind?: 'advisories';
  /** kebab-case id, stored with every advisory: alpine-secdb, debian-tracker */
  id: string;
  /** The folder name of this feed inside a vulndata directory (`db build --from DIR`). */
  dirName: string;
  /** Yields every advisory. Throws ShipshapeError('bad-feed') when the data does not parse. */
  fetch(opts: FeedFetchOptions): AsyncIterable<Advisory>;
  /** Describes the source used by the last fetch, for `db status`. */
  describe(opts: FeedFetchOptions): FeedInfo;
}

/**
 * A feed of CVSS scores per CVE (NVD): it names no package, so it matches nothing itself; the
 * matcher rates findings whose advisory feed gives no severity with it (docs/feeds.md).
 */
export interface ScoreFeed {
  kind: 'scores';
  id: string;
  dirName: string;
  /** Yields one score per CVE. Throws ShipshapeError('bad-feed') when the data does not parse. */
  fetch(opts: FeedFetchOptions): AsyncIterable<CveScore>;
  describe(opts: FeedFetchOptions): FeedInfo;
}

/** Any feed the registry lists. */
export type AnyFeed = Feed | ScoreFeed;
