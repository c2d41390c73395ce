/** `shipshape lint [Dockerfile]`: lints a Dockerfile before the build; flags, output and exit code only. */
import type { Command } from 'commander';
import { collect, severityOption, writeOutput } from './common.js';
import { readDockerfile } from './scan.js';

interface LintFlags {
  format: string;
  output?: string;
  failOn: string;
  allowedRegistry?: string[];
  allowedBase?: string[];
  disable?: string[];
}

export function registerLint(program: Command, setExit: (code: number) => void): void {
  program
    .command('lint')
    .description('lint a Dockerfile: unpinned or untrusted bases, root user, secrets, package-manager hygiene')
    .argument('[dockerfile]', 'the Dockerfile to lint; - reads standard input', 'Dockerfile')
    .option('-f, --format <format>', 'table, json, or any report format', 'table')
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity', 'low')
    .option('--allowed-registry <host>', 'registries FROM may use; repeatable (default: any)', collect)
    .option('--allowed-base <image>', 'minimal base images the final stage may use, besides distroless and scratch; repeatable', collect)
    .option('--disable <rule>', 'a rule id or Hadolint code to skip; repeatable', collect)
    .action(async (file: string, flags: LintFlags) => {
      const [{ getReporter }, { lintReport }] = await Promise.all([import('../report/index.js'), import('../scan/lint.js')]);
      const reporter = getReporter(flags.format);
      const text = readDockerfile(file);
      const report = lintReport(text, file === '-' ? 'Dockerfile' : file, {
        failOn: severityOption(flags.failOn, '--fail-on'),
        ...(flags.allowedRegistry ? { allowedRegistries: flags.allowedRegistry } : {}),
        ...(flags.allowedBase ? { allowedBaseImages: flags.allowedBase } : {}),
        ...(flags.disable ? { disabled: flags.disable } : {}),
      });
      writeOutput(reporter.render(report), flags.output);
      setExit(report.verdict.pass ? 0 : 1);
    });
}
