/** A short Markdown summary for pull-request comments and $GITHUB_STEP_SUMMARY: verdict, counts, top findings, how to fix checks, what was suppressed. */
import { SEVERITIES, type Finding, type ScanReport, type Suppression } from '../../model/index.js';
import { compareFindings, findingUrl, sortedSuppressed, suppressedBy } from '../common.js';
import type { Reporter } from '../types.js';

/** Enough rows to act on, few enough for a comment (GitHub caps comments at 65,536 characters). */
export const MAX_ROWS = 50;

/** Text in a table cell or line: no markup, no HTML, no line breaks, no cell breaks. */
function esc(s: string): string {
  return s
    .replace(/[\\`*_[\]#|~]/g, (c) => `\\${c}`)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/\s*[\r\n]+\s*/g, ' ')
    .replace(/[\u0000-\u001f\u007f]/g, ' ');
}

function idCell(f: Finding): string {
  const url = findingUrl(f);
  // A URL goes in <> so that parentheses or spaces in it cannot end the link early.
  return url && !/[<>\s]/.test(url) ? `[${esc(f.id)}](<${url}>)` : esc(f.id);
}

function whatCell(f: Finding): string {
  if (f.package) return `${esc(f.package.name)} ${esc(f.package.version)}`;
  if (f.kind === 'lint') return esc(`${f.locations[0]?.path ?? 'Dockerfile'}:${f.line ?? 0}`);
  return esc(f.title ?? f.kind);
}

function fixCell(f: Finding): string {
  if (f.kind !== 'vulnerability') return esc(f.message ?? '');
  return f.fixedVersion ? esc(f.fixedVersion) : `no fix yet${f.status ? ` (${esc(f.status)})` : ''}`;
}

function whyCell(s: Suppression): string {
  const who = suppressedBy(s);
  const about = [s.owner ? `owner ${s.owner}` : '', s.expires ? `until ${s.expires}` : ''].filter(Boolean).join(', ');
  return `${who}${about ? ` (${esc(about)})` : ''}: ${esc(s.reason)}`;
}

/** Text that may hold `code` (check remediations do): code spans kept, as they show their text literally; the rest escaped. */
function escKeepingCode(s: string): string {
  return s
    .split(/`([^`\r\n]+)`/)
    .map((part, i) => (i % 2 ? `\`${part}\`` : esc(part)))
    .join('');
}

/** A check's remediation, once per check id among the rows shown. */
function howToFix(shown: Finding[]): string[] {
  const seen = new Map<string, string>();
  for (const f of shown) if (f.kind === 'check' && f.remediation && !seen.has(f.id)) seen.set(f.id, f.remediation);
  return [...seen].map(([id, fix]) => `- **${esc(id)}**: ${escKeepingCode(fix).trim()}`);
}

export const markdownReporter: Reporter = {
  format: 'markdown',
  render(r: ScanReport): string {
    const out: string[] = [];
    const verdict = r.verdict.pass ? '✅ PASS' : '❌ FAIL';
    out.push(`### shipshape: ${verdict}`, '');
    out.push(`Image \`${r.image.reference.replace(/`/g, "'")}\` (\`${r.image.digest}\`)${r.os ? `, ${esc(r.os.name ?? `${r.os.id} ${r.os.version}`)}` : ''}, ${r.packages.length} package${r.packages.length === 1 ? '' : 's'}.`);
    if (r.verdict.reasons.length) {
      out.push('');
      for (const x of r.verdict.reasons) out.push(`- ${esc(x)}`);
    }

    const bySeverity = [...SEVERITIES].reverse().map((s) => [s, r.findings.filter((f) => f.severity === s).length] as const);
    out.push('', `| ${bySeverity.map(([s]) => s).join(' | ')} | total |`, `| ${bySeverity.map(() => '---:').join(' | ')} | ---: |`);
    out.push(`| ${bySeverity.map(([, n]) => String(n)).join(' | ')} | ${r.findings.length} |`);

    if (r.findings.length) {
      const top = [...r.findings].sort(compareFindings);
      out.push('', '| Severity | ID | Package or place | Fixed in / details |', '| --- | --- | --- | --- |');
      for (const f of top.slice(0, MAX_ROWS)) out.push(`| ${f.severity} | ${idCell(f)} | ${whatCell(f)} | ${fixCell(f)} |`);
      if (top.length > MAX_ROWS) out.push('', `… and ${top.length - MAX_ROWS} more finding${top.length - MAX_ROWS === 1 ? '' : 's'} (see the full report).`);
      const fixes = howToFix(top.slice(0, MAX_ROWS));
      if (fixes.length) {
        out.push('', '**How to fix**', '');
        for (const x of fixes) out.push(x);
      }
    } else {
      out.push('', 'No findings.');
    }

    const suppressed = sortedSuppressed(r);
    if (suppressed.length) {
      const vex = suppressed.filter((f) => f.suppression.kind === 'vex').length;
      const ignored = suppressed.length - vex;
      const parts = [ignored ? `${ignored} by ${ignored === 1 ? 'an ignore entry' : 'ignore entries'}` : '', vex ? `${vex} by VEX` : ''].filter(Boolean);
      // Collapsed: accepted findings matter for review, but not as much as the open ones above.
      // GitHub renders Markdown inside <details> only after a blank line.
      out.push('', `<details><summary>${suppressed.length} suppressed finding${suppressed.length === 1 ? '' : 's'} (${parts.join(', ')})</summary>`, '');
      out.push('| Severity | ID | Package or place | Suppressed by |', '| --- | --- | --- | --- |');
      for (const f of suppressed.slice(0, MAX_ROWS)) out.push(`| ${f.severity} | ${idCell(f)} | ${whatCell(f)} | ${whyCell(f.suppression)} |`);
      if (suppressed.length > MAX_ROWS) out.push('', `… and ${suppressed.length - MAX_ROWS} more (see the full report).`);
      out.push('', '</details>');
    }
    if (r.warnings.length) {
      out.push('', '**Warnings**', '');
      for (const w of r.warnings) out.push(`- ${w.path ? `${esc(w.path)}: ` : ''}${esc(w.message)}`);
    }
    return `${out.join('\n')}\n`;
  },
};
