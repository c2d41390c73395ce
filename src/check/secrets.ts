/** Recognises secrets in text: known token formats, private keys, and secret-named variables with high-entropy values. */

const TOKEN_PATTERNS: Array<[string, RegExp]> = [
  ['AWS access key id', /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/],
  ['GitHub token', /\bgh[pousr]_[A-Za-z0-9]{36,255}\b/],
  ['GitHub fine-grained token', /\bgithub_pat_[A-Za-z0-9_]{50,255}\b/],
  ['GitLab token', /\bglpat-[A-Za-z0-9_-]{20,}\b/],
  ['Slack token', /\bxox[abposr]-[A-Za-z0-9-]{10,}\b/],
  ['private key', /-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?-----/],
];

/** Names that announce a secret; `*_FILE` (a path to a secret) is not one. */
const SECRET_NAME = /(PASSWORD|PASSWD|PASSPHRASE|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?|AUTH)/i;

/** Shannon entropy in bits per character. */
export function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) h -= (n / s.length) * Math.log2(n / s.length);
  return h;
}

/** The kind of known token found in `text`, if any. */
export function knownToken(text: string): string | undefined {
  return TOKEN_PATTERNS.find(([, re]) => re.test(text))?.[0];
}

function looksLikeReference(value: string): boolean {
  return /^\$\{?[A-Za-z_]/.test(value) || value.startsWith('/') || /^(true|false|yes|no|null|none|changeme|\*+|x+)$/i.test(value);
}

/**
 * Whether NAME=VALUE holds a secret: a known token format in the value, or a secret-sounding name
 * with a value long and random enough to be real (entropy cuts placeholders like "changeme").
 */
export function secretAssignment(name: string, value: string): string | undefined {
  const token = knownToken(value);
  if (token) return token;
  if (!SECRET_NAME.test(name) || /_FILE$/i.test(name)) return undefined;
  const v = value.trim().replace(/^["']|["']$/g, '');
  if (v.length < 8 || looksLikeReference(v)) return undefined;
  return entropy(v) >= 3 ? `secret-named variable` : undefined;
}

/** Every `NAME=VALUE` assignment in free text (history lines, .env files); values end at whitespace. */
export function* assignments(text: string): Generator<[string, string]> {
  const re = /\b([A-Za-z_][A-Za-z0-9_.-]{0,127})=("[^"\n]{0,4096}"|'[^'\n]{0,4096}'|[^\s"']{1,4096})/g;
  for (const m of text.matchAll(re)) yield [m[1]!, m[2]!];
}
