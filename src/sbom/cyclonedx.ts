/**
 * Reads CycloneDX JSON 1.4–1.6 (https://cyclonedx.org/docs/1.6/json/) as written by shipshape,
 * Syft and Trivy: packages from component purls, the OS from the `operating-system` component.
 */
import { z } from 'zod';
import { ShipshapeError } from '../errors.js';
import type { Location, OsInfo, Package, Warning } from '../model/index.js';
import { osFromPackages, schemaError, SkipCounter, toPackage } from './common.js';
import type { SbomContents } from './types.js';

export const CYCLONEDX_VERSIONS = ['1.4', '1.5', '1.6'] as const;

const property = z.object({ name: z.string(), value: z.string().optional() }).passthrough();

interface Component {
  type: string;
  name: string;
  version?: string;
  purl?: string;
  description?: string;
  properties?: Array<{ name: string; value?: string }>;
  licenses?: unknown[];
  components?: Component[];
}

const component: z.ZodType<Component> = z.lazy(() =>
  z
    .object({
      type: z.string(),
      name: z.string(),
      version: z.string().optional(),
      purl: z.string().optional(),
      description: z.string().optional(),
      properties: z.array(property).optional(),
      licenses: z.array(z.unknown()).optional(),
      components: z.array(component).optional(),
    })
    .passthrough(),
);

const bom = z
  .object({
    bomFormat: z.literal('CycloneDX'),
    specVersion: z.string(),
    metadata: z.object({ component: component.optional() }).passthrough().optional(),
    components: z.array(component).optional(),
  })
  .passthrough();

function props(c: Component): Map<string, string> {
  const m = new Map<string, string>();
  for (const p of c.properties ?? []) if (p.value !== undefined && !m.has(p.name)) m.set(p.name, p.value);
  return m;
}

/** Where a component was found: shipshape's and Syft's indexed location properties. */
function locationsOf(c: Component): Location[] {
  const byIndex = new Map<string, Partial<Location>>();
  for (const p of c.properties ?? []) {
    const m = /^(?:shipshape|syft):location:(\d+):(path|layer|layerID)$/.exec(p.name);
    if (!m || p.value === undefined) continue;
    const loc = byIndex.get(m[1]!) ?? {};
    if (m[2] === 'path') loc.path = p.value;
    else loc.layer = p.value;
    byIndex.set(m[1]!, loc);
  }
  const out: Location[] = [];
  for (const [, l] of [...byIndex].sort(([a], [b]) => Number(a) - Number(b))) if (l.path) out.push({ layer: l.layer ?? '', path: l.path });
  return out;
}

/** Licence ids and names of a component (`{license: {id|name}}` or `{expression}`). */
function licensesOf(c: Component): string[] | undefined {
  const out: string[] = [];
  for (const l of c.licenses ?? []) {
    if (typeof l !== 'object' || l === null) continue;
    const rec = l as { license?: { id?: unknown; name?: unknown }; expression?: unknown };
    const v = rec.license?.id ?? rec.license?.name ?? rec.expression;
    if (typeof v === 'string' && v) out.push(v);
  }
  return out.length ? out : undefined;
}

/**
 * The source package of a distro component: shipshape's properties (src/report/cyclonedx), Trivy's
 * SrcName/SrcVersion (+ SrcRelease, SrcEpoch for deb), Syft's metadata properties; Syft's `upstream`
 * purl qualifier is read with the purl and wins.
 */
function sourceOf(c: Component): { sourceName?: string; sourceVersion?: string } {
  const p = props(c);
  // Syft also writes its package metadata as properties: dpkg `source`/`sourceVersion`, apk `originPackage`.
  const name =
    p.get('shipshape:package:source-name') ?? p.get('aquasecurity:trivy:SrcName') ?? p.get('syft:metadata:source') ?? p.get('syft:metadata:originPackage');
  let version = p.get('shipshape:package:source-version') ?? p.get('syft:metadata:sourceVersion');
  if (!version && p.has('aquasecurity:trivy:SrcVersion')) {
    const epoch = p.get('aquasecurity:trivy:SrcEpoch');
    const release = p.get('aquasecurity:trivy:SrcRelease');
    version = `${epoch && epoch !== '0' ? `${epoch}:` : ''}${p.get('aquasecurity:trivy:SrcVersion')}${release ? `-${release}` : ''}`;
  }
  return { ...(name ? { sourceName: name } : {}), ...(version ? { sourceVersion: version } : {}) };
}

function osOf(c: Component): OsInfo {
  const p = props(c);
  // shipshape writes os-release ID as the name and VERSION_ID as the version, PRETTY_NAME as the description.
  const id = (p.get('syft:distro:id') ?? c.name).toLowerCase();
  const version = p.get('syft:distro:versionID') ?? c.version ?? '';
  const name = p.get('syft:distro:prettyName') ?? c.description;
  const codename = p.get('syft:distro:versionCodename');
  return { id, version, ...(name ? { name } : {}), ...(codename ? { codename } : {}) };
}

function* walk(cs: Component[] | undefined): Generator<Component> {
  for (const c of cs ?? []) {
    yield c;
    yield* walk(c.components);
  }
}

/** The image a BOM describes: its metadata component, a container whose version or purl carries the digest. */
function subjectOf(c: Component | undefined): SbomContents['subject'] {
  if (!c) return {};
  const digest = [c.version, c.purl ? decodeURIComponent(c.purl.split('?')[0]!.split('@').pop() ?? '') : undefined].find(
    (v): v is string => typeof v === 'string' && /^sha256:[a-f0-9]{64}$/.test(v),
  );
  return { ...(c.name ? { name: c.name } : {}), ...(digest ? { digest } : {}) };
}

/** Reads a parsed CycloneDX JSON document; `file` names it in errors and warnings. */
export function readCycloneDx(doc: unknown, file: string): SbomContents {
  const spec = (doc as { specVersion?: unknown }).specVersion;
  if (typeof spec === 'string' && !(CYCLONEDX_VERSIONS as readonly string[]).includes(spec)) {
    throw new ShipshapeError('bad-sbom', `${file}: CycloneDX specVersion ${spec} is not supported (supported: ${CYCLONEDX_VERSIONS.join(', ')})`);
  }
  const parsed = bom.safeParse(doc);
  if (!parsed.success) throw schemaError(file, 'CycloneDX', parsed.error);
  const b = parsed.data;
  const skips = new SkipCounter();
  const distros: OsInfo[] = [];
  const packages: Package[] = [];
  let os: OsInfo | null = null;
  const warnings: Warning[] = [];
  for (const c of walk(b.components)) {
    if (c.type === 'operating-system') {
      os ??= osOf(c);
      continue;
    }
    // Files, containers and services are not packages; Syft also lists plain files.
    if (c.type === 'file' || c.type === 'container' || c.type === 'data') continue;
    // Trivy groups language packages under an application per lockfile, with no purl of its own.
    if (!c.purl && ((c.type !== 'library' && c.type !== 'framework') || c.components?.length)) continue;
    const lic = licensesOf(c);
    const pkg = toPackage(
      { name: c.name, ...(c.purl ? { purl: c.purl } : {}), ...(c.version ? { version: c.version } : {}), ...sourceOf(c), ...(lic ? { licenses: lic } : {}), locations: locationsOf(c), ...(props(c).get('shipshape:package:dev') === 'true' ? { dev: true } : {}) },
      skips,
      distros,
    );
    if (pkg) packages.push(pkg);
  }
  os ??= osFromPackages(distros, file, warnings);
  warnings.push(...skips.warnings(file));
  return { format: 'cyclonedx', specVersion: b.specVersion, subject: subjectOf(b.metadata?.component), os, packages, warnings };
}
