/** `shipshape policy schema|check`, and the policy a scan runs under: the file (or none) with flags laid over it. */
import type { Command } from 'commander';
import { ShipshapeError } from '../errors.js';
import type { Severity } from '../model/index.js';
import type { Policy } from '../policy/index.js';
import { parseDuration, severityOption } from './common.js';

/** The flags that shape a policy; scan (and later promote) declares them. */
export interface PolicyFlags {
  /** --policy FILE, or false for --no-policy. */
  policy?: string | false;
  failOn?: string;
  failOnUnknown?: boolean;
  ignoreUnfixed?: boolean;
  maxDbAge?: string;
  checks?: string;
  requireMinimal?: boolean;
  maxImageAge?: string;
  severity?: string;
  exitCode?: string;
}

export interface ResolvedPolicy {
  policy: Policy;
  /** Exit code for a failed verdict: 1, or --exit-code N. */
  exitCode: number;
}

/**
 * The policy for this run. Precedence: a flag given on the command line, then the policy file
 * (--policy FILE, else ./shipshape.yaml unless --no-policy), then built-in defaults.
 */
export async function resolvePolicy(flags: PolicyFlags, cmd: Command): Promise<ResolvedPolicy> {
  const { emptyPolicy, findPolicy, loadPolicy, POLICY_FILE, withOverrides } = await import('../policy/index.js');
  const { selectChecks } = await import('../check/index.js');
  const fromCli = (name: string) => {
    const src = cmd.getOptionValueSource(name);
    return src !== undefined && src !== 'default';
  };
  const file = flags.policy === false ? undefined : (flags.policy ?? (findPolicy(process.cwd()) ? POLICY_FILE : undefined));
  const base = file ? loadPolicy(file) : emptyPolicy();

  const exitCode = flags.exitCode !== undefined ? exitCodeOption(flags.exitCode) : undefined;
  const policy = withOverrides(base, {
    ...(flags.failOn !== undefined ? { failOn: severityOption(flags.failOn, '--fail-on') } : {}),
    ...(flags.ignoreUnfixed ? { ignoreUnfixed: true } : {}),
    ...(flags.failOnUnknown ? { failOnUnknown: true } : {}),
    ...(flags.maxDbAge !== undefined ? { maxDbAgeMs: parseDuration(flags.maxDbAge, '--max-db-age') } : {}),
    ...(flags.requireMinimal ? { requireMinimal: true } : {}),
    ...(fromCli('maxImageAge') && flags.maxImageAge ? { maxImageAgeMs: parseDuration(flags.maxImageAge, '--max-image-age') } : {}),
    ...(fromCli('checks') ? { checks: selectChecks(flags.checks).map((c) => c.id) } : {}),
    ...(flags.severity !== undefined ? { severities: severityList(flags.severity) } : {}),
  });
  // Trivy's --exit-code: without a threshold from --fail-on or the file, any finding left fails.
  if (exitCode !== undefined && policy.failOn === undefined) policy.failOn = 'unknown';
  return { policy, exitCode: exitCode ?? 1 };
}

/** `--severity HIGH,CRITICAL` (Trivy's spelling and ours, any case). */
export function severityList(s: string): Severity[] {
  const list = s.split(',').map((x) => x.trim()).filter(Boolean);
  if (list.length === 0) throw new ShipshapeError('usage', '--severity: give a comma-separated list, e.g. HIGH,CRITICAL');
  return [...new Set(list.map((x) => severityOption(x, '--severity')))];
}

function exitCodeOption(s: string): number {
  if (!/^\d{1,3}$/.test(s.trim()) || Number(s) > 255) throw new ShipshapeError('usage', `--exit-code: "${s}" is not an exit code (0-255)`);
  return Number(s);
}

export function registerPolicy(program: Command): void {
  const cmd = program.command('policy').description('the policy file (shipshape.yaml): print its JSON Schema, check a file');
  cmd
    .command('schema')
    .description('print the JSON Schema of shipshape.yaml (for editors and CI linters)')
    .action(async () => {
      const { policySchema } = await import('../policy/index.js');
      process.stdout.write(`${JSON.stringify(policySchema, null, 2)}\n`);
    });
  cmd
    .command('check')
    .description('validate a policy file and the VEX documents it lists (exit 2 with file:line:column on the first problem)')
    .argument('[file]', 'the policy file', 'shipshape.yaml')
    .action(async (file: string) => {
      const { loadPolicy } = await import('../policy/index.js');
      const p = loadPolicy(file);
      process.stdout.write(`${file}: ok (${p.ignore.length} ignore entries, ${p.vex.length} VEX statements)\n`);
    });
}
