/** Streams the files of a zip archive (OSV.dev's `all.zip`) one at a time, with size caps against zip bombs. */
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { ShipshapeError } from '../../errors.js';
import { download, feedDownloadOptions } from '../http.js';
import type { FeedFetchOptions } from '../types.js';

export interface ZipLimits {
  /** Largest uncompressed entry read; a bigger one is skipped with a warning. */
  maxEntryBytes: number;
  /** Largest uncompressed total; past it the archive is refused (ShipshapeError 'too-large'). */
  maxTotalBytes: number;
  /** Most entries looked at; past it the archive is refused. */
  maxEntries: number;
}

/** OSV records are a few KiB, the biggest (kernel CVEs) well under 1 MiB. */
export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxEntryBytes: 8 * 1024 * 1024,
  maxTotalBytes: 4 * 1024 * 1024 * 1024,
  maxEntries: 2_000_000,
};

export interface ZipFileEntry {
  name: string;
  data: Buffer;
}

/**
 * Yields the regular files of `file` whose name `want` accepts, in archive order. Sizes are
 * checked twice: the declared size before reading, and the bytes actually inflated while
 * reading (a lying header cannot get past the cap; yauzl also validates declared sizes).
 */
export async function* zipEntries(
  file: string,
  want: (name: string) => boolean,
  limits: ZipLimits = DEFAULT_ZIP_LIMITS,
  onWarning?: (message: string) => void,
): AsyncGenerator<ZipFileEntry> {
  let zip: ZipFile;
  try {
    zip = await yauzl.openPromise(file, { lazyEntries: true, autoClose: false, validateEntrySizes: true, strictFileNames: false });
  } catch (err) {
    throw new ShipshapeError('bad-feed', `${file}: not a zip archive: ${(err as Error).message}`, { cause: err });
  }
  let total = 0;
  let count = 0;
  try {
    for (;;) {
      const entry = await nextEntry(zip, file);
      if (!entry) return;
      if (++count > limits.maxEntries) {
        throw new ShipshapeError('too-large', `${file}: more than ${limits.maxEntries} entries: refused`);
      }
      if (entry.fileName.endsWith('/') || !want(entry.fileName)) continue;
      if (entry.uncompressedSize > limits.maxEntryBytes) {
        onWarning?.(`${file}: ${entry.fileName}: ${entry.uncompressedSize} bytes uncompressed, over the ${limits.maxEntryBytes}-byte cap: skipped`);
        continue;
      }
      const data = await readEntry(zip, entry, file, limits.maxEntryBytes, limits.maxTotalBytes - total);
      if (data === 'entry-too-large') {
        onWarning?.(`${file}: ${entry.fileName}: inflates past the ${limits.maxEntryBytes}-byte cap: skipped`);
        continue;
      }
      if (!Buffer.isBuffer(data)) {
        onWarning?.(`${file}: ${entry.fileName}: corrupt entry: ${data.corrupt}: skipped`);
        continue;
      }
      total += data.length;
      yield { name: entry.fileName, data };
    }
  } finally {
    zip.close();
  }
}

function nextEntry(zip: ZipFile, file: string): Promise<Entry | undefined> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      zip.off('entry', onEntry);
      zip.off('end', onEnd);
      zip.off('error', onError);
    };
    const onEntry = (e: Entry) => {
      cleanup();
      resolve(e);
    };
    const onEnd = () => {
      cleanup();
      resolve(undefined);
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new ShipshapeError('bad-feed', `${file}: corrupt zip archive: ${err.message}`, { cause: err }));
    };
    zip.on('entry', onEntry);
    zip.on('end', onEnd);
    zip.on('error', onError);
    zip.readEntry();
  });
}

/** Reads one entry, stopping as soon as it inflates past the entry cap or the remaining total. */
async function readEntry(
  zip: ZipFile,
  entry: Entry,
  file: string,
  maxEntry: number,
  remainingTotal: number,
): Promise<Buffer | 'entry-too-large' | { corrupt: string }> {
  let stream: NodeJS.ReadableStream;
  try {
    stream = await new Promise((resolve, reject) => zip.openReadStream(entry, (err, s) => (err ? reject(err) : resolve(s))));
  } catch (err) {
    throw new ShipshapeError('bad-feed', `${file}: ${entry.fileName}: cannot read: ${(err as Error).message}`, { cause: err });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > remainingTotal) {
        throw new ShipshapeError('too-large', `${file}: inflates past the total cap of the archive: refused (zip bomb?)`);
      }
      if (size > maxEntry) return 'entry-too-large';
      chunks.push(chunk);
    }
  } catch (err) {
    if (err instanceof ShipshapeError) throw err;
    // One corrupt entry (bad CRC, a size that lies) is one bad record: the rest of the archive is still readable.
    return { corrupt: (err as Error).message };
  } finally {
    (stream as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
  }
  return Buffer.concat(chunks, size);
}

/**
 * Downloads a repository archive (through --mirror when given) and yields its files whose name
 * `record` matches. An archive with none of them is not the feed it should be: 'bad-feed'.
 */
export async function* archiveFiles(
  url: string,
  opts: FeedFetchOptions,
  record: RegExp,
  what: string,
  limits: ZipLimits = DEFAULT_ZIP_LIMITS,
): AsyncGenerator<ZipFileEntry> {
  const got = await download(url, feedDownloadOptions(opts));
  let files = 0;
  for await (const entry of zipEntries(got.path, (n) => record.test(n), limits, opts.onWarning)) {
    opts.signal?.throwIfAborted();
    files++;
    yield entry;
  }
  if (files === 0) throw new ShipshapeError('bad-feed', `${url}: no ${what} files in the archive`);
}
