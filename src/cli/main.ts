/** The `shipshape` command line: wires commands, maps every error to one line on stderr and exit code 2. */
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { describeError } from '../errors.js';
import { registerDb } from './db.js';
import { registerLint } from './lint.js';
import { registerMonitor } from './monitor.js';
import { registerPolicy } from './policy.js';
import { installCrashHandlers } from './process.js';
import { registerSbom } from './sbom.js';
import { registerScan } from './scan.js';
import { registerKey } from './key.js';
import { registerVerify } from './verify.js';
import { registerAttest, registerPromote } from './promote.js';
import { registerAdmission } from './admission.js';

function version(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

/** Runs the CLI and sets process.exitCode: 0 pass, 1 policy failed, 2 usage/input/infrastructure error. */
export async function main(argv: string[]): Promise<void> {
  installCrashHandlers();
  let exitCode = 0;
  const program = new Command('shipshape')
    .description('keeps untrusted container images out of Kubernetes')
    .version(version())
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({ writeErr: (s) => process.stderr.write(s.startsWith('error:') ? `shipshape: ${s}` : s) });
  registerScan(program, (code) => (exitCode = code));
  registerDb(program);
  registerPolicy(program);
  registerLint(program, (code) => (exitCode = code));
  registerSbom(program);
  registerKey(program);
  registerVerify(program, (code) => (exitCode = code));
  registerPromote(program, (code) => (exitCode = code));
  registerAttest(program, (code) => (exitCode = code));
  registerAdmission(program, (code) => (exitCode = code));
  registerMonitor(program);
  for (const c of program.commands) c.exitOverride();
  for (const c of program.commands.flatMap((c) => c.commands)) c.exitOverride();

  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with exit code 0.
      exitCode = err.exitCode === 0 ? 0 : 2;
    } else {
      process.stderr.write(`shipshape: ${describeError(err)}\n`);
      exitCode = 2;
    }
  }
  process.exitCode = exitCode;
}
