/** SARIF 2.1.0 report (https://docs.oasis-open.org/sarif/sarif/v2.1.0/sarif-v2.1.0.html), shaped for GitHub code scanning; suppressed findings are suppressed results. */
import { createHash } from 'node:crypto';
import { severityRank, type Finding, type ScanReport, type Severity, type Suppression } from '../../model/index.js';
import { compareFindings, compareText, findingSummary, findingUrl, imageIdentity, sortedSuppressed, suppressionText, TOOL_NAME, TOOL_URI, TOOL_VERSION } from '../common.js';
import type { Reporter } from '../types.js';

/**
 * GitHub reads `security-severity` (a rule property) as a score from 0.0 to 10.0 and shows it as
 * critical (9.0+), high (7.0+), medium (4.0+) or low: the CVSS score where it rates the severity
 * shown, else a score in the severity's band; unknown gets none rather than an invented one.
 */
const SCORE: Record<Severity, string | undefined> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '2.0',
  negligible: '1.0',
  unknown: undefined,
};

/** The worst finding's CVSS score, when it falls in the band GitHub shows for that severity. */
function securitySeverity(findings: readonly Finding[], worst: Severity): string | undefined {
  const band: Partial<Record<Severity, [number, number]>> = { critical: [9, 10], high: [7, 8.9], medium: [4, 6.9], low: [0.1, 3.9] };
  const [lo, hi] = band[worst] ?? [NaN, NaN];
  const scores = findings.filter((f) => f.severity === worst && f.cvss).map((f) => f.cvss!.score);
  const best = Math.max(...scores.filter((s) => s >= lo && s <= hi));
  return Number.isFinite(best) ? best.toFixed(1) : SCORE[worst];
}

function level(s: Severity): 'error' | 'warning' | 'note' {
  if (s === 'critical' || s === 'high') return 'error';
  return s === 'medium' ? 'warning' : 'note';
}

/** Base for paths inside the image; its description names the image since it has no file URI. */
const IMAGE_BASE = 'IMAGE';
/** Base for files of the repository (the Dockerfile): GitHub resolves it against the checkout. */
const SRC_BASE = '%SRCROOT%';

/** SARIF uris are URI references: relative to their base, percent-encoded. */
function relUri(p: string): string {
  const rel = p.replace(/^\/+/, '');
  return rel === '' ? '.' : rel.split('/').map(encodeURIComponent).join('/');
}

function ruleKey(f: Finding): string {
  return f.id;
}

interface Rule {
  id: string;
  findings: Finding[];
}

function ruleOf(rule: Rule): object {
  const first = rule.findings[0]!;
  const worst = rule.findings.reduce((w, f) => (severityRank(f.severity) > severityRank(w) ? f.severity : w), first.severity);
  const url = findingUrl(first);
  const title = first.title ?? (first.kind === 'vulnerability' ? `${first.id} in ${first.package?.name ?? 'a package'}` : first.id);
  const aliases = [...new Set(rule.findings.flatMap((f) => f.aliases))].sort(compareText);
  const full = aliases.length ? `${title}${/[.!?]$/.test(title) ? '' : '.'} Also known as ${aliases.join(', ')}.` : title;

  const text: string[] = [];
  const md: string[] = [];
  if (first.kind === 'vulnerability') {
    const seen = new Set<string>();
    md.push(`**${rule.id}** (${worst})`, '', '| Package | Installed | Fixed in |', '| --- | --- | --- |');
    for (const f of rule.findings) {
      const p = f.package;
      const key = `${p?.type}\0${p?.name}\0${p?.version}\0${f.fixedVersion}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const fix = f.fixedVersion ?? `no fix yet${f.status ? ` (${f.status})` : ''}`;
      text.push(`${p?.name ?? '?'} ${p?.version ?? '?'}: ${f.fixedVersion ? `upgrade to ${f.fixedVersion}` : fix}.`);
      md.push(`| ${mdCell(`${p?.name ?? '?'} (${p?.type ?? '?'})`)} | ${mdCell(p?.version ?? '?')} | ${mdCell(fix)} |`);
    }
  } else {
    const msgs = [...new Set(rule.findings.map((f) => f.message ?? ''))].filter(Boolean).sort(compareText);
    text.push(...msgs);
    md.push(`**${mdText(title)}** (${worst})`, '', ...msgs.map((m) => `- ${mdText(m)}`));
    // One rule is one check, so its findings share the check's remediation.
    const fix = rule.findings.find((f) => f.remediation)?.remediation;
    if (fix) {
      text.push(`How to fix: ${fix}`);
      md.push('', `**How to fix:** ${mdText(fix)}`);
    }
  }
  const links = [url, ...aliases.map((a) => findingUrl({ ...first, id: a, url: undefined }))].filter((u): u is string => !!u);
  if (links.length) {
    text.push(`See ${[...new Set(links)].join(' ')}`);
    md.push('', ...[...new Set(links)].map((u) => `- <${u}>`));
  }
  const tags = ['security', first.kind === 'vulnerability' ? 'vulnerability' : first.kind, worst];
  const score = securitySeverity(rule.findings, worst);
  return {
    id: rule.id,
    name: ruleName(rule.id),
    shortDescription: { text: title },
    fullDescription: { text: full },
    ...(url ? { helpUri: url } : {}),
    help: { text: text.join('\n'), markdown: md.join('\n') },
    defaultConfiguration: { level: level(worst) },
    properties: { ...(score ? { 'security-severity': score } : {}), tags },
  };
}

/** SARIF wants a PascalCase-ish name; the id is kebab or CVE-style, so we join its parts. */
function ruleName(id: string): string {
  return id
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join('');
}

function mdText(s: string): string {
  return s.replace(/[\\`*_[\]<>|&]/g, (c) => (c === '<' ? '&lt;' : c === '>' ? '&gt;' : c === '&' ? '&amp;' : `\\${c}`)).replace(/\s*\n\s*/g, ' ');
}

function mdCell(s: string): string {
  return mdText(s);
}

function locationsOf(f: Finding): object[] {
  if (f.kind === 'lint') {
    const p = f.locations[0]?.path ?? 'Dockerfile';
    return [
      {
        physicalLocation: {
          artifactLocation: { uri: relUri(p), uriBaseId: SRC_BASE },
          ...(f.line !== undefined && f.line >= 1 ? { region: { startLine: f.line } } : {}),
        },
      },
    ];
  }
  // GitHub needs one location per result: an image-wide finding points at the image root.
  const locs = f.locations.length ? f.locations : [{ layer: '', path: '/' }];
  return locs.map((l) => ({
    physicalLocation: { artifactLocation: { uri: relUri(l.path), uriBaseId: IMAGE_BASE } },
    ...(l.layer ? { properties: { layer: l.layer } } : {}),
  }));
}

/** Same finding in the next scan ⇒ same fingerprint: id, package identity and place, never versions of the scan. */
function fingerprint(f: Finding, imageName: string): string {
  const parts =
    f.kind === 'lint'
      ? [f.kind, f.id, f.locations[0]?.path ?? '', String(f.line ?? ''), f.message ?? '']
      : f.kind === 'vulnerability'
        ? [f.kind, imageName, f.id, f.package?.type ?? '', f.package?.name ?? '', f.package?.version ?? '', f.locations[0]?.path ?? '']
        : [f.kind, imageName, f.id, ...f.locations.map((l) => l.path)];
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 32);
}

/**
 * SARIF 2.1.0 §3.35: an `external` suppression (ours live in the policy or a VEX document, not
 * in the scanned files) with status `accepted`, so viewers show the result as dismissed.
 */
function suppressionOf(s: Suppression): object {
  return {
    kind: 'external',
    status: 'accepted',
    justification: suppressionText(s),
    properties: {
      by: s.kind,
      source: s.source,
      ...(s.owner ? { owner: s.owner } : {}),
      ...(s.expires ? { expires: s.expires } : {}),
      ...(s.status ? { vexStatus: s.status } : {}),
      ...(s.justification ? { vexJustification: s.justification } : {}),
    },
  };
}

function resultOf(f: Finding, ruleIndex: number, imageName: string, suppression?: Suppression): object {
  const props: Record<string, unknown> = { kind: f.kind, severity: f.severity };
  if (f.severitySource) props.severitySource = f.severitySource;
  if (f.cvss) {
    props.cvssScore = f.cvss.score;
    props.cvssVector = f.cvss.vector;
    props.cvssVersion = f.cvss.version;
    props.cvssSource = f.cvss.source;
  }
  if (f.package) {
    props.packageName = f.package.name;
    props.packageVersion = f.package.version;
    props.packageType = f.package.type;
  }
  if (f.kind === 'vulnerability') props.fixedVersion = f.fixedVersion;
  if (f.status) props.status = f.status;
  if (f.match) props.match = f.match.rule;
  return {
    ruleId: f.id,
    ruleIndex,
    level: level(f.severity),
    message: { text: findingSummary(f) },
    locations: locationsOf(f),
    partialFingerprints: { 'shipshape/v1': fingerprint(f, imageName) },
    ...(suppression ? { suppressions: [suppressionOf(suppression)] } : {}),
    properties: props,
  };
}

export const sarifReporter: Reporter = {
  format: 'sarif',
  render(r: ScanReport): string {
    const findings = [...r.findings].sort(compareFindings);
    // Suppressed findings stay results (with the same fingerprint, so a dismissal sticks to the alert).
    const suppressed = sortedSuppressed(r);
    const rules = new Map<string, Rule>();
    for (const f of [...findings, ...suppressed]) {
      const k = ruleKey(f);
      let rule = rules.get(k);
      if (!rule) rules.set(k, (rule = { id: k, findings: [] }));
      rule.findings.push(f);
    }
    const ordered = [...rules.values()].sort((a, b) => compareText(a.id, b.id));
    const index = new Map(ordered.map((rule, i) => [rule.id, i]));
    const imageName = imageIdentity(r.image).name;
    const log = {
      $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
      version: '2.1.0',
      runs: [
        {
          tool: {
            driver: {
              name: TOOL_NAME,
              version: TOOL_VERSION,
              semanticVersion: TOOL_VERSION,
              informationUri: TOOL_URI,
              rules: ordered.map(ruleOf),
            },
          },
          originalUriBaseIds: {
            [IMAGE_BASE]: { description: { text: `The file system of ${r.image.reference}@${r.image.digest}` } },
            [SRC_BASE]: { description: { text: 'The directory the Dockerfile paths are relative to' } },
          },
          results: [
            ...findings.map((f) => resultOf(f, index.get(ruleKey(f))!, imageName)),
            ...suppressed.map(({ suppression, ...f }) => resultOf(f, index.get(ruleKey(f))!, imageName, suppression)),
          ],
          properties: {
            imageReference: r.image.reference,
            imageDigest: r.image.digest,
            ...(r.image.platform ? { platform: r.image.platform } : {}),
            ...(r.os ? { os: `${r.os.id} ${r.os.version}` } : {}),
            verdict: r.verdict.pass ? 'pass' : 'fail',
            ...(r.createdAt ? { createdAt: r.createdAt } : {}),
          },
        },
      ],
    };
    return `${JSON.stringify(log, null, 2)}\n`;
  },
};
