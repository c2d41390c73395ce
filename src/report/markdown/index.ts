/** A short Markdown summary for pull-request comments and $GITHUB_STEP_SUMMARY: verdict, counts, top findings. */
import { SEVERITIES, type Finding, type ScanReport } from '../../model/index.js';
import { compareFindings, findingUrl } from '../common.js';
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

export const markdownReporter: Reporter = {
  format: 'markdown',
  render(r: ScanReport): string {
    const out: string[] = [];
    const verdict = r.verdict.pass ? '✅ PASS' : '❌ FAIL';
    out.push(`### shipshape: ${verdict}`, '');
    out.push(`Image \`${r.image.reference.replace(/`/g, "'")}\` (\`${r.image.digest}\`)${r.os ? `, ${esc(r.os.name ?? `${r.os.id} ${r.os.versionId}`)}` : ''}, ${r.packages.length} package${r.packages.length === 1 ? '' : 's'}.`);
    if (r.verdict.reasons.length) out.push('', ...r.verdict.reasons.map((x) => `- ${esc(x)}`));

    const bySeverity = [...SEVERITIES].reverse().map((s) => [s, r.findings.filter((f) => f.severity === s).length] as const);
    out.push('', `| ${bySeverity.map(([s]) => s).join(' | ')} | total |`, `| ${bySeverity.map(() => '---:').join(' | ')} | ---: |`);
    out.push(`| ${bySeverity.map(([, n]) => String(n)).join(' | ')} | ${r.findings.length} |`);

    if (r.findings.length) {
      const top = [...r.findings].sort(compareFindings);
      out.push('', '| Severity | ID | Package or place | Fixed in / details |', '| --- | --- | --- | --- |');
      for (const f of top.slice(0, MAX_ROWS)) out.push(`| ${f.severity} | ${idCell(f)} | ${whatCell(f)} | ${fixCell(f)} |`);
      if (top.length > MAX_ROWS) out.push('', `… and ${top.length - MAX_ROWS} more finding${top.length - MAX_ROWS === 1 ? '' : 's'} (see the full report).`);
    } else {
      out.push('', 'No findings.');
    }
    if (r.warnings.length) {
      out.push('', '**Warnings**', '', ...r.warnings.map((w) => `- ${w.path ? `${esc(w.path)}: ` : ''}${esc(w.message)}`));
    }
    return `${out.join('\n')}\n`;
  },
};
