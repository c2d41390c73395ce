/** CycloneDX 1.6 JSON SBOM (https://cyclonedx.org/docs/1.6/json/): the image, its packages and their vulnerabilities. */
import { createHash } from 'node:crypto';
import type { Finding, Package, ScanReport, Severity, Suppression } from '../../model/index.js';
import {
  compareFindings,
  comparePackages,
  compareText,
  findingUrl,
  imageIdentity,
  imagePurl,
  sortedSuppressed,
  suppressionText,
  TOOL_NAME,
  TOOL_URI,
  TOOL_VERSION,
} from '../common.js';
import { severityFromScore } from '../../feeds/cvss/index.js';
import type { Reporter } from '../types.js';

const IMAGE_REF = 'image';
const OS_REF = 'os';

/** CycloneDX has no "negligible": its nearest is "info". */
const RATING: Record<Severity, string> = {
  critical: 'critical',
  high: 'high',
  medium: 'medium',
  low: 'low',
  negligible: 'info',
  unknown: 'unknown',
};

/** Feeds we know by id, with the page a reader can go to. */
const SOURCES: Record<string, { name: string; url: string }> = {
  'alpine-secdb': { name: 'Alpine SecDB', url: 'https://secdb.alpinelinux.org/' },
  'debian-tracker': { name: 'Debian Security Tracker', url: 'https://security-tracker.debian.org/tracker/' },
  nvd: { name: 'NVD', url: 'https://nvd.nist.gov/' },
};

/** CycloneDX 1.6 `scoreMethod` of a CVSS version. */
const CVSS_METHOD: Record<string, string> = { '2.0': 'CVSSv2', '3.0': 'CVSSv3', '3.1': 'CVSSv31', '4.0': 'CVSSv4' };

/** A finding's ratings: its severity, by whoever gave it (the feed, or NVD), and its CVSS score with vector. */
function ratingsOf(f: Finding): object[] {
  const by = f.severitySource ?? f.match?.feed;
  const out: object[] = [{ ...(by ? { source: SOURCES[by] ?? { name: by } } : {}), severity: RATING[f.severity] }];
  if (f.cvss) {
    const src = f.cvss.source === 'nvd@nist.gov' ? SOURCES.nvd! : { name: f.cvss.source };
    out.push({ source: src, score: f.cvss.score, severity: RATING[severityFromScore(f.cvss.score, f.cvss.version)], method: CVSS_METHOD[f.cvss.version] ?? 'other', vector: f.cvss.vector });
  }
  return out;
}

/** CycloneDX 1.6 `impactAnalysisState`. */
type AnalysisState = 'resolved' | 'resolved_with_pedigree' | 'exploitable' | 'in_triage' | 'false_positive' | 'not_affected';
const STATES: ReadonlySet<string> = new Set<AnalysisState>(['resolved', 'resolved_with_pedigree', 'exploitable', 'in_triage', 'false_positive', 'not_affected']);

/** CycloneDX 1.6 `impactAnalysisJustification`: a CycloneDX VEX input already speaks it. */
const JUSTIFICATIONS: ReadonlySet<string> = new Set([
  'code_not_present',
  'code_not_reachable',
  'requires_configuration',
  'requires_dependency',
  'requires_environment',
  'protected_by_compiler',
  'protected_at_runtime',
  'protected_at_perimeter',
  'protected_by_mitigating_control',
]);

/**
 * OpenVEX justifications in CycloneDX's words, the closest documented meaning (docs/reports.md).
 * "Cannot be controlled by an adversary" has no twin: requires_environment ("requires a certain
 * environment which is not present") is the nearest, and the original word stays in `detail`.
 */
const OPENVEX_JUSTIFICATION: Record<string, string> = {
  component_not_present: 'code_not_present',
  vulnerable_code_not_present: 'code_not_present',
  vulnerable_code_not_in_execute_path: 'code_not_reachable',
  vulnerable_code_cannot_be_controlled_by_adversary: 'requires_environment',
  inline_mitigations_already_exist: 'protected_by_mitigating_control',
};

interface Analysis {
  state: AnalysisState;
  justification?: string;
  response?: string[];
  detail: string;
}

/**
 * The `analysis` of a suppressed vulnerability. A VEX statement keeps its verdict (OpenVEX `fixed`
 * is CycloneDX `resolved`). An ignore entry claims nothing about exploitability: it accepts the
 * risk, which CycloneDX says as state `exploitable` ("may be directly or indirectly exploitable")
 * with response `will_not_fix`, the reason and its owner and expiry in `detail`.
 */
export function analysisOf(s: Suppression): Analysis {
  const detail = suppressionText(s);
  if (s.kind === 'ignore') return { state: 'exploitable', response: ['will_not_fix'], detail };
  const status = s.status ?? '';
  const state: AnalysisState = STATES.has(status) ? (status as AnalysisState) : status === 'fixed' ? 'resolved' : 'not_affected';
  const j = s.justification && (JUSTIFICATIONS.has(s.justification) ? s.justification : OPENVEX_JUSTIFICATION[s.justification]);
  return { state, ...(j ? { justification: j } : {}), detail };
}

/** Findings of one vulnerability entry: the same id, and the same analysis (none for active findings). */
interface Group {
  id: string;
  analysis?: Analysis;
  findings: Finding[];
}

/** RFC 4122 version-5-shaped UUID from a name: the same image and packages give the same serial number. */
function stableUuid(name: string): string {
  const h = createHash('sha1').update(name).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

function pkgKey(type: string, name: string, version: string): string {
  return `${type}\0${name}\0${version}`;
}

/** bom-refs: the purl where it is unique, else the purl plus the place it was found. */
function assignRefs(packages: Package[]): string[] {
  const seen = new Set<string>([IMAGE_REF, OS_REF]);
  return packages.map((p) => {
    const base = p.purl ?? `pkg:generic/${encodeURIComponent(p.name)}@${encodeURIComponent(p.version)}?type=${p.type}`;
    let ref = base;
    if (seen.has(ref) && p.locations[0]) ref = `${base}#${p.locations[0].path}`;
    for (let n = 2; seen.has(ref); n++) ref = `${base}#${n}`;
    seen.add(ref);
    return ref;
  });
}

function componentOf(p: Package, ref: string): object {
  const props: { name: string; value: string }[] = [{ name: 'shipshape:package:type', value: p.type }];
  if (p.arch) props.push({ name: 'shipshape:package:arch', value: p.arch });
  if (p.sourceName) props.push({ name: 'shipshape:package:source-name', value: p.sourceName });
  if (p.sourceVersion) props.push({ name: 'shipshape:package:source-version', value: p.sourceVersion });
  if (p.local) props.push({ name: 'shipshape:package:local', value: 'true' });
  if (p.dev) props.push({ name: 'shipshape:package:dev', value: 'true' });
  p.locations.forEach((l, i) => {
    props.push({ name: `shipshape:location:${i}:path`, value: l.path });
    if (l.layer) props.push({ name: `shipshape:location:${i}:layer`, value: l.layer });
  });
  return {
    type: 'library',
    'bom-ref': ref,
    name: p.name,
    version: p.version,
    ...(p.purl ? { purl: p.purl } : {}),
    // CycloneDX's scope for "test and other non-runtime purposes": a lockfile's dev dependency.
    ...(p.dev ? { scope: 'excluded' } : {}),
    // Catalogued license strings are not always SPDX ids (GPL2, BSD-3-clause): named, not guessed.
    ...(p.licenses?.length ? { licenses: [...new Set(p.licenses)].map((name) => ({ license: { name } })) } : {}),
    properties: props,
  };
}

export const cyclonedxReporter: Reporter = {
  format: 'cyclonedx',
  render(r: ScanReport): string {
    const id = imageIdentity(r.image);
    const digestHex = /^sha256:([0-9a-f]{64})$/.exec(r.image.digest)?.[1];
    const pkgs = [...r.packages].sort(comparePackages);
    const refs = assignRefs(pkgs);
    const byKey = new Map<string, string>();
    const byKeyPath = new Map<string, string>();
    pkgs.forEach((p, i) => {
      const k = pkgKey(p.type, p.name, p.version);
      if (!byKey.has(k)) byKey.set(k, refs[i]!);
      for (const l of p.locations) if (!byKeyPath.has(`${k}\0${l.path}`)) byKeyPath.set(`${k}\0${l.path}`, refs[i]!);
    });

    const components: object[] = pkgs.map((p, i) => componentOf(p, refs[i]!));
    if (r.os) {
      components.unshift({
        type: 'operating-system',
        'bom-ref': OS_REF,
        name: r.os.id,
        version: r.os.version,
        ...(r.os.name ? { description: r.os.name } : {}),
      });
    }

    // One entry per advisory id; affects lists every package it was matched on. Suppressed
    // findings of an id get entries of their own, one per analysis, since `analysis` is per entry.
    const groups = new Map<string, Group>();
    const add = (f: Finding, analysis?: Analysis) => {
      if (f.kind !== 'vulnerability') return;
      const k = `${f.id}\0${analysis ? JSON.stringify(analysis) : ''}`;
      let g = groups.get(k);
      if (!g) groups.set(k, (g = { id: f.id, ...(analysis ? { analysis } : {}), findings: [] }));
      g.findings.push(f);
    };
    for (const f of [...r.findings].sort(compareFindings)) add(f);
    for (const { suppression, ...f } of sortedSuppressed(r)) add(f, analysisOf(suppression));
    const ordered = [...groups.entries()].sort(([a], [b]) => compareText(a, b)).map(([, g]) => g);
    // Ids alone for active entries: a report without suppressions keeps the serial number it always had.
    const serialParts = ordered.map((g) => (g.analysis ? `${g.id}\0${JSON.stringify(g.analysis)}` : g.id)).sort(compareText);
    const bomRefs = new Set<string>();
    const vulnerabilities = ordered.map(({ id: vid, analysis, findings: fs }) => {
      let bomRef = `vuln:${vid}`;
      for (let n = 2; bomRefs.has(bomRef); n++) bomRef = `vuln:${vid}#${n}`;
      bomRefs.add(bomRef);
      const feed = fs[0]!.match?.feed;
      const source = feed ? (SOURCES[feed] ?? { name: feed }) : undefined;
      const affects = [
        ...new Set(
          fs.flatMap((f) => {
            if (!f.package) return [];
            const k = pkgKey(f.package.type, f.package.name, f.package.version);
            const ref = byKeyPath.get(`${k}\0${f.locations[0]?.path ?? ''}`) ?? byKey.get(k);
            return ref ? [ref] : [];
          }),
        ),
      ].sort(compareText);
      const ratings = [...new Map(fs.flatMap(ratingsOf).map((r) => [JSON.stringify(r), r])).entries()].sort(([a], [b]) => compareText(a, b)).map(([, r]) => r);
      const fixes = [...new Set(fs.map((f) => (f.package && f.fixedVersion ? `${f.package.name} ${f.fixedVersion}` : '')))].filter(Boolean).sort(compareText);
      const url = findingUrl(fs[0]!);
      const aliases = [...new Set(fs.flatMap((f) => f.aliases))].sort(compareText);
      return {
        'bom-ref': bomRef,
        id: vid,
        ...(source ? { source: { ...source, ...(url ? { url } : {}) } } : url ? { source: { url } } : {}),
        ...(aliases.length ? { references: aliases.map((a) => ({ id: a, source: { name: a.split('-')[0]! } })) } : {}),
        ratings,
        ...(fs[0]!.title ? { description: fs[0]!.title } : {}),
        ...(fixes.length ? { recommendation: `Upgrade to ${fixes.join(', ')}` } : {}),
        ...(url ? { advisories: [{ url }] } : {}),
        ...(analysis ? { analysis } : {}),
        affects: affects.map((ref) => ({ ref })),
      };
    });

    const imageComponent = {
      type: 'container',
      'bom-ref': IMAGE_REF,
      name: id.name,
      version: r.image.digest,
      ...(digestHex ? { hashes: [{ alg: 'SHA-256', content: digestHex }] } : {}),
      purl: imagePurl(r.image),
      properties: [
        { name: 'shipshape:image:reference', value: r.image.reference },
        ...(r.image.configDigest ? [{ name: 'shipshape:image:config-digest', value: r.image.configDigest }] : []),
        ...(r.image.platform ? [{ name: 'shipshape:image:platform', value: r.image.platform }] : []),
        ...r.image.layers.map((l, i) => ({ name: `shipshape:image:layer:${i}`, value: l })),
      ],
    };

    const bom = {
      $schema: 'http://cyclonedx.org/schema/bom-1.6.schema.json',
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      serialNumber: `urn:uuid:${stableUuid(`${r.image.digest}\0${refs.join('\0')}\0${serialParts.join('\0')}`)}`,
      version: 1,
      metadata: {
        ...(r.createdAt ? { timestamp: r.createdAt } : {}),
        tools: {
          components: [
            { type: 'application', name: TOOL_NAME, version: TOOL_VERSION, externalReferences: [{ type: 'website', url: TOOL_URI }] },
          ],
        },
        component: imageComponent,
      },
      components,
      dependencies: [{ ref: IMAGE_REF, dependsOn: [...(r.os ? [OS_REF] : []), ...refs].sort(compareText) }],
      ...(vulnerabilities.length ? { vulnerabilities } : {}),
    };
    return `${JSON.stringify(bom, null, 2)}\n`;
  },
};
