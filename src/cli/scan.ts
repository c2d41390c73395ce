/** `shipshape scan IMAGE`: flags, output and exit code; the work is in src/scan. */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { ShipshapeError } from '../errors.js';
import { cacheDirFrom, collect, defaultDbPath, openOptionsFrom, progressBar, progressWanted, warn, withImageOptions, writeOutput, type ImageFlags } from './common.js';
import { resolvePolicy } from './policy.js';
import type { ScanOptions } from '../scan/index.js';

export interface ScanFlags extends ImageFlags {
  format?: string[];
  output?: string;
  failOn?: string;
  ignoreUnfixed?: boolean;
  quiet?: boolean;
  db?: string;
  maxDbAge?: string;
  checks?: string;
  requireMinimal?: boolean;
  includeOsOwned?: boolean;
  maxImageAge?: string;
  policy?: string | false;
  severity?: string;
  exitCode?: string;
  dockerfile?: string;
  checkRegistry?: boolean;
}

/** The Dockerfile given with --dockerfile, read whole (a missing file is a one-line error). */
export function readDockerfile(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message;
    throw new ShipshapeError('io', `cannot read ${file}: ${why}`, { cause: err });
  }
}

/** The flags of `scan` that shape a scan (image access, database, policy, output): `promote` and `attest` declare the same. */
export function withScanOptions(cmd: Command): Command {
  cmd
    .option('-f, --format <format>', 'table, json, sarif, cyclonedx, spdx, junit or markdown (default table); repeatable: FORMAT=FILE writes FILE, a bare FORMAT goes to --output or stdout', collect)
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity')
    .option('--ignore-unfixed', 'leave out vulnerabilities that have no fix yet')
    .option('-q, --quiet', 'no progress and no warnings on stderr')
    .option('--db <path>', 'advisory database file', defaultDbPath());
  return withImageOptions(cmd)
    .option('--max-db-age <duration>', 'refuse to scan with a database older than this (e.g. 7d)')
    .option('--checks <ids>', 'image checks to report: all, none, or a comma-separated list of ids', 'all')
    .option('--include-os-owned', 'also report language packages installed by an OS package (e.g. python3-requests) and match them against language feeds')
    .option('--require-minimal', 'fail (exit 1) unless the image is minimal: no shell, package manager, root user or setuid file')
    .option('--max-image-age <duration>', 'stale-image check: images older than this are reported', '90d')
    .option('--policy <file>', 'policy file (default: ./shipshape.yaml when present); flags override it')
    .option('--no-policy', 'ignore ./shipshape.yaml')
    .option('--severity <list>', 'report only these severities, e.g. HIGH,CRITICAL (others are dropped from the report)')
    .option('--exit-code <n>', 'exit code when the verdict fails (default 1); without --fail-on, any finding left fails')
    .option('--dockerfile <file>', 'lint the Dockerfile the image was built from too: its findings join the report, with line numbers')
    .option('--check-registry', "outdated-base: compare with the tags of the image's base in its registry");
}

/** What the scan flags ask for: the scan options (policy applied), the report outputs, and the exit code of a failed verdict. */
export async function scanSetup(flags: ScanFlags, cmd: Command) {
  // Loaded here, not at the top: `shipshape --help` and other commands stay fast.
  const { getReporter, planOutputs } = await import('../report/index.js');
  const outputs = planOutputs(flags.format, flags.output, getReporter);
  const gate = await resolvePolicy(flags, cmd);
  const { scanSettings } = await import('../policy/index.js');
  const options: ScanOptions = {
    dbPath: flags.db ?? defaultDbPath(),
    cacheDir: cacheDirFrom(flags),
    ...scanSettings(gate.policy),
    policy: gate.policy,
    includeOsOwned: flags.includeOsOwned ?? false,
    checkRegistry: flags.checkRegistry ?? false,
    ...(flags.dockerfile
      ? {
          dockerfile: {
            path: flags.dockerfile,
            text: readDockerfile(flags.dockerfile),
            options: { allowedRegistries: gate.policy.allowedRegistries, allowedBaseImages: gate.policy.allowedBaseImages },
          },
        }
      : {}),
    open: await openOptionsFrom(flags),
  };
  return { options, outputs, exitCode: gate.exitCode };
}

export function registerScan(program: Command, setExit: (code: number) => void): void {
  const cmd = program
    .command('scan')
    .description('scan an image: vulnerable OS and language packages, image checks, and a pass/fail verdict')
    .argument('<image>', 'alpine:3.20, host:5000/app@sha256:…, oci:DIR[:TAG], docker-archive:FILE[:TAG], or a path');
  withScanOptions(cmd).action(async (image: string, flags: ScanFlags, cmd: Command) => {
    const [{ scanImage }, setup] = await Promise.all([import('../scan/index.js'), scanSetup(flags, cmd)]);
    const bar = progressWanted(flags.quiet) ? progressBar('layers') : null;
    const report = await scanImage(image, {
      ...setup.options,
      ...(bar ? { onLayer: (done: number, total: number, digest: string) => bar.update(done, total, digest.slice(7, 19)) } : {}),
    });
    bar?.end();
    for (const w of report.warnings) warn(`${w.path ? `${w.path}: ` : ''}${w.message}`, flags.quiet);
    for (const o of setup.outputs) writeOutput(o.reporter.render(report), o.file);
    setExit(report.verdict.pass ? 0 : setup.exitCode);
  });
}
