/** The Reporter interface: one implementation per output format. */
import type { ScanReport } from '../model/index.js';

export interface Reporter {
  /** Format id as typed after --format: table, json, ... */
  format: string;
  /** The whole report as text; deterministic for the same input. */
  render(report: ScanReport): string;
}
