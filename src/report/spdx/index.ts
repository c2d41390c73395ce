/** SPDX 2.3 JSON SBOM (https://spdx.github.io/spdx-spec/v2.3/): the image as a package containing its packages. */
import type { OsInfo, Package, ScanReport } from '../../model/index.js';
import { comparePackages, compareText, imageIdentity, imagePurl, reportTime, TOOL_NAME, TOOL_VERSION } from '../common.js';
import type { Reporter } from '../types.js';

const NOASSERTION = 'NOASSERTION';
const IMAGE_ID = 'SPDXRef-Image';

/** SPDX ids allow letters, digits, '.' and '-' only. */
function safeId(s: string): string {
  return s.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '') || 'x';
}

/**
 * Licenses that are already SPDX ids (checked case-sensitively against this short list of the
 * common ones); everything else becomes a LicenseRef with the original text, never a guessed id.
 */
const KNOWN_IDS = new Set([
  '0BSD', 'AFL-2.1', 'Apache-1.1', 'Apache-2.0', 'Artistic-1.0', 'Artistic-2.0', 'BSD-1-Clause', 'BSD-2-Clause',
  'BSD-3-Clause', 'BSD-4-Clause', 'BSL-1.0', 'CC0-1.0', 'CC-BY-3.0', 'CC-BY-4.0', 'CC-BY-SA-4.0', 'CDDL-1.0', 'CDDL-1.1',
  'EPL-1.0', 'EPL-2.0', 'GPL-1.0-only', 'GPL-1.0-or-later', 'GPL-2.0-only', 'GPL-2.0-or-later', 'GPL-3.0-only',
  'GPL-3.0-or-later', 'ISC', 'LGPL-2.0-only', 'LGPL-2.0-or-later', 'LGPL-2.1-only', 'LGPL-2.1-or-later', 'LGPL-3.0-only',
  'LGPL-3.0-or-later', 'MIT', 'MIT-0', 'MPL-1.1', 'MPL-2.0', 'OpenSSL', 'PostgreSQL', 'PSF-2.0', 'Python-2.0', 'Ruby',
  'Unicode-DFS-2016', 'Unlicense', 'Vim', 'WTFPL', 'X11', 'Zlib', 'zlib-acknowledgement',
]);

interface Extracted {
  licenseId: string;
  extractedText: string;
  name: string;
}

const OS_ID = 'SPDXRef-OperatingSystem';

/** The image's OS as its own package (Trivy does the same): the namespace `scan sbom:FILE` matches distro packages in. */
function osPackage(os: OsInfo): object {
  return {
    SPDXID: OS_ID,
    name: os.id,
    versionInfo: os.version,
    downloadLocation: NOASSERTION,
    filesAnalyzed: false,
    licenseConcluded: NOASSERTION,
    licenseDeclared: NOASSERTION,
    copyrightText: NOASSERTION,
    ...(os.name ? { description: os.name } : {}),
    // The JSON schema spells it OPERATING_SYSTEM; the tag-value spec and Trivy write OPERATING-SYSTEM (readers take both).
    primaryPackagePurpose: 'OPERATING_SYSTEM',
  };
}

/** SPDX 2.3 packages have no free-form properties: source package facts go in annotations `shipshape:KEY=VALUE`. */
function sourceAnnotations(p: Package, date: string): object[] {
  const facts = [`shipshape:sourceName=${p.sourceName}`, ...(p.sourceVersion ? [`shipshape:sourceVersion=${p.sourceVersion}`] : [])];
  return facts.map((comment) => ({ annotationDate: date.replace(/\.\d+Z$/, 'Z'), annotationType: 'OTHER', annotator: `Tool: ${TOOL_NAME}-${TOOL_VERSION}`, comment }));
}

export const spdxReporter: Reporter = {
  format: 'spdx',
  render(r: ScanReport): string {
    const id = imageIdentity(r.image);
    const extracted = new Map<string, Extracted>();
    const licenseOf = (names: string[] | undefined): string => {
      const uniq = [...new Set(names ?? [])].sort(compareText);
      if (!uniq.length) return NOASSERTION;
      const parts = uniq.map((n) => {
        if (KNOWN_IDS.has(n)) return n;
        const lid = `LicenseRef-${safeId(n)}`;
        // Two texts that make the same safe id (GPL-2+ and GPL-2 +) keep the first text; the id is what matters.
        if (!extracted.has(lid)) extracted.set(lid, { licenseId: lid, extractedText: n, name: n });
        return lid;
      });
      const set = [...new Set(parts)];
      return set.join(' AND ');
    };

    const used = new Set<string>(['SPDXRef-DOCUMENT', IMAGE_ID]);
    const pkgId = (p: Package): string => {
      const base = `SPDXRef-Package-${safeId(p.type)}-${safeId(p.name)}-${safeId(p.version)}`;
      let sid = base;
      for (let n = 2; used.has(sid); n++) sid = `${base}-${n}`;
      used.add(sid);
      return sid;
    };

    const digestHex = /^sha256:([0-9a-f]{64})$/.exec(r.image.digest)?.[1];
    const imagePackage = {
      SPDXID: IMAGE_ID,
      name: id.name,
      versionInfo: r.image.digest,
      downloadLocation: NOASSERTION,
      filesAnalyzed: false,
      ...(digestHex ? { checksums: [{ algorithm: 'SHA256', checksumValue: digestHex }] } : {}),
      licenseConcluded: NOASSERTION,
      licenseDeclared: NOASSERTION,
      copyrightText: NOASSERTION,
      externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: imagePurl(r.image) }],
      primaryPackagePurpose: 'CONTAINER',
      comment: `Image ${r.image.reference}${r.image.platform ? ` (${r.image.platform})` : ''}${r.os ? `, ${r.os.name ?? r.os.id} ${r.os.version}` : ''}`,
    };

    const packages = [...r.packages].sort(comparePackages).map((p) => ({
      SPDXID: pkgId(p),
      name: p.name,
      versionInfo: p.version,
      downloadLocation: NOASSERTION,
      filesAnalyzed: false,
      licenseConcluded: NOASSERTION,
      licenseDeclared: licenseOf(p.licenses),
      copyrightText: NOASSERTION,
      ...(p.purl ? { externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: p.purl }] } : {}),
      ...(p.locations.length ? { sourceInfo: `found in the image at ${[...new Set(p.locations.map((l) => l.path))].join(', ')}` } : {}),
      // The source (dpkg) or origin (apk) package distro advisories are keyed on: `shipshape scan sbom:FILE` reads it back (src/sbom).
      ...(p.sourceName ? { annotations: sourceAnnotations(p, reportTime(r)) } : {}),
    }));

    const doc = {
      spdxVersion: 'SPDX-2.3',
      dataLicense: 'CC0-1.0',
      SPDXID: 'SPDXRef-DOCUMENT',
      name: `${id.name}@${r.image.digest}`,
      // A namespace must be unique per document and stable for the same input: the image digest names it.
      documentNamespace: `https://shipshape.dev/spdx/${encodeURIComponent(id.name)}-${digestHex ?? safeId(r.image.digest)}`,
      creationInfo: {
        // SPDX wants seconds precision with a Z: 2026-11-28T23:44:56Z.
        created: reportTime(r).replace(/\.\d+Z$/, 'Z'),
        creators: [`Tool: ${TOOL_NAME}-${TOOL_VERSION}`],
      },
      packages: [imagePackage, ...(r.os ? [osPackage(r.os)] : []), ...packages],
      ...(extracted.size ? { hasExtractedLicensingInfos: [...extracted.values()].sort((a, b) => compareText(a.licenseId, b.licenseId)) } : {}),
      relationships: [
        { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: IMAGE_ID },
        ...(r.os ? [{ spdxElementId: IMAGE_ID, relationshipType: 'CONTAINS', relatedSpdxElement: OS_ID }] : []),
        ...packages.map((p) => ({ spdxElementId: IMAGE_ID, relationshipType: 'CONTAINS', relatedSpdxElement: p.SPDXID })),
      ],
    };
    return `${JSON.stringify(doc, null, 2)}\n`;
  },
};
