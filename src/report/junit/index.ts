/** JUnit XML for CI test views: a suite per finding kind; a case per package, per check, per lint finding; suppressed findings skipped. */
import { severityRank, type Finding, type ScanReport } from '../../model/index.js';
import { compareFindings, comparePackages, compareText, findingSummary, findingUrl, sortedSuppressed, suppressionText } from '../common.js';
import type { Reporter } from '../types.js';

/** XML 1.0 text: escapes markup and drops characters XML cannot carry at all. */
export function xmlEscape(s: string): string {
  return s
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!);
}

interface Case {
  classname: string;
  name: string;
  /** Findings that fail this case; empty = passed. */
  failures: Finding[];
  /** Findings below --fail-on: shown, but the case passes like the verdict does. */
  notes: Finding[];
  /** A suppressed finding: the case is skipped, with the suppression as its message. */
  skipped?: { finding: Finding; why: string };
}

function counts(fs: Finding[]): string {
  const by = new Map<string, number>();
  for (const f of fs) by.set(f.severity, (by.get(f.severity) ?? 0) + 1);
  return [...by]
    .sort(([a], [b]) => severityRank(b as Finding['severity']) - severityRank(a as Finding['severity']))
    .map(([s, n]) => `${n} ${s}`)
    .join(', ');
}

function detail(f: Finding): string {
  const url = findingUrl(f);
  return `${f.id} [${f.severity}] ${findingSummary(f)}${url ? ` ${url}` : ''}`;
}

function renderCase(c: Case): string {
  const open = `    <testcase classname="${xmlEscape(c.classname)}" name="${xmlEscape(c.name)}" time="0"`;
  if (c.skipped) {
    return [
      `${open}>`,
      `      <skipped message="${xmlEscape(c.skipped.why)}"/>`,
      `      <system-out>${xmlEscape(detail(c.skipped.finding))}</system-out>`,
      '    </testcase>',
    ].join('\n');
  }
  if (!c.failures.length && !c.notes.length) return `${open}/>`;
  const lines = [`${open}>`];
  if (c.failures.length) {
    const worst = c.failures[0]!.severity;
    const what = c.failures[0]!.kind === 'vulnerability' ? `${c.failures.length} vulnerabilit${c.failures.length === 1 ? 'y' : 'ies'}` : `${c.failures.length} finding(s)`;
    lines.push(
      `      <failure message="${xmlEscape(`${what} (${counts(c.failures)})`)}" type="${worst}">${xmlEscape(c.failures.map(detail).join('\n'))}</failure>`,
    );
  }
  if (c.notes.length) lines.push(`      <system-out>${xmlEscape(c.notes.map(detail).join('\n'))}</system-out>`);
  lines.push('    </testcase>');
  return lines.join('\n');
}

function renderSuite(name: string, cases: Case[], props: [string, string][]): string {
  const failures = cases.filter((c) => c.failures.length).length;
  const skipped = cases.filter((c) => c.skipped).length;
  const head = `  <testsuite name="${xmlEscape(name)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="${skipped}" time="0"`;
  const body = [
    '    <properties>',
    ...props.map(([k, v]) => `      <property name="${xmlEscape(k)}" value="${xmlEscape(v)}"/>`),
    '    </properties>',
    ...cases.map(renderCase),
  ];
  return [`${head}>`, ...body, '  </testsuite>'].join('\n');
}

export const junitReporter: Reporter = {
  format: 'junit',
  render(r: ScanReport): string {
    const failOn = r.verdict.failOn;
    const fails = (f: Finding) => failOn === null || severityRank(f.severity) >= severityRank(failOn);
    const sorted = [...r.findings].sort(compareFindings);
    const place = (c: Case, f: Finding) => (fails(f) ? c.failures : c.notes).push(f);

    // Vulnerabilities: every package is a case, so a clean package shows as a passed test.
    const pkgCases = new Map<string, Case>();
    const pkgKey = (type: string, name: string, version: string) => `${type}\0${name}\0${version}`;
    for (const p of [...r.packages].sort(comparePackages)) {
      const k = pkgKey(p.type, p.name, p.version);
      if (!pkgCases.has(k)) pkgCases.set(k, { classname: `vulnerabilities.${p.type}`, name: `${p.name} ${p.version}`, failures: [], notes: [] });
    }
    const checkCases = new Map<string, Case>();
    const lintCases: (Case & { line: number })[] = [];
    for (const f of sorted) {
      if (f.kind === 'vulnerability') {
        const t = f.package?.type ?? 'unknown';
        const k = pkgKey(t, f.package?.name ?? '?', f.package?.version ?? '?');
        let c = pkgCases.get(k);
        if (!c) pkgCases.set(k, (c = { classname: `vulnerabilities.${t}`, name: `${f.package?.name ?? '?'} ${f.package?.version ?? '?'}`, failures: [], notes: [] }));
        place(c, f);
      } else if (f.kind === 'check') {
        let c = checkCases.get(f.id);
        if (!c) checkCases.set(f.id, (c = { classname: 'checks', name: f.id, failures: [], notes: [] }));
        place(c, f);
      } else {
        const c = { classname: `lint.${f.locations[0]?.path ?? 'Dockerfile'}`, name: `${f.id} line ${f.line ?? 0}`, line: f.line ?? 0, failures: [], notes: [] };
        place(c, f);
        lintCases.push(c);
      }
    }
    // A suppressed finding is a skipped case of its own beside its kind's cases, named apart from them.
    for (const { suppression, ...f } of sortedSuppressed(r)) {
      const skipped = { finding: f, why: `suppressed by ${suppressionText(suppression)}` };
      if (f.kind === 'vulnerability') {
        const t = f.package?.type ?? 'unknown';
        const name = `${f.package?.name ?? '?'} ${f.package?.version ?? '?'} ${f.id} (suppressed)`;
        pkgCases.set(`suppressed\0${pkgCases.size}`, { classname: `vulnerabilities.${t}`, name, failures: [], notes: [], skipped });
      } else if (f.kind === 'check') {
        checkCases.set(`suppressed\0${checkCases.size}`, { classname: 'checks', name: `${f.id} (suppressed)`, failures: [], notes: [], skipped });
      } else {
        const line = f.line ?? 0;
        lintCases.push({ classname: `lint.${f.locations[0]?.path ?? 'Dockerfile'}`, name: `${f.id} line ${line} (suppressed)`, line, failures: [], notes: [], skipped });
      }
    }
    const byName = (a: Case, b: Case) => compareText(a.classname, b.classname) || compareText(a.name, b.name);
    const props: [string, string][] = [
      ['image', r.image.reference],
      ['digest', r.image.digest],
      ...(r.os ? ([['os', `${r.os.id} ${r.os.version}`]] as [string, string][]) : []),
      ['verdict', r.verdict.pass ? 'pass' : 'fail'],
      ...(failOn ? ([['fail-on', failOn]] as [string, string][]) : []),
    ];
    const suites: [string, Case[]][] = [
      ['vulnerabilities', [...pkgCases.values()].sort(byName)],
      ['checks', [...checkCases.values()].sort(byName)],
      // Lint cases in file order, as a reader goes through the Dockerfile.
      ['lint', lintCases.sort((a, b) => compareText(a.classname, b.classname) || a.line - b.line || compareText(a.name, b.name))],
    ];
    const tests = suites.reduce((n, [, cs]) => n + cs.length, 0);
    const failures = suites.reduce((n, [, cs]) => n + cs.filter((c) => c.failures.length).length, 0);
    return [
      '<?xml version="1.0" encoding="UTF-8"?>',
      `<testsuites name="shipshape" tests="${tests}" failures="${failures}" errors="0" time="0">`,
      ...suites.map(([name, cs]) => renderSuite(name, cs, props)),
      '</testsuites>',
      '',
    ].join('\n');
  },
};
