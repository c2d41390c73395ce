/** Promise wrappers over yauzl for reading zip archives held in memory, with limits against zip bombs. */
import type yauzl from 'yauzl';

export interface ZipLimits {
  /** Most entries listed per archive. */
  maxEntries: number;
  /** Largest single entry read (declared and actual uncompressed size). */
  maxEntryBytes: number;
}

/** Uncompressed bytes still allowed for one top-level archive and everything nested in it. */
export interface ZipBudget {
  bytesLeft: number;
}

export class ZipLimitError extends Error {}

export interface OpenZip {
  entries: yauzl.Entry[];
  read(entry: yauzl.Entry, maxBytes: number, budget: ZipBudget): Promise<Buffer>;
  close(): void;
}

/** Opens a zip and lists its entries; rejects on a bad zip or when there are more than maxEntries entries. */
export async function openZip(buf: Buffer, limits: ZipLimits): Promise<OpenZip> {
  // Loaded with the first archive: most images have no jar, and every scan loads this module.
  const { fromBuffer } = (await import('yauzl')).default;
  return new Promise((resolve, reject) => {
    fromBuffer(buf, { lazyEntries: true, validateEntrySizes: true, strictFileNames: false, decodeStrings: true }, (err, zip) => {
      if (err || !zip) return reject(err ?? new Error('cannot open zip'));
      if (zip.entryCount > limits.maxEntries) {
        zip.close();
        return reject(new ZipLimitError(`more than ${limits.maxEntries} entries (${zip.entryCount})`));
      }
      const entries: yauzl.Entry[] = [];
      zip.on('entry', (e: yauzl.Entry) => {
        entries.push(e);
        zip.readEntry();
      });
      zip.once('error', reject);
      zip.once('end', () => {
        zip.removeListener('error', reject);
        zip.on('error', () => {}); // later errors surface through read()
        resolve({ entries, read: (e, max, budget) => readEntry(zip, e, Math.min(max, limits.maxEntryBytes), budget), close: () => zip.close() });
      });
      zip.readEntry();
    });
  });
}

function readEntry(zip: yauzl.ZipFile, entry: yauzl.Entry, maxBytes: number, budget: ZipBudget): Promise<Buffer> {
  const limit = Math.min(maxBytes, budget.bytesLeft);
  if (entry.uncompressedSize > limit)
    return Promise.reject(new ZipLimitError(
        limit < maxBytes
          ? `${entry.uncompressedSize} bytes uncompressed, over what is left of the archive's read budget (${Math.max(limit, 0)})`
          : `${entry.uncompressedSize} bytes uncompressed, over the ${limit}-byte limit`,
      ));
  return new Promise((resolve, reject) => {
    zip.openReadStream(entry, (err, stream) => {
      if (err || !stream) return reject(err ?? new Error('cannot read entry'));
      const chunks: Buffer[] = [];
      let n = 0;
      stream.on('data', (c: Buffer) => {
        n += c.length;
        budget.bytesLeft -= c.length;
        // Declared sizes can lie: count what actually comes out.
        if (n > limit) {
          stream.destroy(new ZipLimitError(`more than ${limit} bytes uncompressed (the size in the zip headers lies)`));
          return;
        }
        chunks.push(c);
      });
      stream.once('error', reject);
      stream.once('end', () => resolve(Buffer.concat(chunks)));
    });
  });
}
