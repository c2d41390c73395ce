/**
 * The JSON report: the ScanReport itself, pretty-printed, keys in a fixed order. Without its
 * creation time: two scans of the same image with the same database give identical bytes.
 */
import type { ScanReport } from '../../model/index.js';
import { sortedSuppressed } from '../common.js';
import type { Reporter } from '../types.js';

export const jsonReporter: Reporter = {
  format: 'json',
  render(report: ScanReport): string {
    const { createdAt: _createdAt, ...stable } = report;
    // `findings` keep the scan's order; `suppressed` collects from several passes (a report
    // judged twice, ignore entries then VEX), so it gets an order of its own: worst first.
    const out = stable.suppressed ? { ...stable, suppressed: sortedSuppressed(report) } : stable;
    return `${JSON.stringify(out, null, 2)}\n`;
  },
};
