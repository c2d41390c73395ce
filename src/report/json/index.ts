/**
 * The JSON report: the ScanReport itself, pretty-printed, keys in a fixed order. Without its
 * creation time: two scans of the same image with the same database give identical bytes.
 */
import type { ScanReport } from '../../model/index.js';
import type { Reporter } from '../types.js';

export const jsonReporter: Reporter = {
  format: 'json',
  render(report: ScanReport): string {
    const { createdAt: _createdAt, ...stable } = report;
    return `${JSON.stringify(stable, null, 2)}\n`;
  },
};
