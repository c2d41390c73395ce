/** What several reporters share: the tool's name and version, the image's name and purl, finding order and links. */
import { readFileSync } from 'node:fs';
import { severityRank, type Finding, type ImageInfo, type Package, type ScanReport, type SuppressedFinding, type Suppression } from '../model/index.js';

export const TOOL_NAME = 'shipshape';
export const TOOL_URI = 'https://shipshape.dev';

/** The package version, read once; same relative path from src/report and dist/report. */
export const TOOL_VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
})();

/** A fallback when a report has no createdAt: formats that require a time get a fixed, obviously-unset one. */
export function reportTime(r: ScanReport): string {
  return r.createdAt ?? r.db?.builtAt ?? '1970-01-01T00:00:00.000Z';
}

export interface ImageIdentity {
  /** Short name: the last path segment of the repository or layout, without tag or digest. */
  name: string;
  tag?: string;
  /** Registry repository (host/path) for registry references; absent for local layouts and archives. */
  repositoryUrl?: string;
}

/** Splits the normalised reference (docker.io/library/alpine:3.20, oci:dir:tag, docker-archive:f.tar, sbom:f.json) into name, tag, repository. */
export function imageIdentity(image: ImageInfo): ImageIdentity {
  let ref = image.reference;
  const local = /^(oci|docker-archive|sbom):/.exec(ref);
  if (local) ref = ref.slice(local[0].length);
  const at = ref.indexOf('@');
  if (at >= 0) ref = ref.slice(0, at);
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  let tag: string | undefined;
  if (colon > slash) {
    tag = ref.slice(colon + 1);
    ref = ref.slice(0, colon);
  }
  let name = ref.slice(slash + 1);
  if (local?.[1] === 'docker-archive') name = name.replace(/\.tar$/, '');
  if (!name) name = 'image';
  return { name, ...(tag ? { tag } : {}), ...(local ? {} : { repositoryUrl: ref }) };
}

/** purl of the image (pkg:oci, https://github.com/package-url/purl-spec): the digest is the version. */
export function imagePurl(image: ImageInfo): string {
  const id = imageIdentity(image);
  const q: string[] = [];
  const arch = image.platform?.split('/')[1];
  if (arch) q.push(`arch=${encodeURIComponent(arch)}`);
  if (id.repositoryUrl) q.push(`repository_url=${encodeURIComponent(id.repositoryUrl).replace(/%2F/g, '/')}`);
  if (id.tag) q.push(`tag=${encodeURIComponent(id.tag)}`);
  return `pkg:oci/${encodeURIComponent(id.name.toLowerCase())}@${encodeURIComponent(image.digest)}${q.length ? `?${q.join('&')}` : ''}`;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Code-point order: stable across locales, unlike localeCompare. */
export const compareText = cmp;

/** A total order on findings (worst first) that does not depend on the order they came in. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    severityRank(b.severity) - severityRank(a.severity) ||
    cmp(a.kind, b.kind) ||
    cmp(a.id, b.id) ||
    cmp(a.package?.name ?? '', b.package?.name ?? '') ||
    cmp(a.package?.version ?? '', b.package?.version ?? '') ||
    cmp(a.package?.type ?? '', b.package?.type ?? '') ||
    cmp(a.locations[0]?.path ?? '', b.locations[0]?.path ?? '') ||
    (a.line ?? 0) - (b.line ?? 0) ||
    cmp(a.message ?? '', b.message ?? '')
  );
}

/** A page about the finding: its own url, else a well-known page for CVE and GHSA ids. */
export function findingUrl(f: Finding): string | undefined {
  if (f.url) return f.url;
  if (/^CVE-\d{4}-\d+$/.test(f.id)) return `https://nvd.nist.gov/vuln/detail/${f.id}`;
  if (/^GHSA(-[23456789cfghjmpqrvwx]{4}){3}$/.test(f.id)) return `https://github.com/advisories/${f.id}`;
  return undefined;
}

/** One line saying what the finding is about: the package and versions, or the check's or rule's message. */
export function findingSummary(f: Finding): string {
  if (f.kind === 'vulnerability' && f.package) {
    const fix = f.fixedVersion ? `fixed in ${f.fixedVersion}` : `no fix yet${f.status ? ` (${f.status})` : ''}`;
    return `${f.package.name} ${f.package.version} (${f.package.type}) is affected by ${f.id} (${f.severity}); ${fix}`;
  }
  const where = f.kind === 'lint' && f.line !== undefined ? `${f.locations[0]?.path ?? 'Dockerfile'}:${f.line}: ` : '';
  return `${where}${f.message ?? f.title ?? f.id}`;
}

/** A total order on packages, so SBOMs do not depend on the order catalogers ran in. */
export function comparePackages(a: Package, b: Package): number {
  return (
    cmp(a.type, b.type) ||
    cmp(a.name, b.name) ||
    cmp(a.version, b.version) ||
    cmp(a.locations.map((l) => l.path).join('\0'), b.locations.map((l) => l.path).join('\0')) ||
    cmp(a.purl ?? '', b.purl ?? '')
  );
}

/** The report's suppressed findings, worst first, in an order that does not depend on the input order. */
export function sortedSuppressed(r: ScanReport): SuppressedFinding[] {
  return [...(r.suppressed ?? [])].sort((a, b) => compareFindings(a, b) || compareSuppressions(a.suppression, b.suppression));
}

function compareSuppressions(a: Suppression, b: Suppression): number {
  return cmp(a.kind, b.kind) || cmp(a.source, b.source) || cmp(a.reason, b.reason) || cmp(a.expires ?? '', b.expires ?? '');
}

/** Who suppressed it, as a short word: `ignore` (a policy ignore entry), `VEX` or `pragma` (an inline lint comment). */
export function suppressedBy(s: Suppression): string {
  return s.kind === 'vex' ? 'VEX' : s.kind === 'pragma' ? 'pragma' : 'ignore';
}

/** Why a finding was suppressed, in one line: by what, from where, whose and until when, and the reason. */
export function suppressionText(s: Suppression): string {
  const about = [s.source, s.owner ? `owner ${s.owner}` : '', s.expires ? `until ${s.expires}` : ''].filter(Boolean).join(', ');
  const by = s.kind === 'vex' ? 'VEX statement' : s.kind === 'pragma' ? 'inline pragma' : 'ignore entry';
  return `${by} (${about}): ${s.reason}`.replace(/\s*[\r\n]+\s*/g, ' ');
}
