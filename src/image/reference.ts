/**
 * Parses what a user types to name an image: registry references normalised exactly as Docker's
 * distribution/reference ParseNormalizedNamed does, `oci:` layouts, `docker-archive:` files and
 * bare paths. Grammar: https://github.com/distribution/reference/blob/main/reference.go
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { ShipshapeError } from '../errors.js';
import type { ImageRef } from './types.js';

// Ported from distribution/reference regexp.go; kept as separate pieces so they read like the grammar.
const alphanumeric = '[a-z0-9]+';
const separator = '(?:[._]|__|[-]+)';
const pathComponent = `${alphanumeric}(?:${separator}${alphanumeric})*`;
const remoteName = `${pathComponent}(?:/${pathComponent})*`;
const domainNameComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const domainName = `${domainNameComponent}(?:\\.${domainNameComponent})*`;
const ipv6address = '\\[(?:[a-fA-F0-9:]+)\\]';
const host = `(?:${domainName}|${ipv6address})`;
const domainAndPort = `${host}(?::[0-9]+)?`;
const tagPat = '[\\w][\\w.-]{0,127}';
const digestPat = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*[:][0-9a-fA-F]{32,}';
const namePat = `(?:${domainAndPort}/)?${remoteName}`;

const referenceRe = new RegExp(`^(${namePat})(?::(${tagPat}))?(?:@(${digestPat}))?$`);
const anchoredNameRe = new RegExp(`^(?:(${domainAndPort})/)?(${remoteName})$`);
const anchoredTagRe = new RegExp(`^${tagPat}$`);
const identifierRe = /^[a-f0-9]{64}$/;

const REPOSITORY_NAME_MAX = 255;
const DEFAULT_DOMAIN = 'docker.io';
const LEGACY_DEFAULT_DOMAIN = 'index.docker.io';
const OFFICIAL_REPO_PREFIX = 'library/';
const DEFAULT_TAG = 'latest';

// go-digest's registered algorithms that we can verify (digest.ts hashes sha256 and sha512).
const DIGEST_HEX_LENGTH: Record<string, number> = { sha256: 64, sha512: 128 };

function bad(input: string, why: string): ShipshapeError {
  return new ShipshapeError('bad-reference', `invalid image reference "${input}": ${why}`);
}

/** As go-digest's Digest.Validate: a known algorithm and lowercase hex of its exact length. */
function checkDigest(input: string, digest: string): void {
  const i = digest.indexOf(':');
  const algorithm = digest.slice(0, i);
  const hex = digest.slice(i + 1);
  const len = DIGEST_HEX_LENGTH[algorithm];
  if (len === undefined) throw bad(input, `unsupported digest algorithm "${algorithm}"`);
  if (hex.length !== len) throw bad(input, `invalid digest length (${algorithm} needs ${len} hex characters)`);
  if (!/^[a-f0-9]+$/.test(hex)) throw bad(input, 'invalid digest: hex must be lowercase [a-f0-9]');
}

/** distribution/reference splitDockerDomain: which part of a familiar name is the registry. */
function splitDockerDomain(name: string): [domain: string, remainder: string] {
  const slash = name.indexOf('/');
  if (slash < 0) return [DEFAULT_DOMAIN, OFFICIAL_REPO_PREFIX + name];
  const maybeDomain = name.slice(0, slash);
  const maybeRemote = name.slice(slash + 1);
  let domain: string;
  let remote: string;
  if (maybeDomain === 'localhost') [domain, remote] = [maybeDomain, maybeRemote];
  else if (maybeDomain === LEGACY_DEFAULT_DOMAIN) [domain, remote] = [DEFAULT_DOMAIN, maybeRemote];
  else if (/[.:]/.test(maybeDomain)) [domain, remote] = [maybeDomain, maybeRemote];
  // Uppercase namespaces are not allowed, so an uppercase first component must be a host name.
  else if (maybeDomain.toLowerCase() !== maybeDomain) [domain, remote] = [maybeDomain, maybeRemote];
  else [domain, remote] = [DEFAULT_DOMAIN, name];
  if (domain === DEFAULT_DOMAIN && !remote.includes('/')) remote = OFFICIAL_REPO_PREFIX + remote;
  return [domain, remote];
}

/**
 * A registry reference normalised as Docker does: `alpine` → docker.io/library/alpine:latest.
 * Throws bad-reference on anything distribution/reference's ParseNormalizedNamed rejects.
 */
export function parseRegistryReference(input: string): Extract<ImageRef, { kind: 'registry' }> {
  if (input === '') throw bad(input, 'repository name must have at least one component');
  if (identifierRe.test(input)) throw bad(input, 'cannot specify 64-byte hexadecimal strings as a repository name');
  const [domain, remainder] = splitDockerDomain(input);
  const tagSep = remainder.indexOf(':');
  const remote = tagSep > -1 ? remainder.slice(0, tagSep) : remainder;
  if (remote.toLowerCase() !== remote) throw bad(input, `repository name (${remote}) must be lowercase`);

  const full = `${domain}/${remainder}`;
  const m = referenceRe.exec(full);
  if (!m) {
    const lower = full.toLowerCase();
    if (lower !== full && referenceRe.test(lower)) throw bad(input, 'repository name must be lowercase');
    throw bad(input, 'invalid reference format');
  }
  const nameMatch = anchoredNameRe.exec(m[1]!);
  const registry = nameMatch?.[1] ?? '';
  const repository = nameMatch?.[2] ?? m[1]!;
  if (repository.length > REPOSITORY_NAME_MAX) throw bad(input, `repository name must not be more than ${REPOSITORY_NAME_MAX} characters`);
  const digest = m[3] || undefined;
  if (digest) checkDigest(input, digest);
  const tag = m[2] || (digest ? undefined : DEFAULT_TAG);
  const name = `${registry}/${repository}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
  return { kind: 'registry', registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}), name };
}

const LAYOUT_DIGEST_RE = /@((?:sha256|sha512):[a-f0-9]+)$/;

/** `DIR[:TAG]` or `DIR@DIGEST` after the `oci:` prefix; a colon belongs to the path when the whole thing exists. */
function parseOciLayout(input: string, rest: string): Extract<ImageRef, { kind: 'oci' }> {
  if (!rest) throw bad(input, 'oci: needs a directory, e.g. oci:./layout[:tag]');
  const d = LAYOUT_DIGEST_RE.exec(rest);
  if (d) {
    const dir = rest.slice(0, d.index);
    checkDigest(input, d[1]!);
    if (!dir) throw bad(input, 'oci: needs a directory before @digest');
    return { kind: 'oci', path: path.resolve(dir), digest: d[1]!, name: `oci:${dir}@${d[1]}` };
  }
  const colon = rest.lastIndexOf(':');
  if (colon > 0 && !existsSync(rest)) {
    const dir = rest.slice(0, colon);
    const tag = rest.slice(colon + 1);
    if (!tag.includes('/')) {
      // OCI ref names are looser than Docker tags (annotation values), so only refuse the empty one.
      if (!tag) throw bad(input, 'empty tag after ":"');
      return { kind: 'oci', path: path.resolve(dir), tag, name: `oci:${dir}:${tag}` };
    }
  }
  return { kind: 'oci', path: path.resolve(rest), name: `oci:${rest}` };
}

/** `FILE[:REF]` after `docker-archive:`; REF may itself contain colons (`alpine:3.20`), as in skopeo. */
function parseDockerArchive(input: string, rest: string): Extract<ImageRef, { kind: 'docker-archive' }> {
  if (!rest) throw bad(input, 'docker-archive: needs a file, e.g. docker-archive:image.tar[:tag]');
  if (!existsSync(rest)) {
    // Prefer the longest existing file prefix, else split at the first colon as skopeo does.
    let split = -1;
    for (let i = rest.indexOf(':'); i > 0; i = rest.indexOf(':', i + 1)) {
      if (existsSync(rest.slice(0, i))) split = i;
    }
    if (split < 0) split = rest.indexOf(':');
    if (split > 0) {
      const file = rest.slice(0, split);
      const tag = rest.slice(split + 1);
      if (!tag) throw bad(input, 'empty tag after ":"');
      return { kind: 'docker-archive', path: path.resolve(file), tag, name: `docker-archive:${file}:${tag}` };
    }
  }
  return { kind: 'docker-archive', path: path.resolve(rest), name: `docker-archive:${rest}` };
}

function looksLikePath(input: string): boolean {
  return input.startsWith('/') || input.startsWith('./') || input.startsWith('../') || input === '.' || input === '..';
}

/** A bare path: an OCI layout directory or an archive file; undefined when it is not one. */
function parseBarePath(input: string): ImageRef | undefined {
  const explicit = looksLikePath(input);
  let st;
  try {
    st = statSync(input);
  } catch {
    if (explicit) throw new ShipshapeError('not-found', `image path ${input} does not exist`);
    return undefined;
  }
  if (st.isDirectory()) {
    if (existsSync(path.join(input, 'oci-layout'))) return { kind: 'oci', path: path.resolve(input), name: `oci:${input}` };
    if (explicit) throw bad(input, 'a directory but not an OCI image layout (no oci-layout file)');
    return undefined;
  }
  if (st.isFile()) return { kind: 'docker-archive', path: path.resolve(input), name: `docker-archive:${input}` };
  if (explicit) throw bad(input, 'neither a directory nor a regular file');
  return undefined;
}

/**
 * Parses any image reference: `oci:DIR[:TAG|@DIGEST]`, `docker-archive:FILE[:TAG]`, `sbom:FILE`, an existing
 * path (a directory with `oci-layout` or an archive file), else a registry reference
 * (`docker://` prefix allowed) normalised as Docker does.
 */
export function parseReference(input: string): ImageRef {
  const s = input.trim();
  if (s.startsWith('oci:')) return parseOciLayout(input, s.slice('oci:'.length));
  if (s.startsWith('docker-archive:')) return parseDockerArchive(input, s.slice('docker-archive:'.length));
  if (s.startsWith('docker://')) return parseRegistryReference(s.slice('docker://'.length));
  if (s.startsWith('sbom:')) {
    const file = s.slice('sbom:'.length);
    if (!file) throw bad(input, 'sbom: needs a file, e.g. sbom:image.cdx.json');
    return { kind: 'sbom', path: path.resolve(file), name: `sbom:${file}` };
  }
  const bare = parseBarePath(s);
  if (bare) return bare;
  return parseRegistryReference(s);
}

/** True for a tag Docker would accept (`[\w][\w.-]{0,127}`). */
export function isValidTag(tag: string): boolean {
  return anchoredTagRe.test(tag);
}
