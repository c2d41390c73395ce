/**
 * The scan pipeline, the one entry point used by every command: image → one pass over each layer
 * (cached by diff_id) → squashed filesystem → OS + catalogers → match → verdict → ScanReport.
 */
import { createHash } from 'node:crypto';
import { catalogAll, catalogers as defaultCatalogers, catalogersVersion, detectOs, wantedBy } from '../catalog/index.js';
import type { Cataloger } from '../catalog/types.js';
import { LayerCache } from '../cache/index.js';
import { openDb } from '../db/index.js';
import { ShipshapeError } from '../errors.js';
import { openImage, parseReference, squash, walkLayer } from '../image/index.js';
import { formatPlatform } from '../image/schema.js';
import type { FileView, ImageSource, LayerIndex, OpenOptions } from '../image/types.js';
import { matchPackages } from '../match/index.js';
import { severityRank, type Finding, type OsInfo, type Package, type ScanReport, type Severity, type Warning } from '../model/index.js';
import { getComparator } from '../version/index.js';

export interface ScanOptions {
  open?: OpenOptions;
  /** Advisory database file. */
  dbPath: string;
  /** Layer cache directory, or null for --no-cache. */
  cacheDir: string | null;
  catalogers?: readonly Cataloger[];
  /** Lowest severity that fails the verdict; null never fails on findings. */
  failOn?: Severity | null;
  /** Drop findings that have no fixed version yet. */
  ignoreUnfixed?: boolean;
  /** Refuse to scan with a database older than this many milliseconds. */
  maxDbAgeMs?: number;
  /** Warn when the database is older than this many milliseconds (default 7 days). */
  warnDbAgeMs?: number;
  /** How many layers are read at once. */
  concurrency?: number;
  /** Progress of layer reads. */
  onLayer?: (done: number, total: number, digest: string, cached: boolean) => void;
  now?: () => Date;
}

/** What one pass over an image's layers yields: inputs for catalogers, checks and SBOMs. */
export interface Inventory {
  layers: LayerIndex[];
  files: FileView;
  os: OsInfo | null;
  packages: Package[];
  warnings: Warning[];
}

const DAY_MS = 24 * 3600 * 1000;

/** Reads every layer once (or from the cache), squashes them and runs the catalogers. */
export async function inventory(
  image: ImageSource,
  opts: Pick<ScanOptions, 'cacheDir' | 'catalogers' | 'concurrency' | 'onLayer'>,
): Promise<Inventory> {
  const cats = opts.catalogers ?? defaultCatalogers;
  const want = wantedBy(cats);
  const version = catalogersVersion(cats);
  const cache = opts.cacheDir ? new LayerCache(opts.cacheDir) : null;
  const layers: LayerIndex[] = new Array(image.layers.length);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < image.layers.length) {
      const i = next++;
      const blob = image.layers[i]!;
      const key = createHash('sha256').update(`${blob.diffId}\0${version}`).digest('hex');
      let idx = cache?.get(key);
      const cached = idx !== undefined;
      if (!idx) {
        idx = await walkLayer(blob, want);
        cache?.put(key, idx);
      }
      layers[i] = idx;
      opts.onLayer?.(++done, image.layers.length, blob.digest, cached);
    }
  };
  const n = Math.max(1, Math.min(opts.concurrency ?? 2, image.layers.length));
  await Promise.all(Array.from({ length: n }, worker));

  const { view } = squash(layers);
  const os = detectOs(view);
  const result = await catalogAll(view, os, cats);
  return { layers, files: view, os, packages: sortPackages(result.packages), warnings: result.warnings };
}

export function sortPackages(packages: Package[]): Package[] {
  return packages.sort(
    (a, b) =>
      a.type.localeCompare(b.type) ||
      a.name.localeCompare(b.name) ||
      a.version.localeCompare(b.version) ||
      (a.locations[0]?.path ?? '').localeCompare(b.locations[0]?.path ?? ''),
  );
}

export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      (a.package?.name ?? '').localeCompare(b.package?.name ?? '') ||
      (a.package?.version ?? '').localeCompare(b.package?.version ?? '') ||
      (a.package?.type ?? '').localeCompare(b.package?.type ?? '') ||
      a.id.localeCompare(b.id) ||
      (a.locations[0]?.path ?? '').localeCompare(b.locations[0]?.path ?? ''),
  );
}

/** Pass unless a finding reaches `failOn`. */
export function verdictOf(findings: Finding[], failOn: Severity | null): ScanReport['verdict'] {
  if (!failOn) return { pass: true, failOn: null, reasons: [] };
  const over = findings.filter((f) => severityRank(f.severity) >= severityRank(failOn));
  const reasons = over.length ? [`${over.length} finding(s) at or above ${failOn}`] : [];
  return { pass: over.length === 0, failOn, reasons };
}

/** Scans one image reference end to end. */
export async function scanImage(reference: string, opts: ScanOptions): Promise<ScanReport> {
  const now = opts.now?.() ?? new Date();
  // The database is opened first: a bad --db fails before any layer is read.
  const db = openDb(opts.dbPath);
  try {
    const status = db.status();
    const warnings: Warning[] = [];
    const age = now.getTime() - Date.parse(status.builtAt);
    if (opts.maxDbAgeMs !== undefined && age > opts.maxDbAgeMs) {
      throw new ShipshapeError(
        'stale-db',
        `the database was built ${status.builtAt}, older than --max-db-age allows: run shipshape db update`,
      );
    }
    if (age > (opts.warnDbAgeMs ?? 7 * DAY_MS)) {
      warnings.push({ message: `the database was built ${status.builtAt} (${Math.floor(age / DAY_MS)} days ago): run shipshape db update` });
    }

    const ref = parseReference(reference);
    const image = await openImage(ref, opts.open ?? {});
    try {
      const inv = await inventory(image, opts);
      const matched = matchPackages(inv.packages, inv.os, db, { comparator: getComparator });
      let findings = matched.findings;
      if (opts.ignoreUnfixed) findings = findings.filter((f) => f.fixedVersion !== null);
      sortFindings(findings);
      const platform =
        image.config.os && image.config.architecture
          ? formatPlatform({ os: image.config.os, architecture: image.config.architecture, ...(image.config.variant ? { variant: image.config.variant } : {}) })
          : undefined;
      return {
        schemaVersion: 1,
        image: {
          reference: ref.name,
          digest: image.digest,
          configDigest: image.configDigest,
          ...(platform ? { platform } : {}),
          layers: image.layers.map((l) => l.diffId),
        },
        os: inv.os,
        packages: inv.packages,
        findings,
        warnings: [...warnings, ...inv.warnings, ...matched.warnings],
        db: { builtAt: status.builtAt, digest: status.digest, schemaVersion: status.schemaVersion },
        verdict: verdictOf(findings, opts.failOn ?? null),
      };
    } finally {
      await image.close();
    }
  } finally {
    db.close();
  }
}
