/** `shipshape lint [Dockerfile]`: lints a Dockerfile before the build; flags, output and exit code only. */
import type { Command } from 'commander';
import { collect, withQuiet, writeOutput } from './common.js';
import { resolvePolicy } from './policy.js';
import { readDockerfile } from './scan.js';

interface LintFlags {
  format: string;
  quiet?: boolean;
  output?: string;
  failOn?: string;
  policy?: string | false;
  allowedRegistry?: string[];
  allowedBase?: string[];
  disable?: string[];
}

export function registerLint(program: Command, setExit: (code: number) => void): void {
  const cmd = program
    .command('lint')
    .description('lint a Dockerfile: unpinned or untrusted bases, root user, secrets, package-manager hygiene')
    .argument('[dockerfile]', 'the Dockerfile to lint; - reads standard input', 'Dockerfile')
    .option('-f, --format <format>', 'table, json, or any report format', 'table')
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .option('--fail-on <severity>', "exit 1 when a finding is at or above this severity (default: the policy's failOn, else low)")
    .option('--allowed-registry <host>', "registries FROM may use; repeatable (default: the policy's allowedRegistries, else any)", collect)
    .option('--allowed-base <image>', "minimal base images the final stage may use, besides distroless and scratch; repeatable (default: the policy's allowedBaseImages)", collect)
    .option('--policy <file>', 'policy file (default: ./shipshape.yaml when present); flags override it')
    .option('--no-policy', 'ignore ./shipshape.yaml')
    .option('--disable <rule>', 'a rule id or Hadolint code to skip; repeatable', collect);
  withQuiet(cmd)
    .action(async (file: string, flags: LintFlags, cmd: Command) => {
      const [{ getReporter }, { lintReport }] = await Promise.all([import('../report/index.js'), import('../scan/lint.js')]);
      const reporter = getReporter(flags.format);
      // One policy for the image and its Dockerfile: the same allowed registries, bases and threshold.
      const { policy } = await resolvePolicy({ policy: flags.policy, ...(flags.failOn ? { failOn: flags.failOn } : {}) }, cmd);
      const text = readDockerfile(file);
      const registries = flags.allowedRegistry ?? policy.allowedRegistries;
      const bases = flags.allowedBase ?? policy.allowedBaseImages;
      const report = lintReport(text, file === '-' ? 'Dockerfile' : file, {
        failOn: policy.failOn ?? 'low',
        ...(registries.length ? { allowedRegistries: registries } : {}),
        ...(bases.length ? { allowedBaseImages: bases } : {}),
        ...(flags.disable ? { disabled: flags.disable } : {}),
      });
      writeOutput(reporter.render(report), flags.output);
      setExit(report.verdict.pass ? 0 : 1);
    });
}
