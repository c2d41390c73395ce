/** CycloneDX 1.6 JSON SBOM (https://cyclonedx.org/docs/1.6/json/): the image, its packages and their vulnerabilities. */
import { createHash } from 'node:crypto';
import type { Finding, Package, ScanReport, Severity } from '../../model/index.js';
import { compareFindings, comparePackages, compareText, findingUrl, imageIdentity, imagePurl, TOOL_NAME, TOOL_URI, TOOL_VERSION } from '../common.js';
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
};

/**
 * Hook for VEX: when findings carry an analysis (state, justification, detail), it becomes the
 * vulnerability's `analysis`. The model has no such field yet; this reads it if a later change adds one.
 */
interface VexAnalysis {
  state: 'resolved' | 'resolved_with_pedigree' | 'exploitable' | 'in_triage' | 'false_positive' | 'not_affected';
  justification?: string;
  detail?: string;
}

function analysisOf(findings: Finding[]): VexAnalysis | undefined {
  for (const f of findings) {
    const vex = (f as Finding & { vex?: VexAnalysis }).vex;
    if (vex?.state) return { state: vex.state, ...(vex.justification ? { justification: vex.justification } : {}), ...(vex.detail ? { detail: vex.detail } : {}) };
  }
  return undefined;
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
        version: r.os.versionId,
        ...(r.os.name ? { description: r.os.name } : {}),
      });
    }

    // One entry per advisory id; affects lists every package it was matched on.
    const groups = new Map<string, Finding[]>();
    for (const f of [...r.findings].sort(compareFindings)) {
      if (f.kind !== 'vulnerability') continue;
      let g = groups.get(f.id);
      if (!g) groups.set(f.id, (g = []));
      g.push(f);
    }
    const vulnerabilities = [...groups.entries()]
      .sort(([a], [b]) => compareText(a, b))
      .map(([vid, fs]) => {
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
        const ratings = [...new Set(fs.map((f) => f.severity))].sort(compareText).map((s) => ({
          ...(source ? { source } : {}),
          severity: RATING[s],
        }));
        const fixes = [...new Set(fs.map((f) => (f.package && f.fixedVersion ? `${f.package.name} ${f.fixedVersion}` : '')))].filter(Boolean).sort(compareText);
        const url = findingUrl(fs[0]!);
        const aliases = [...new Set(fs.flatMap((f) => f.aliases))].sort(compareText);
        const analysis = analysisOf(fs);
        return {
          'bom-ref': `vuln:${vid}`,
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
      serialNumber: `urn:uuid:${stableUuid(`${r.image.digest}\0${refs.join('\0')}\0${[...groups.keys()].sort(compareText).join('\0')}`)}`,
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
