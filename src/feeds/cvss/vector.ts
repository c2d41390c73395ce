/** Splits a CVSS vector string (`CVSS:3.1/AV:N/...`, or a v2 vector without prefix) into its metrics. */

export interface ParsedVector {
  /** '2.0', '3.0', '3.1' or '4.0' */
  version: string;
  metrics: Map<string, string>;
}

/**
 * Parses `CVSS:<version>/M:V/...`; a vector without the prefix is taken as v2 (NVD writes
 * v2 vectors bare, sometimes in parentheses). Undefined when malformed or a metric repeats.
 */
export function parseVector(vector: string): ParsedVector | undefined {
  let s = vector.trim();
  if (s.startsWith('(') && s.endsWith(')')) s = s.slice(1, -1);
  let version = '2.0';
  const m = /^CVSS:(\d\.\d)\//.exec(s);
  if (m) {
    version = m[1]!;
    s = s.slice(m[0].length);
  }
  const metrics = new Map<string, string>();
  for (const part of s.split('/')) {
    const i = part.indexOf(':');
    if (i <= 0 || i === part.length - 1) return undefined;
    const k = part.slice(0, i);
    if (metrics.has(k)) return undefined;
    metrics.set(k, part.slice(i + 1));
  }
  return { version, metrics };
}
