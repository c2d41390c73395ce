/** JUnit reporter: well-formed XML (xmllint), counts that add up, failures only at or above --fail-on. */
import { execFileSync, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { ScanReport } from '../../model/index.js';
import { mixedReport, oddReport, SAMPLE_REPORTS } from '../reports.case.js';
import { junitReporter, xmlEscape } from './index.js';

const hasXmllint = spawnSync('xmllint', ['--version']).status === 0;

/** Well-formedness by libxml2, reading the document on stdin. */
function xmllint(xml: string): { ok: boolean; stderr: string } {
  const r = spawnSync('xmllint', ['--noout', '-'], { input: xml, encoding: 'utf8' });
  return { ok: r.status === 0, stderr: r.stderr };
}

/** The attributes of every element with this name, in document order (enough for our flat, known output). */
function elements(xml: string, name: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const m of xml.matchAll(new RegExp(`<${name}((?:\\s+[\\w:-]+="[^"]*")*)\\s*/?>`, 'g'))) {
    const attrs: Record<string, string> = {};
    for (const a of m[1]!.matchAll(/([\w:-]+)="([^"]*)"/g)) attrs[a[1]!] = a[2]!;
    out.push(attrs);
  }
  return out;
}

describe.skipIf(!hasXmllint)('junit output is well-formed XML (xmllint)', () => {
  it.each(SAMPLE_REPORTS.map((s) => [s.name, s.report] as const))('the %s report', (_n, make) => {
    const r = xmllint(junitReporter.render(make()));
    expect(r.stderr).toBe('');
    expect(r.ok).toBe(true);
  });

  it('xmllint does reject broken XML', () => {
    expect(xmllint('<a><b></a>').ok).toBe(false);
  });

  it('the escaped odd names come back unchanged through libxml2', () => {
    const xml = junitReporter.render(oddReport());
    const names = execFileSync('xmllint', ['--xpath', 'string(//testcase[@classname="vulnerabilities.python"]/@name)', '-'], { input: xml, encoding: 'utf8' });
    expect(names.replace(/\n$/, '')).toBe(`pkg<&"'> ünï©ødé 🚢 1.0<&"'> ünï©ødé 🚢`);
  });
});

describe('junit reporter', () => {
  it('one suite per kind; a case per package, per check id, per lint finding; counts add up', () => {
    const r: ScanReport = { ...mixedReport(), suppressed: undefined, verdict: { ...mixedReport().verdict, failOn: null } };
    const xml = junitReporter.render(r);
    const suites = elements(xml, 'testsuite');
    expect(suites.map((s) => [s.name, s.tests, s.failures])).toEqual([
      ['vulnerabilities', '2', '2'], // openssl and lodash (two installs of one version are one case)
      ['checks', '2', '2'],
      ['lint', '1', '1'],
    ]);
    const root = elements(xml, 'testsuites')[0]!;
    expect([root.tests, root.failures]).toEqual(['5', '5']);
    expect(elements(xml, 'testcase')).toHaveLength(5);
    const fails = elements(xml, 'failure');
    expect(fails[1]).toEqual({ message: '3 vulnerabilities (2 critical, 1 unknown)', type: 'critical' });
  });

  it('with --fail-on, findings below it pass and are kept as output', () => {
    const xml = junitReporter.render({ ...mixedReport(), suppressed: undefined }); // failOn medium
    const suites = elements(xml, 'testsuite');
    // openssl: medium fails; setuid-files (negligible) passes; latest-tag (medium) fails.
    expect(suites.map((s) => [s.name, s.tests, s.failures])).toEqual([
      ['vulnerabilities', '2', '2'],
      ['checks', '2', '1'],
      ['lint', '1', '1'],
    ]);
    expect(xml).toContain('<system-out>CVE-2024-0727 [low]');
    expect(xml).toContain('<system-out>setuid-files [negligible]');
  });

  it('adds a skipped case per suppressed finding, beside its kind, saying who suppressed it and why', () => {
    const xml = junitReporter.render(oddReport());
    const suites = elements(xml, 'testsuite');
    // odd: 3 packages + 2 suppressed vulnerabilities; 3 checks + 1 suppressed check; 2 lint findings.
    expect(suites.map((s) => [s.name, s.tests, s.skipped])).toEqual([
      ['vulnerabilities', '5', '2'],
      ['checks', '4', '1'],
      ['lint', '2', '0'],
    ]);
    expect(elements(xml, 'testsuites')[0]!.tests).toBe('11');
    const skipped = elements(xml, 'skipped').map((e) => e.message);
    expect(skipped).toEqual([
      'suppressed by ignore entry (shipshape.yaml, owner platform-team, until 2026-12-31): we never translate untrusted OIDs to text',
      'suppressed by VEX statement (vex/app.openvex.json): not_affected (vulnerable_code_not_in_execute_path): zipObjectDeep is never called',
      `suppressed by ignore entry (/p/&lt;&amp;&quot;&apos;&gt; ünï©ødé 🚢.yaml, owner &lt;&amp;&quot;&apos;&gt; ünï©ødé 🚢, until 2027-01-01): debug &lt;&amp;&quot;&apos;&gt; ünï©ødé 🚢 *image* | [x](y)`,
    ]);
    const names = elements(xml, 'testcase').map((c) => c.name);
    expect(names).toContain('openssl 3.0.11-1~deb12u1 CVE-2023-2650 (suppressed)');
    expect(names).toContain('shell-present (suppressed)');
    // A skipped case neither fails nor counts as a failure.
    expect(suites.map((s) => s.failures)).toEqual(['3', '2', '1']);
  });

  it('lists every package as a case, clean ones passing', () => {
    const r = { ...mixedReport(), findings: [], suppressed: undefined };
    const xml = junitReporter.render(r);
    expect(elements(xml, 'testsuite')[0]).toMatchObject({ tests: '2', failures: '0' });
    expect(xml).not.toContain('<failure');
  });

  it('escapes markup and drops characters XML 1.0 cannot hold', () => {
    expect(xmlEscape(`<&"'>`)).toBe('&lt;&amp;&quot;&apos;&gt;');
    expect(xmlEscape('a\u0001b\uFFFEc\uD800d')).toBe('a\uFFFDb\uFFFDc\uFFFDd');
    expect(xmlEscape('tab\tnl\n 🚢')).toBe('tab\tnl\n 🚢');
  });
});
