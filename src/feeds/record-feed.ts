/**
 * A feed of one file per advisory (the Node.js Security WG, RubySec), read from a local checkout or
 * from the repository's zip archive: what those feeds share, so each keeps only its layout and parser.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Advisory } from '../model/index.js';
import { archiveFiles, type ZipLimits } from './osv/zip.js';
import type { Feed, FeedFetchOptions } from './types.js';
import { feedRuns, viaMirror, type Report } from './runs.js';

export interface RecordFeedSpec {
  id: string;
  dirName: string;
  /** Zip archive of the repository. */
  url: string;
  namespace: string;
  /** Which archive members are records, and how to name them in an error ("gems/<gem>/*.yml"). */
  record: RegExp;
  what: string;
  zipLimits?: ZipLimits;
  /** The record files of a local checkout, absolute and in a stable order; throws on a bad layout. */
  listDir(dir: string): Promise<string[]>;
  /** One record; undefined (after a warning) when it is malformed or names nothing to match. */
  parse(text: string, opts: { source: string; onWarning?: (message: string) => void }): Advisory | undefined;
  /** A record's source as a checkout would name it, from its archive member name. */
  sourceOf?(member: string): string;
}

export function recordFeed(spec: RecordFeedSpec): Feed {
  const warn = (opts: FeedFetchOptions) => (opts.onWarning ? { onWarning: opts.onWarning } : {});

  async function* fromDir(dir: string, opts: FeedFetchOptions, report: Report): AsyncGenerator<Advisory> {
    for (const file of await spec.listDir(dir)) {
      opts.signal?.throwIfAborted();
      const adv = spec.parse(await readFile(file, 'utf8'), { source: path.relative(dir, file), ...warn(opts) });
      if (adv) yield adv;
    }
    report({ source: dir, namespaces: [spec.namespace] });
  }

  async function* fromUpstream(opts: FeedFetchOptions, report: Report): AsyncGenerator<Advisory> {
    for await (const entry of archiveFiles(spec.url, opts, spec.record, spec.what, spec.zipLimits)) {
      const source = spec.sourceOf ? spec.sourceOf(entry.name) : entry.name;
      const adv = spec.parse(entry.data.toString('utf8'), { source, ...warn(opts) });
      if (adv) yield adv;
    }
    report({ source: viaMirror(spec.url, opts), namespaces: [spec.namespace] });
  }

  return {
    id: spec.id,
    dirName: spec.dirName,
    ...feedRuns({ fromDir, fromUpstream, upstream: spec.url }),
  };
}
