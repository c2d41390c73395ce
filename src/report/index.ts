/** Public surface of the reporters. */
import { ShipshapeError } from '../errors.js';
import { reporters } from './registry.js';
import type { Reporter } from './types.js';

export type { Reporter } from './types.js';
export { reporters } from './registry.js';

export function getReporter(format: string): Reporter {
  const r = reporters.find((x) => x.format === format);
  if (!r) throw new ShipshapeError('usage', `unknown format "${format}" (one of: ${reporters.map((x) => x.format).join(', ')})`);
  return r;
}
export { planOutputs, type ReportOutput } from './outputs.js';
