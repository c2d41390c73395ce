/** JSON reporter: the report itself, without its creation time, suppressed findings in an order of their own. */
import { describe, expect, it } from 'vitest';
import type { ScanReport } from '../../model/index.js';
import { mixedReport } from '../reports.case.js';
import { jsonReporter } from './index.js';

describe('json reporter', () => {
  it('is the report without createdAt, suppressed findings with their suppression', () => {
    const r = mixedReport();
    const back = JSON.parse(jsonReporter.render(r)) as ScanReport;
    const { createdAt: _c, ...rest } = r;
    expect(back).toEqual(rest);
    expect(back.suppressed?.map((f) => [f.id, f.suppression.kind])).toEqual([
      ['CVE-2023-2650', 'ignore'],
      ['GHSA-p6mc-m468-83gw', 'vex'],
    ]);
  });

  it('orders suppressed findings by content, not by the order they were suppressed in', () => {
    const r = mixedReport();
    const reversed = { ...r, suppressed: [...r.suppressed!].reverse() };
    expect(jsonReporter.render(reversed)).toBe(jsonReporter.render(r));
  });

  it('leaves suppressed out when the report has none', () => {
    expect(jsonReporter.render({ ...mixedReport(), suppressed: undefined })).not.toContain('"suppressed"');
  });
});
