/** One suite run over every registered reporter: renders any report, deterministically, as text ending in a newline. */
import { describe, expect, it } from 'vitest';
import type { ScanReport } from '../model/index.js';
import { getReporter, reporters } from './index.js';
import { SAMPLE_REPORTS } from './reports.case.js';

/** Reverses every array in the report: a reporter's order must come from the data, not from the input order. */
function shuffled(r: ScanReport): ScanReport {
  return {
    ...r,
    packages: [...r.packages].reverse(),
    findings: [...r.findings].reverse(),
    ...(r.suppressed ? { suppressed: [...r.suppressed].reverse() } : {}),
    warnings: [...r.warnings],
  };
}

describe.each(reporters.map((r) => [r.format, r] as const))('reporter %s', (format, reporter) => {
  it('is found by its format id', () => {
    expect(getReporter(format)).toBe(reporter);
  });

  it.each(SAMPLE_REPORTS.map((s) => [s.name, s.report] as const))('renders the %s report deterministically, ending in a newline', (_name, make) => {
    const a = reporter.render(make());
    const b = reporter.render(make());
    expect(a).toBe(b);
    expect(a.endsWith('\n')).toBe(true);
    expect(a.length).toBeGreaterThan(1);
  });

  it('does not change the report it renders', () => {
    const r = SAMPLE_REPORTS[2]!.report();
    const before = JSON.stringify(r);
    reporter.render(r);
    expect(JSON.stringify(r)).toBe(before);
  });

  it('names every finding id of the mixed report', () => {
    const r = SAMPLE_REPORTS[1]!.report();
    const out = reporter.render(r);
    // SBOMs list vulnerabilities only; the other formats every finding.
    const sbom = format === 'cyclonedx' || format === 'spdx';
    const ids = r.findings.filter((f) => !sbom || f.kind === 'vulnerability').map((f) => f.id);
    if (format === 'spdx') ids.length = 0; // SPDX 2.3 has no place for vulnerabilities
    for (const id of ids) expect(out).toContain(id);
  });

  it('shows what the policy suppressed, with why, and nothing about it when nothing was', () => {
    const r = SAMPLE_REPORTS[1]!.report();
    const out = reporter.render(r);
    const plain = reporter.render({ ...r, suppressed: undefined });
    // SPDX 2.3 has no place for vulnerabilities, suppressed or not.
    if (format === 'spdx') return expect(out).toBe(plain);
    for (const f of r.suppressed!) {
      expect(out).toContain(f.id);
      expect(plain).not.toContain(f.id);
    }
    expect(out).toContain('zipObjectDeep is never called');
  });
});

describe.each(reporters.filter((r) => r.format !== 'table' && r.format !== 'json').map((r) => [r.format, r] as const))(
  'reporter %s orders by content',
  (_format, reporter) => {
    it('renders the same text whatever the order of packages and findings', () => {
      for (const s of SAMPLE_REPORTS) expect(reporter.render(shuffled(s.report()))).toBe(reporter.render(s.report()));
    });
  },
);
