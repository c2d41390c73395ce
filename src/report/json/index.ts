/** The JSON report: the ScanReport itself, pretty-printed, keys in a fixed order. */
import type { ScanReport } from '../../model/index.js';
import type { Reporter } from '../types.js';

export const jsonReporter: Reporter = {
  format: 'json',
  render(report: ScanReport): string {
    return `${JSON.stringify(report, null, 2)}\n`;
  },
};
