/**
 * The scan pipeline, the one entry point used by every command: image → one pass over each layer
 * (cached by diff_id) → squashed filesystem → OS + catalogers → match → verdict → ScanReport.
 */
import { catalogAll, catalogers as defaultCatalogers, catalogersVersion, detectOs, keptBy, wantedBy } from '../catalog/index.js';
import type { Cataloger } from '../catalog/types.js';
import { CHECKS_CACHE_VERSION, checks as allChecks, checksWant, runChecks, type Check, type CheckOptions } from '../check/index.js';
import { inventoryCacheKey, LayerCache, layerCacheKey } from '../cache/index.js';
import { memoizedCatalogers, squashImage } from './catalog-memo.js';
import { acquireDb } from './db-pool.js';
import { TOOL_VERSION } from '../report/common.js';
import type { AdvisoryDb } from '../db/open.js';
import { describeError, ShipshapeError } from '../errors.js';
import type { LintOptions } from '../check/dockerfile/index.js';
import { baseImageName } from '../check/outdated-base.js';
import { openImage, parseReference, walkLayer } from '../image/index.js';
import { formatPlatform } from '../image/schema.js';
import type { EntryMeta, FileView, ImageRef, ImageSource, LayerIndex, OpenOptions } from '../image/types.js';
import { matchMemoFor, matchPackages } from '../match/index.js';
// Only the verdict and the types are loaded up front: applying a policy (VEX schemas compiled
// with ajv) and reading SBOMs (zod) cost ~0.3 s of start-up, paid only by scans that use them.
import type { Policy } from '../policy/index.js';
import { verdictOf } from '../policy/verdict.js';
import { type Finding, type OsInfo, type Package, type ScanReport, type Severity, type Warning } from '../model/index.js';
import { getComparator } from '../version/index.js';
import { collate } from '../model/collate.js';

type SbomContents = ReturnType<typeof import('../sbom/index.js').readSbomFile>;

export interface ScanOptions {
  open?: OpenOptions;
  /** Advisory database file. */
  dbPath: string;
  /** Layer cache directory, or null for --no-cache. */
  cacheDir: string | null;
  catalogers?: readonly Cataloger[];
  /** Image checks to run and report (default all); `minimal` is judged regardless. */
  checks?: readonly Check[];
  checkOptions?: Partial<CheckOptions>;
  /** Also report (and match against language feeds) language packages that an OS package installed. */
  includeOsOwned?: boolean;
  /** Match lockfiles' development dependencies too (they are always in the inventory, marked `dev`). */
  includeDevDeps?: boolean;
  /** Lint this Dockerfile too: its findings (kind lint, with lines) join the report. */
  dockerfile?: { path: string; text: string; options?: LintOptions };
  /** outdated-base: read the base image's tags from its registry (needs network access to it). */
  checkRegistry?: boolean;
  /** Fail the verdict when the image is not minimal. */
  requireMinimal?: boolean;
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
  /** Applied to the finished report: ignore entries, VEX, --severity, and the verdict (src/policy). */
  policy?: Policy;
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

/** Layer walks under way in this process, by cache dir and key (a failed one is read again by each waiter). */
const walksInFlight = new Map<string, Promise<LayerIndex>>();

/** Reads every layer once (or from the cache), squashes them and runs the catalogers. */
export async function inventory(
  image: ImageSource,
  opts: Pick<ScanOptions, 'cacheDir' | 'catalogers' | 'concurrency' | 'onLayer' | 'includeOsOwned'>,
): Promise<Inventory> {
  const cats = opts.catalogers ?? defaultCatalogers;
  // Checks always keep what they need (a few small files), so the cache key does not depend on --checks.
  const catWant = wantedBy(cats);
  const checkWant = checksWant(allChecks);
  const want = (p: string, e: EntryMeta) => catWant(p, e) || checkWant(p, e);
  const catKeep = keptBy(cats);
  const keep = (p: string, e: EntryMeta, content: Buffer) => checkWant(p, e) || catKeep(p, e, content);
  const version = `${catalogersVersion(cats)}+${CHECKS_CACHE_VERSION}`;
  const cache = opts.cacheDir ? new LayerCache(opts.cacheDir) : null;
  const keys = image.layers.map((l) => layerCacheKey(l.diffId, version));
  // What the catalogers found is a function of the layers (their keys name the catalogers'
  // versions), the os-owned switch and the tool's version: cached whole, beside the layers.
  const inventoryKey = cache ? inventoryCacheKey(keys, `${TOOL_VERSION}\0includeOsOwned=${opts.includeOsOwned === true}`) : undefined;
  const known = inventoryKey ? cache?.getInventory<CachedInventory>(inventoryKey) : undefined;
  const layers: LayerIndex[] = new Array(image.layers.length);
  // Largest first: the biggest layer is the longest read, so it starts at once and the others
  // share the second core around it (the scan ends with the last read).
  const order = image.layers.map((_, i) => i).sort((a, b) => image.layers[b]!.size - image.layers[a]!.size || a - b);
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < order.length) {
      const i = order[next++]!;
      const blob = image.layers[i]!;
      const key = keys[i]!;
      let idx = cache?.get(key, blob.digest);
      let cached = idx !== undefined;
      if (!idx && cache) {
        // Another scan in this process is reading the same layer (images sharing a base): wait
        // for it rather than read it again.
        const shared = await walksInFlight.get(`${cache.dir}\0${key}`)?.catch(() => undefined);
        if (shared) idx = { ...shared, digest: blob.digest };
        cached = idx !== undefined;
      }
      if (!idx) {
        // In flight until its cache entry is in place: a sibling waiting for it then finds it.
        const walk = walkLayer(blob, want, undefined, keep).then(async (walked) => {
          await cache?.store(key, walked);
          return walked;
        });
        const flight = cache ? `${cache.dir}\0${key}` : undefined;
        if (flight) walksInFlight.set(flight, walk);
        try {
          idx = await walk;
        } finally {
          if (flight && walksInFlight.get(flight) === walk) walksInFlight.delete(flight);
        }
      }
      layers[i] = idx;
      opts.onLayer?.(++done, image.layers.length, blob.digest, cached);
    }
  };
  const n = Math.max(1, Math.min(opts.concurrency ?? 2, image.layers.length));
  await Promise.all(Array.from({ length: n }, worker));

  // Images on a shared base: the base is squashed once, and each cataloger answers from what it
  // found in a sibling when that is exact (src/scan/catalog-memo.ts).
  const squashed = squashImage(layers, keys);
  const view = squashed.view;
  const memo = memoizedCatalogers(cats, layers, keys, squashed);
  // The memo's view answers as the squashed one does, with the base's file lists at hand for the checks.
  const files = memo?.view ?? view;
  if (known && Array.isArray(known.packages) && Array.isArray(known.warnings)) return { layers, files, ...known };
  const os = detectOs(view);
  const result = await catalogAll(memo?.view ?? view, os, memo?.catalogers ?? cats);
  const packages = opts.includeOsOwned ? result.packages : withoutOsOwned(result.packages, result.ownedFiles);
  const found: CachedInventory = { os, packages: sortPackages(packages), warnings: result.warnings };
  if (inventoryKey) await cache?.storeInventory(inventoryKey, found);
  return { layers, files, ...found };
}

/** The part of an inventory kept in the cache: what the catalogers found. */
type CachedInventory = Pick<Inventory, 'os' | 'packages' | 'warnings'>;

const OS_TYPES = new Set(['apk', 'deb', 'rpm']);

/**
 * Drops language packages whose files an OS package installed (Debian's python3-requests,
 * liblog4j1.2-java's jar): the distro patches those in place and backports fixes without changing
 * the upstream version, so only the distro feed can judge them (docs/os-owned-packages.md).
 */
export function withoutOsOwned(packages: Package[], owned: Set<string>): Package[] {
  if (owned.size === 0) return packages;
  return packages.filter((p) => {
    if (OS_TYPES.has(p.type)) return true;
    return !p.locations.some((l) => owned.has(l.path) || owned.has(l.path.slice(0, l.path.lastIndexOf('/'))));
  });
}

export function sortPackages(packages: Package[]): Package[] {
  return packages.sort(
    (a, b) =>
      collate(a.type, b.type) ||
      collate(a.name, b.name) ||
      collate(a.version, b.version) ||
      collate(a.locations[0]?.path ?? '', b.locations[0]?.path ?? ''),
  );
}

export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort(
    (a, b) =>
      collate(a.package?.name ?? '', b.package?.name ?? '') ||
      collate(a.package?.version ?? '', b.package?.version ?? '') ||
      collate(a.package?.type ?? '', b.package?.type ?? '') ||
      collate(a.id, b.id) ||
      collate(a.locations[0]?.path ?? '', b.locations[0]?.path ?? ''),
  );
}

// The verdict lives with the policy (src/policy/verdict.ts); re-exported for callers of the scan module.
export { verdictOf };

/** Scans one image reference end to end. */
export async function scanImage(reference: string, opts: ScanOptions): Promise<ScanReport> {
  if (opts.policy) {
    const { policy, ...rest } = opts;
    const { applyPolicy } = await import('../policy/apply.js');
    return applyPolicy(await scanImage(reference, rest), policy, { now: rest.now?.() ?? new Date() });
  }
  const now = opts.now?.() ?? new Date();
  // The database is opened first: a bad --db fails before any layer is read. Kept open for the
  // next scan of this process while the file stays the same (src/scan/db-pool.ts).
  const { db, status: dbStatus, release } = acquireDb(opts.dbPath);
  try {
    const status = dbStatus();
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
    if (ref.kind === 'sbom') return scanSbom(ref, db, warnings, opts, now, (await import('../sbom/index.js')).readSbomFile);
    // Credentials from flags and environment belong to the registry the user named, and to no other.
    const open: OpenOptions = { ...opts.open, credentialsFor: opts.open?.credentialsFor ?? (ref.kind === 'registry' ? ref.registry : '') };
    const image = await openImage(ref, open);
    try {
      const inv = await inventory(image, opts);
      const matched = matchPackages(inv.packages, inv.os, db, { comparator: getComparator, includeDev: opts.includeDevDeps ?? false, memo: matchMemoFor(status) });
      let vulns = matched.findings;
      if (opts.ignoreUnfixed) vulns = vulns.filter((f) => f.fixedVersion !== null);
      const baseTags = opts.checkRegistry ? await listBaseTags(image, open, warnings) : undefined;
      const checked = runChecks(
        {
          ref,
          config: image.config,
          files: inv.files,
          layers: inv.layers,
          os: inv.os,
          packages: inv.packages,
          now,
          options: { maxImageAgeDays: 90, ...opts.checkOptions },
          ...(baseTags ? { baseTags } : {}),
        },
        opts.checks ?? allChecks,
      );
      // Findings an inline `# hadolint ignore=` pragma silences are kept as suppressed, as policy ignores are.
      const lint = opts.dockerfile
        ? (await import('../check/dockerfile/index.js')).lintDockerfile(opts.dockerfile.text, { ...opts.dockerfile.options, path: opts.dockerfile.path })
        : { findings: [], suppressed: [] };
      const findings = [...sortFindings(vulns), ...sortFindings(checked.findings), ...lint.findings];
      return {
        schemaVersion: 1,
        createdAt: now.toISOString(),
        image: imageInfo(ref, image),
        os: inv.os,
        packages: inv.packages,
        findings,
        ...(lint.suppressed.length ? { suppressed: lint.suppressed } : {}),
        warnings: [...warnings, ...inv.warnings, ...matched.warnings],
        db: { builtAt: status.builtAt, digest: status.digest, schemaVersion: status.schemaVersion },
        verdict: verdictOf(findings, opts.failOn ?? null, checked.minimal, opts.requireMinimal),
      };
    } finally {
      await image.close();
    }
  } finally {
    release();
  }
}

/** What a report says of the image: the reference as typed, digests, platform and layer diff_ids. */
export function imageInfo(ref: ImageRef, image: ImageSource): ScanReport['image'] {
  const c = image.config;
  const platform = c.os && c.architecture ? formatPlatform({ os: c.os, architecture: c.architecture, ...(c.variant ? { variant: c.variant } : {}) }) : undefined;
  return {
    reference: ref.name,
    digest: image.digest,
    configDigest: image.configDigest,
    ...(platform ? { platform } : {}),
    layers: image.layers.map((l) => l.diffId),
  };
}

/**
 * The tags of the repository the image names as its base (`org.opencontainers.image.base.name`),
 * for the outdated-base check. A registry that cannot be reached gives a warning, not an error:
 * the check then falls back to the release table.
 */
async function listBaseTags(image: ImageSource, open: OpenOptions, warnings: Warning[]): Promise<{ base: string; tags: string[] } | undefined> {
  const base = baseImageName(image.config.config?.Labels, image.manifest.annotations);
  if (!base) return undefined;
  try {
    const ref = parseReference(base);
    if (ref.kind !== 'registry') return undefined;
    const { RegistryClient } = await import('../registry/index.js');
    const client = new RegistryClient(ref.registry, open);
    try {
      return { base, tags: await client.listTags(ref.repository) };
    } finally {
      await client.close();
    }
  } catch (err) {
    warnings.push({ message: `outdated-base: cannot list the tags of ${base}: ${describeError(err)}` });
    return undefined;
  }
}

/**
 * Rescans a stored SBOM (`sbom:FILE`): its packages and OS instead of an image's, so only
 * vulnerability findings; no image checks, since there is no filesystem or config to check.
 */
function scanSbom(
  ref: Extract<ImageRef, { kind: 'sbom' }>,
  db: AdvisoryDb,
  warnings: Warning[],
  opts: ScanOptions,
  now: Date,
  readSbomFile: (path: string) => SbomContents,
): ScanReport {
  const status = db.status();
  const sbom = readSbomFile(ref.path);
  const packages = sortPackages(sbom.packages);
  const matched = matchPackages(packages, sbom.os, db, { comparator: getComparator, includeDev: opts.includeDevDeps ?? false });
  let vulns = matched.findings;
  if (opts.ignoreUnfixed) vulns = vulns.filter((f) => f.fixedVersion !== null);
  const findings = sortFindings(vulns);
  if (opts.requireMinimal) warnings.push({ message: `--require-minimal cannot be judged from an SBOM (${ref.name}): scan the image for that` });
  return {
    schemaVersion: 1,
    createdAt: now.toISOString(),
    // The SBOM's own subject names the image it was made from; the reference stays what the user typed.
    image: { reference: ref.name, digest: sbom.subject.digest ?? '', layers: [] },
    os: sbom.os,
    packages,
    findings,
    warnings: [...warnings, ...sbom.warnings, ...matched.warnings],
    db: { builtAt: status.builtAt, digest: status.digest, schemaVersion: status.schemaVersion },
    verdict: verdictOf(findings, opts.failOn ?? null, null, opts.requireMinimal),
  };
}
