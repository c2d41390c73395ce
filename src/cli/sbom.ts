/** `shipshape sbom IMAGE`: the image's packages as a CycloneDX or SPDX document, no advisory database needed. */
import type { Command } from 'commander';
import { ShipshapeError } from '../errors.js';
import type { ScanReport } from '../model/index.js';
import { cacheDirFrom, openOptionsFrom, progressBar, progressWanted, warn, withImageOptions, writeOutput, type ImageFlags } from './common.js';

export const SBOM_FORMATS = ['cyclonedx', 'spdx'] as const;

interface SbomFlags extends ImageFlags {
  format: string;
  output?: string;
  quiet?: boolean;
  includeOsOwned?: boolean;
}

/** SOURCE_DATE_EPOCH (reproducible-builds.org) pins the document's timestamp, so the same image gives the same bytes. */
function createdAt(): string {
  const epoch = process.env.SOURCE_DATE_EPOCH;
  if (epoch && /^\d+$/.test(epoch)) return new Date(Number(epoch) * 1000).toISOString();
  return new Date().toISOString();
}

export function registerSbom(program: Command): void {
  const cmd = program
    .command('sbom')
    .description('write the software bill of materials of an image (CycloneDX 1.6 or SPDX 2.3 JSON)')
    .argument('<image>', 'alpine:3.20, host:5000/app@sha256:…, oci:DIR[:TAG], docker-archive:FILE[:TAG], or a path')
    .option('-f, --format <format>', `${SBOM_FORMATS.join(' or ')}`, 'cyclonedx')
    .option('-o, --output <file>', 'write the SBOM to a file instead of stdout')
    .option('-q, --quiet', 'no progress and no warnings on stderr');
  withImageOptions(cmd)
    .option('--include-os-owned', 'also list language packages installed by an OS package (e.g. python3-requests)')
    .action(async (image: string, flags: SbomFlags) => {
      if (!(SBOM_FORMATS as readonly string[]).includes(flags.format)) {
        throw new ShipshapeError('usage', `unknown SBOM format "${flags.format}" (one of: ${SBOM_FORMATS.join(', ')})`);
      }
      // Loaded here, not at the top: `shipshape --help` and other commands stay fast.
      const [{ openImage, parseReference }, { getReporter }, { imageInfo, inventory }] = await Promise.all([
        import('../image/index.js'),
        import('../report/index.js'),
        import('../scan/index.js'),
      ]);
      const reporter = getReporter(flags.format);
      const ref = parseReference(image);
      if (ref.kind === 'sbom') throw new ShipshapeError('usage', `${ref.name} is already an SBOM: shipshape sbom reads images`);
      const bar = progressWanted(flags.quiet) ? progressBar('layers') : null;
      const img = await openImage(ref, await openOptionsFrom(flags));
      let report: ScanReport;
      try {
        const inv = await inventory(img, {
          cacheDir: cacheDirFrom(flags),
          includeOsOwned: flags.includeOsOwned ?? false,
          ...(bar ? { onLayer: (done: number, total: number, digest: string) => bar.update(done, total, digest.slice(7, 19)) } : {}),
        });
        // An inventory-only report: no findings and no database, rendered by the same reporters as a scan.
        report = {
          schemaVersion: 1,
          createdAt: createdAt(),
          image: imageInfo(ref, img),
          os: inv.os,
          packages: inv.packages,
          findings: [],
          warnings: inv.warnings,
          db: null,
          verdict: { pass: true, failOn: null, reasons: [], minimal: null },
        };
      } finally {
        bar?.end();
        await img.close();
      }
      for (const w of report.warnings) warn(`${w.path ? `${w.path}: ` : ''}${w.message}`, flags.quiet);
      writeOutput(reporter.render(report), flags.output);
    });
}
