/** Runs the built CLI (bin/shipshape) the way a user does, capturing stdout, stderr and the exit code. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './shared.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export const bin = path.join(repoRoot, 'bin', 'shipshape');

export function runCli(args: string[], opts: { env?: Record<string, string>; timeoutMs?: number; input?: string; cwd?: string } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, CI: 'true', ...opts.env },
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`shipshape ${args.join(' ')} did not finish in ${opts.timeoutMs ?? 60_000} ms (hang)`));
    }, opts.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** A clean failure: exit 2 and exactly one line on stderr, no stack trace. */
export function expectOneLineError(r: CliResult): string {
  const lines = r.stderr.trimEnd().split('\n');
  if (r.code !== 2 || lines.length !== 1 || !lines[0]!.startsWith('shipshape: ') || /\n\s+at /.test(r.stderr)) {
    throw new Error(`expected exit 2 and one line on stderr, got exit ${r.code} and:\n${r.stderr}`);
  }
  return lines[0]!;
}
