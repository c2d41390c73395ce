/** English collation (localeCompare's order under an `en` locale) for sorted lists, fast on ASCII. */

// Printable ASCII in the order of CLDR's root/English collation (punctuation and symbols, then
// digits, then letters), each letter's lower case first: ICU's primary weights for these
// characters, with case as the tertiary difference. Checked against Intl.Collator in collate.test.ts.
const ORDER = ' _-,;:!?.\'"()[]{}@*/\\&#%`^+<=>|~$0123456789aAbBcCdDeEfFgGhHiIjJkKlLmMnNoOpPqQrRsStTuUvVwWxXyYzZ';

/** Primary weight per ASCII code (0: not handled here), and 1 for upper-case letters. */
const PRIMARY = new Uint8Array(128);
const UPPER = new Uint8Array(128);
{
  let weight = 0;
  for (const ch of ORDER) {
    const c = ch.charCodeAt(0);
    const upper = c >= 65 && c <= 90;
    if (!upper) weight++;
    PRIMARY[c] = weight;
    UPPER[c] = upper ? 1 : 0;
  }
}

let collator: Intl.Collator | undefined;

/**
 * `a.localeCompare(b)` as an English locale orders strings, whatever the user's locale is (sorted
 * reports must not change with LANG). Strings of printable ASCII, nearly all package names,
 * versions, ids and paths, are compared here without ICU, whose collator costs ~7 ms to start.
 */
export function collate(a: string, b: string): number {
  if (a === b) return 0;
  if (!plain(a) || !plain(b)) return (collator ??= new Intl.Collator('en')).compare(a, b);
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = PRIMARY[a.charCodeAt(i)]! - PRIMARY[b.charCodeAt(i)]!;
    if (d) return d < 0 ? -1 : 1;
  }
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  // The same letters, spelt with other cases: the first difference decides, lower case first.
  for (let i = 0; i < n; i++) {
    const d = UPPER[a.charCodeAt(i)]! - UPPER[b.charCodeAt(i)]!;
    if (d) return d < 0 ? -1 : 1;
  }
  return 0;
}

function plain(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || !PRIMARY[c]) return false;
  }
  return true;
}
