/** Several formats from one scan: `--format sarif=out.sarif --format table` → which reporter writes where. */
import path from 'node:path';
import { ShipshapeError } from '../errors.js';
import type { Reporter } from './types.js';

export interface ReportOutput {
  reporter: Reporter;
  /** File to write (atomically); undefined = stdout. */
  file: string | undefined;
}

/**
 * Reads repeated --format values: `FORMAT=FILE` writes FILE; a bare `FORMAT` goes to `output`
 * (--output) or stdout. At most one format may go there, and no two to the same file.
 * No value at all means `defaultFormat`.
 */
export function planOutputs(
  specs: readonly string[] | string | undefined,
  output: string | undefined,
  getReporter: (format: string) => Reporter,
  defaultFormat = 'table',
): ReportOutput[] {
  const list = specs === undefined ? [] : typeof specs === 'string' ? [specs] : specs;
  const plan: ReportOutput[] = [];
  for (const spec of list.length ? list : [defaultFormat]) {
    const eq = spec.indexOf('=');
    const format = (eq >= 0 ? spec.slice(0, eq) : spec).trim();
    const file = eq >= 0 ? spec.slice(eq + 1) : output;
    if (eq >= 0 && !file) throw new ShipshapeError('usage', `--format ${spec}: no file after "="`);
    plan.push({ reporter: getReporter(format), file: file === '-' ? undefined : file });
  }
  const toStdout = plan.filter((o) => o.file === undefined);
  if (toStdout.length > 1) {
    throw new ShipshapeError('usage', `--format: only one format can go to stdout (${toStdout.map((o) => o.reporter.format).join(', ')}); write the others to files with FORMAT=FILE`);
  }
  const files = plan.flatMap((o) => (o.file === undefined ? [] : [path.resolve(o.file)]));
  const dup = files.find((f, i) => files.indexOf(f) !== i);
  if (dup !== undefined) throw new ShipshapeError('usage', `--format: two formats would write ${dup}`);
  return plan;
}
