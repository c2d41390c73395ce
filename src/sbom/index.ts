/** SBOM input: reads a CycloneDX or SPDX JSON file into the packages and OS a scan matches. */
import { readFileSync, statSync } from 'node:fs';
import { ShipshapeError } from '../errors.js';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../model/index.js';
import { readCycloneDx } from './cyclonedx.js';
import { readSpdx } from './spdx.js';
import type { SbomContents } from './types.js';

export type { SbomContents } from './types.js';
export { CYCLONEDX_VERSIONS, readCycloneDx } from './cyclonedx.js';
export { SPDX_VERSIONS, readSpdx } from './spdx.js';
export { packageFromPurl, parsePurl, type ParsedPurl } from './purl.js';

/** SBOMs of very large images run to tens of MB; anything far beyond is not one we should hold in memory. */
export const MAX_SBOM_BYTES = 512 * 1024 * 1024;

/** Parses SBOM text (CycloneDX 1.4–1.6 JSON or SPDX 2.2/2.3 JSON); `file` names it in errors. */
export function parseSbom(text: string, file: string): SbomContents {
  const head = text.trimStart().slice(0, 200);
  if (head.startsWith('<')) throw new ShipshapeError('bad-sbom', `${file}: XML SBOMs are not supported: use CycloneDX or SPDX JSON`);
  if (/^SPDXVersion:/m.test(head)) throw new ShipshapeError('bad-sbom', `${file}: SPDX tag-value is not supported: use SPDX JSON`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ShipshapeError('bad-sbom', `${file}: not JSON (${(err as Error).message.replace(/\s+/g, ' ').slice(0, 200)})`, { cause: err });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ShipshapeError('bad-sbom', `${file}: not an SBOM: $ must be an object (CycloneDX or SPDX JSON)`);
  }
  // Schema validation and component walks recurse: a 100,000-deep document would overflow the stack.
  if (nestedDeeperThan(doc, MAX_JSON_DEPTH)) throw new ShipshapeError('too-large', `${file}: JSON nested more than ${MAX_JSON_DEPTH} levels deep (limit for an SBOM)`);
  const o = doc as Record<string, unknown>;
  let sbom: SbomContents;
  if (o.bomFormat !== undefined) {
    if (o.bomFormat !== 'CycloneDX') throw new ShipshapeError('bad-sbom', `${file}: not an SBOM shipshape reads: $.bomFormat is ${JSON.stringify(o.bomFormat)}, expected "CycloneDX"`);
    sbom = readCycloneDx(doc, file);
  } else if (o.spdxVersion !== undefined) {
    sbom = readSpdx(doc, file);
  } else if (o['@context'] !== undefined && JSON.stringify(o['@context']).includes('spdx')) {
    throw new ShipshapeError('bad-sbom', `${file}: SPDX 3 JSON-LD is not supported (supported: SPDX 2.2/2.3 JSON, CycloneDX 1.4-1.6 JSON)`);
  } else {
    throw new ShipshapeError('bad-sbom', `${file}: not a CycloneDX or SPDX JSON document (no $.bomFormat or $.spdxVersion)`);
  }
  return sbom;
}

/** Reads and parses an SBOM file. */
export function readSbomFile(file: string): SbomContents {
  let size: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new ShipshapeError('bad-sbom', `${file}: not a regular file`);
    size = st.size;
  } catch (err) {
    if (err instanceof ShipshapeError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ShipshapeError('not-found', `SBOM file ${file} does not exist`, { cause: err });
    throw new ShipshapeError('io', `cannot read SBOM file ${file} (${code ?? (err as Error).message})`, { cause: err });
  }
  if (size > MAX_SBOM_BYTES) throw new ShipshapeError('too-large', `${file}: ${size} bytes, more than the ${MAX_SBOM_BYTES}-byte SBOM limit`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ShipshapeError('io', `cannot read SBOM file ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { cause: err });
  }
  return parseSbom(text.replace(/^\uFEFF/, ''), file);
}
