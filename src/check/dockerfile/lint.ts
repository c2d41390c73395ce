/** lintDockerfile: parse, run every enabled rule, turn hits into sorted lint findings. Never throws on input. */
import type { Finding, SuppressedFinding } from '../../model/index.js';
import { parseDockerfile } from './parser.js';
import { findPragmas, indexPragmas, pragmaFor } from './pragmas.js';
import { RULES } from './rules/registry.js';
import { collectRuns, finalLineage } from './runs.js';
import type { LintOptions, ParseResult, Rule, RuleContext, Stage } from './types.js';

export interface LintResult {
  findings: Finding[];
  /** Findings silenced by an inline `# hadolint ignore=` / `# shipshape ignore=` pragma. */
  suppressed: SuppressedFinding[];
  stages: Stage[];
}

function enabledRules(disabled: readonly string[] | undefined): readonly Rule[] {
  if (!disabled || disabled.length === 0) return RULES;
  const off = new Set(disabled.map((d) => d.trim().toLowerCase()));
  return RULES.filter((r) => !off.has(r.id) && !(r.hadolint && off.has(r.hadolint.toLowerCase())));
}

export function lintDockerfile(text: string, opts: LintOptions = {}): LintResult {
  let parse: ParseResult;
  try {
    parse = parseDockerfile(text);
  } catch (err) {
    // Not expected (the parser is fuzzed), but the contract is: lint input never makes this throw.
    const message = `internal parser error: ${err instanceof Error ? err.message : String(err)}`;
    parse = { directives: {}, escape: '\\', instructions: [], globalArgs: {}, stages: [], warnings: [{ line: 1, message }] };
  }
  const ctx: RuleContext = { parse, runs: collectRuns(parse), finalLineage: finalLineage(parse.stages), options: opts };
  const path = opts.path ?? 'Dockerfile';
  const findings: Finding[] = [];
  const suppressed: SuppressedFinding[] = [];
  const pragmas = indexPragmas(findPragmas(text, parse.instructions));
  for (const rule of enabledRules(opts.disabled)) {
    let hits;
    try {
      hits = rule.check(ctx);
    } catch (err) {
      // A rule bug must not hide the other rules' findings; it is reported like a parse problem.
      hits = [{ line: 1, message: `rule ${rule.id} failed: ${err instanceof Error ? err.message : String(err)}`, severity: 'unknown' as const }];
    }
    for (const hit of hits) {
      const finding: Finding = {
        kind: 'lint',
        id: rule.id,
        aliases: rule.hadolint ? [rule.hadolint] : [],
        severity: hit.severity ?? rule.severity,
        title: rule.title,
        message: `${hit.message}. ${rule.remediation}`,
        line: hit.line,
        fixedVersion: null,
        locations: [{ layer: '', path }],
        url: rule.url,
      };
      const pragma = pragmaFor(pragmas, [rule.id, ...(rule.hadolint ? [rule.hadolint] : [])], hit.line);
      if (pragma) suppressed.push({ ...finding, suppression: { kind: 'pragma', reason: `${pragma.text} (line ${pragma.line})`, source: path } });
      else findings.push(finding);
    }
  }
  const byLine = (a: Finding, b: Finding): number => (a.line ?? 0) - (b.line ?? 0) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  findings.sort(byLine);
  suppressed.sort(byLine);
  return { findings, suppressed, stages: parse.stages };
}
