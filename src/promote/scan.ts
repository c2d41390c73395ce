/** Scans every platform of a promoted image with the scan pipeline, and turns the reports into the statements to attest. */
import type { StatementInput } from '../attest/artifacts.js';
import { policyDigest, scanPredicate } from '../attest/statement.js';
import { CYCLONEDX_PREDICATE_TYPE, SCAN_PREDICATE_TYPE, type ScanPredicate } from '../attest/types.js';
import { formatPlatform } from '../image/schema.js';
import type { ScanReport } from '../model/index.js';
import { scanImage, type ScanOptions } from '../scan/index.js';
import type { CopySource } from './source.js';

/** One report per image manifest of the source, in the source's order; progress counts layers over all of them. */
export async function scanSource(source: CopySource, opts: ScanOptions, onProgress?: (done: number, total: number) => void): Promise<ScanReport[]> {
  const total = source.images.reduce((n, img) => n + (img.manifest?.layers.length ?? 0), 0);
  let before = 0;
  const reports: ScanReport[] = [];
  for (const img of source.images) {
    const base = before;
    const report = await scanImage(source.scanReference(img), {
      ...opts,
      open: { ...(opts.open ?? {}), ...(img.platform ? { platform: img.platform } : {}) },
      onLayer: (done, t, digest, cached) => {
        opts.onLayer?.(done, t, digest, cached);
        onProgress?.(base + done, total);
      },
    });
    before += img.manifest?.layers.length ?? 0;
    // A report of one platform of an index still names the platform it is about.
    if (img.platform && !report.image.platform) report.image.platform = formatPlatform(img.platform);
    reports.push(report);
  }
  return reports;
}

/** The scan predicate and CycloneDX SBOM statements for an image digest (and its platform digests). */
export async function statementsFor(
  reports: ScanReport[],
  opts: { policyDigest?: string; scan?: ScanOptions; sbom?: object; platformDigests: string[]; now: Date },
): Promise<{ predicate: ScanPredicate; statements: StatementInput[] }> {
  const digest = opts.policyDigest ?? policyDigest(opts.scan?.policy, { failOn: opts.scan?.failOn ?? null, requireMinimal: opts.scan?.requireMinimal ?? false, ignoreUnfixed: opts.scan?.ignoreUnfixed ?? false });
  const predicate = scanPredicate(reports, digest, new Date(reports[0]?.createdAt ?? opts.now.toISOString()));
  const statements: StatementInput[] = [{ predicateType: SCAN_PREDICATE_TYPE, predicate, alsoAbout: opts.platformDigests }];
  if (opts.sbom) statements.push({ predicateType: CYCLONEDX_PREDICATE_TYPE, predicate: opts.sbom });
  else {
    const { cyclonedxReporter } = await import('../report/cyclonedx/index.js');
    for (const r of reports) {
      const about = r.image.digest && opts.platformDigests.includes(r.image.digest) ? [r.image.digest] : [];
      statements.push({ predicateType: CYCLONEDX_PREDICATE_TYPE, predicate: JSON.parse(cyclonedxReporter.render(r)) as unknown, alsoAbout: about });
    }
  }
  return { predicate, statements };
}
