/**
 * Reads SPDX 2.2/2.3 JSON (https://spdx.github.io/spdx-spec/v2.3/) as written by shipshape, Syft
 * and Trivy: packages from their purl external references, the OS from an OPERATING-SYSTEM package.
 */
import { z } from 'zod';
import { ShipshapeError } from '../errors.js';
import type { Location, OsInfo, Package, Warning } from '../model/index.js';
import { osFromPackages, schemaError, SkipCounter, toPackage } from './common.js';
import { packageTypeOf, parsePurl } from './purl.js';
import type { SbomContents } from './types.js';

export const SPDX_VERSIONS = ['SPDX-2.2', 'SPDX-2.3'] as const;

const annotation = z.object({ comment: z.string().optional() }).passthrough();

const spdxPackage = z
  .object({
    SPDXID: z.string(),
    name: z.string(),
    versionInfo: z.string().optional(),
    primaryPackagePurpose: z.string().optional(),
    sourceInfo: z.string().optional(),
    licenseConcluded: z.string().optional(),
    licenseDeclared: z.string().optional(),
    externalRefs: z
      .array(z.object({ referenceCategory: z.string(), referenceType: z.string(), referenceLocator: z.string() }).passthrough())
      .optional(),
    annotations: z.array(annotation).optional(),
  })
  .passthrough();

const spdxDocument = z
  .object({
    spdxVersion: z.string(),
    SPDXID: z.string(),
    name: z.string().optional(),
    documentDescribes: z.array(z.string()).optional(),
    packages: z.array(spdxPackage).optional(),
  })
  .passthrough();

type SpdxPackage = z.infer<typeof spdxPackage>;

function purlOf(p: SpdxPackage): string | undefined {
  return p.externalRefs?.find((r) => r.referenceType === 'purl' && /^PACKAGE[-_]MANAGER$/.test(r.referenceCategory))?.referenceLocator;
}

/**
 * Facts written as annotations `shipshape:KEY=VALUE` (our SPDX reporter: source package, locations),
 * since SPDX 2.3 has no free-form package properties.
 */
function annotationsOf(p: SpdxPackage): Map<string, string[]> {
  const m = new Map<string, string[]>();
  for (const a of p.annotations ?? []) {
    const mm = /^shipshape:([\w:.-]+)=(.*)$/s.exec(a.comment ?? '');
    if (!mm) continue;
    m.set(mm[1]!, [...(m.get(mm[1]!) ?? []), mm[2]!]);
  }
  return m;
}

/** Trivy writes `built package from: glibc 2.36-9+deb12u4`; shipshape annotations win. */
function sourceOf(p: SpdxPackage, ann: Map<string, string[]>): { sourceName?: string; sourceVersion?: string } {
  const name = ann.get('sourceName')?.[0];
  const version = ann.get('sourceVersion')?.[0];
  if (name) return { sourceName: name, ...(version ? { sourceVersion: version } : {}) };
  const m = /^built package from:\s*(\S+)(?:\s+(\S+))?\s*$/.exec(p.sourceInfo ?? '');
  if (!m) return {};
  return { sourceName: m[1]!, ...(m[2] ? { sourceVersion: m[2] } : {}) };
}

/** shipshape's `found in the image at /a, /b` (paths only), or `shipshape:location=LAYER PATH` annotations. */
function locationsOf(p: SpdxPackage, ann: Map<string, string[]>): Location[] {
  const out: Location[] = [];
  const found = /^found in the image at (.+)$/.exec(p.sourceInfo ?? '');
  if (found) for (const path of found[1]!.split(', ')) if (path.startsWith('/')) out.push({ layer: '', path });
  for (const v of ann.get('location') ?? []) {
    // `LAYER PATH` or just `PATH`.
    const m = /^(\S+:\S+)\s+(\/.*)$/.exec(v);
    if (m) out.push({ layer: m[1]!, path: m[2]! });
    else if (v.startsWith('/')) out.push({ layer: '', path: v });
  }
  return out;
}

function licensesOf(p: SpdxPackage): string[] | undefined {
  const v = [p.licenseDeclared, p.licenseConcluded].find((l) => l && l !== 'NOASSERTION' && l !== 'NONE');
  return v ? [v] : undefined;
}

function osOf(p: SpdxPackage): OsInfo {
  const ann = annotationsOf(p);
  const id = (ann.get('os:id')?.[0] ?? p.name).toLowerCase();
  const version = ann.get('os:versionId')?.[0] ?? p.versionInfo ?? '';
  const name = ann.get('os:name')?.[0] ?? (typeof p.description === 'string' ? p.description : undefined);
  const codename = ann.get('os:codename')?.[0];
  return { id, version, ...(name ? { name } : {}), ...(codename ? { codename } : {}) };
}

/** The described image: the CONTAINER package (digest as version or in its oci purl), else the document name. */
function subjectOf(doc: z.infer<typeof spdxDocument>): SbomContents['subject'] {
  const container = doc.packages?.find((p) => p.primaryPackagePurpose === 'CONTAINER');
  const candidates = [container?.versionInfo, ...(container ? [purlOf(container)] : []).map((u) => (u ? decodeURIComponent(u.split('?')[0]!.split('@').pop() ?? '') : undefined))];
  const digest = candidates.find((v): v is string => typeof v === 'string' && /^sha256:[a-f0-9]{64}$/.test(v));
  const name = container?.name ?? doc.name;
  return { ...(name ? { name } : {}), ...(digest ? { digest } : {}) };
}

function isPackagePurl(purl: string | undefined): boolean {
  const p = purl ? parsePurl(purl) : undefined;
  return p !== undefined && packageTypeOf(p.type) !== undefined;
}

/** Reads a parsed SPDX JSON document; `file` names it in errors and warnings. */
export function readSpdx(doc: unknown, file: string): SbomContents {
  const v = (doc as { spdxVersion?: unknown }).spdxVersion;
  if (typeof v === 'string' && !(SPDX_VERSIONS as readonly string[]).includes(v)) {
    throw new ShipshapeError('bad-sbom', `${file}: spdxVersion ${v} is not supported (supported: ${SPDX_VERSIONS.join(', ')} JSON)`);
  }
  const parsed = spdxDocument.safeParse(doc);
  if (!parsed.success) throw schemaError(file, 'SPDX', parsed.error);
  const d = parsed.data;
  const skips = new SkipCounter();
  const distros: OsInfo[] = [];
  const packages: Package[] = [];
  const warnings: Warning[] = [];
  let os: OsInfo | null = null;
  for (const p of d.packages ?? []) {
    const purl = purlOf(p);
    // The JSON schema spells purposes with '_' (OPERATING_SYSTEM), the spec text and Trivy with '-'.
    const purpose = p.primaryPackagePurpose?.replace(/_/g, '-');
    // OPERATING-SYSTEM names the OS itself (Trivy: name debian, version 12.5), but some tools also
    // mark each distro package so: one with a package purl is a package.
    if (purpose === 'OPERATING-SYSTEM' && !isPackagePurl(purl)) {
      os ??= osOf(p);
      continue;
    }
    if (purpose === 'CONTAINER' || purpose === 'FILE') continue;
    // Trivy lists each lockfile as an APPLICATION package without a purl; only libraries are expected to have one.
    if (!purl && purpose && purpose !== 'LIBRARY' && purpose !== 'FRAMEWORK') continue;
    const ann = annotationsOf(p);
    const lic = licensesOf(p);
    const pkg = toPackage(
      { name: p.name, ...(purl ? { purl } : {}), ...(p.versionInfo ? { version: p.versionInfo } : {}), ...sourceOf(p, ann), ...(lic ? { licenses: lic } : {}), locations: locationsOf(p, ann) },
      skips,
      distros,
    );
    if (pkg) packages.push(pkg);
  }
  os ??= osFromPackages(distros, file, warnings);
  for (const w of skips.warnings(file)) warnings.push(w);
  return { format: 'spdx', specVersion: d.spdxVersion, subject: subjectOf(d), os, packages, warnings };
}
