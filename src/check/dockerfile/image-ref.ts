/** Parses image references the way Docker does (distribution reference grammar) and matches them against globs. */
import type { ImageReference } from './types.js';

const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com', 'hub.docker.com']);

export function normalizeRegistry(host: string): string {
  const h = host.toLowerCase();
  return DOCKER_HUB_ALIASES.has(h) ? 'docker.io' : h;
}

function isLowerAlnum(ch: string): boolean {
  return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

/** One path component: lower-case alphanumerics separated by `.`, `_`, `__` or runs of `-`. */
function validComponent(c: string): boolean {
  if (c.length === 0 || !isLowerAlnum(c[0]!) || !isLowerAlnum(c[c.length - 1]!)) return false;
  for (let i = 0; i < c.length; i++) {
    const ch = c[i]!;
    if (isLowerAlnum(ch) || ch === '-') continue;
    if (ch === '.' || ch === '_') {
      const next = c[i + 1]!;
      // `__` is allowed, any other pair of separators is not
      if (ch === '_' && next === '_' && isLowerAlnum(c[i + 2] ?? '')) {
        i++;
        continue;
      }
      if (!isLowerAlnum(next)) return false;
      continue;
    }
    return false;
  }
  return true;
}

function validTag(t: string): boolean {
  if (t.length === 0 || t.length > 128) return false;
  for (let i = 0; i < t.length; i++) {
    const ch = t[i]!;
    const word = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch === '_';
    if (word) continue;
    if (i > 0 && (ch === '.' || ch === '-')) continue;
    return false;
  }
  return true;
}

function isHex(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102))) return false;
  }
  return s.length > 0;
}

function validDigest(d: string): boolean {
  const colon = d.indexOf(':');
  if (colon <= 0) return false;
  const algo = d.slice(0, colon);
  const enc = d.slice(colon + 1);
  if (algo === 'sha256') return enc.length === 64 && isHex(enc);
  if (algo === 'sha512') return enc.length === 128 && isHex(enc);
  for (const ch of algo) if (!isLowerAlnum(ch) && ch !== '+' && ch !== '.' && ch !== '_' && ch !== '-') return false;
  return enc.length >= 32;
}

function looksLikeRegistry(first: string): boolean {
  return first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase();
}

/** Parses `alpine`, `alpine:3.20`, `ghcr.io/o/r@sha256:...`, `127.0.0.1:5000/app:v1`. Returns a reason when invalid. */
export function parseImageRef(ref: string): ImageReference | { error: string } {
  if (ref.length === 0) return { error: 'empty image reference' };
  if (ref.length > 1024) return { error: 'image reference too long' };
  for (const ch of ref) {
    if (ch <= ' ' || ch === '"' || ch === "'" || ch === '$' || ch === '\\' || ch === '`') return { error: `invalid character ${JSON.stringify(ch)} in image reference` };
  }
  let name = ref;
  let digest: string | undefined;
  const at = ref.indexOf('@');
  if (at >= 0) {
    digest = ref.slice(at + 1);
    name = ref.slice(0, at);
    if (!validDigest(digest)) return { error: `invalid digest "${digest.slice(0, 80)}"` };
  }
  let tag: string | undefined;
  const lastColon = name.lastIndexOf(':');
  if (lastColon > name.lastIndexOf('/')) {
    tag = name.slice(lastColon + 1);
    name = name.slice(0, lastColon);
    if (!validTag(tag)) return { error: `invalid tag "${tag.slice(0, 80)}"` };
  }
  if (name.length === 0) return { error: 'missing repository name' };
  const parts = name.split('/');
  let registry = 'docker.io';
  if (parts.length > 1 && looksLikeRegistry(parts[0]!)) {
    registry = normalizeRegistry(parts.shift()!);
    if (registry.length === 0) return { error: 'empty registry host' };
  }
  for (const p of parts) {
    if (!validComponent(p)) {
      return { error: p !== p.toLowerCase() ? 'repository name must be lowercase' : `invalid repository name component "${p.slice(0, 80)}"` };
    }
  }
  if (registry === 'docker.io' && parts.length === 1) parts.unshift('library');
  const repository = parts.join('/');
  return { registry, repository, tag, digest, name: `${registry}/${repository}` };
}

/** Glob match with `*` only, by successive indexOf: linear-ish, no backtracking blow-up. */
export function globMatch(pattern: string, text: string): boolean {
  const parts = pattern.split('*');
  if (parts.length === 1) return pattern === text;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (!text.startsWith(first) || text.length < first.length + last.length || !text.endsWith(last)) return false;
  let pos = first.length;
  const limit = text.length - last.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const p = parts[i]!;
    const idx = text.indexOf(p, pos);
    if (idx < 0 || idx + p.length > limit) return false;
    pos = idx + p.length;
  }
  return true;
}

/** Normalises a user pattern (`alpine`, `myorg/base:*`, `ghcr.io/org/*`) to the canonical registry/repository form. */
export function normalizePattern(pattern: string): string {
  const p = pattern.trim();
  const slash = p.indexOf('/');
  if (slash < 0) return p.includes('*') ? `docker.io/${p}` : `docker.io/library/${p}`;
  const first = p.slice(0, slash);
  if (looksLikeRegistry(first)) return `${normalizeRegistry(first)}${p.slice(slash)}`;
  return `docker.io/${p}`;
}

/** True when the reference matches one of the patterns; a pattern without a tag matches every tag and digest. */
export function matchesAnyImage(ref: ImageReference, patterns: readonly string[]): boolean {
  const candidates = [ref.name];
  if (ref.tag) candidates.push(`${ref.name}:${ref.tag}`);
  if (ref.digest) candidates.push(`${ref.name}@${ref.digest}`);
  if (ref.tag && ref.digest) candidates.push(`${ref.name}:${ref.tag}@${ref.digest}`);
  return patterns.some((pat) => {
    const norm = normalizePattern(pat);
    return candidates.some((c) => globMatch(norm, c));
  });
}

/** True when the registry host matches one of the allowed hosts (globs like `*.example.com` allowed). */
export function registryAllowed(registry: string, allowed: readonly string[]): boolean {
  const r = normalizeRegistry(registry);
  return allowed.some((a) => globMatch(normalizeRegistry(a.trim()), r));
}
