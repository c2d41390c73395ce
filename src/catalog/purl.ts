/** Builds package URLs (https://github.com/package-url/purl-spec) the same way for every cataloger. */

/** Percent-encodes one purl component: everything but ASCII letters, digits and `.-_~`. */
export function purlEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * `pkg:type/namespace/name@version?qualifiers`. The namespace may hold several `/`-separated
 * segments (golang, composer); each segment is encoded on its own so the slashes stay.
 */
export function purl(
  type: string,
  namespace: string | undefined,
  name: string,
  version?: string,
  qualifiers?: Record<string, string | undefined>,
): string {
  let s = `pkg:${type}/`;
  if (namespace) s += namespace.split('/').filter(Boolean).map(purlEncode).join('/') + '/';
  s += purlEncode(name);
  if (version) s += `@${purlEncode(version)}`;
  const q = Object.entries(qualifiers ?? {})
    .filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k.toLowerCase()}=${purlEncode(v)}`);
  if (q.length) s += `?${q.join('&')}`;
  return s;
}

/** Splits a slash-separated path (Go module, Composer name) into purl namespace and name. */
export function splitLast(p: string): { namespace: string | undefined; name: string } {
  const i = p.lastIndexOf('/');
  return i < 0 ? { namespace: undefined, name: p } : { namespace: p.slice(0, i), name: p.slice(i + 1) };
}
