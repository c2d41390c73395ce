/** Last-resort handlers: an error that escapes every command still ends in one line and exit code 2. */
import { describeError } from '../errors.js';

export function installCrashHandlers(): void {
  const die = (err: unknown) => {
    process.stderr.write(`shipshape: ${describeError(err)}\n`);
    process.exit(2);
  };
  process.on('uncaughtException', die);
  process.on('unhandledRejection', die);
  // A reader that stops early (`shipshape scan … | head`) is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    die(err);
  });
}
