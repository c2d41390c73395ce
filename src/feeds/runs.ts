/** The fetch/describe pair every feed shares: a local copy or upstream, and what the last fetch read. */
import type { FeedFetchOptions, FeedInfo } from './types.js';

/** Called by a read when it is done with what it read (its source and namespaces). */
export type Report = (info: FeedInfo) => void;

export interface FeedReads<T> {
  fromDir(dir: string, opts: FeedFetchOptions, report: Report): AsyncIterable<T>;
  fromUpstream(opts: FeedFetchOptions, report: Report): AsyncIterable<T>;
  /** What describe() says before a fetch has reported: the directory given, or this. */
  upstream: string;
  /** Namespaces describe() says before a fetch has reported (score feeds: none). */
  namespaces?: string[];
}

/** `fetch` reads the directory given or upstream; `describe` returns that read's report once made. */
export function feedRuns<T>(reads: FeedReads<T>): {
  fetch(opts: FeedFetchOptions): AsyncIterable<T>;
  describe(opts: FeedFetchOptions): FeedInfo;
} {
  let last: FeedInfo | undefined;
  const report: Report = (info) => void (last = info);
  return {
    fetch(opts) {
      last = undefined;
      return opts.dir ? reads.fromDir(opts.dir, opts, report) : reads.fromUpstream(opts, report);
    },
    describe(opts) {
      return last ?? { source: opts.dir ?? reads.upstream, ...(reads.namespaces ? { namespaces: reads.namespaces } : {}) };
    },
  };
}

/** A download's source as reports name it: the upstream URL, and the mirror it came through. */
export function viaMirror(url: string, opts: FeedFetchOptions): string {
  return opts.mirror ? `${url} via ${opts.mirror}` : url;
}
