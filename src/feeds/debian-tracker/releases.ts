/** Debian release codenames and the advisory namespaces (`debian:<major>`) they map to. */

/** Codename → version, as os-release VERSION_ID gives it (woody and sarge predate os-release). */
export const DEBIAN_RELEASES: Readonly<Record<string, string>> = {
  buzz: '1.1',
  rex: '1.2',
  bo: '1.3',
  hamm: '2.0',
  slink: '2.1',
  potato: '2.2',
  woody: '3.0',
  sarge: '3.1',
  etch: '4',
  lenny: '5',
  squeeze: '6',
  wheezy: '7',
  jessie: '8',
  stretch: '9',
  buster: '10',
  bullseye: '11',
  bookworm: '12',
  trixie: '13',
  forky: '14',
  duke: '15',
};

/** Suites with no release number: advisories for them are not stored. */
const UNNUMBERED = new Set(['sid', 'unstable', 'experimental', 'testing']);

/**
 * `bullseye` → `debian:11`. Suffixes like `bookworm-security` map to their release. Returns null
 * for sid/experimental (no namespace on purpose) and undefined for a codename we do not know.
 */
export function debianNamespace(codename: string): string | null | undefined {
  const base = codename.trim().toLowerCase().replace(/-(security|lts|updates|backports)$/, '');
  if (UNNUMBERED.has(base)) return null;
  const v = DEBIAN_RELEASES[base];
  return v === undefined ? undefined : `debian:${v}`;
}

/** Tracker urgency → severity. The trailing `**` marks an urgency not yet reviewed. */
export function urgencyToSeverity(urgency: string | undefined): 'negligible' | 'low' | 'medium' | 'high' | 'unknown' {
  switch ((urgency ?? '').trim().toLowerCase().replace(/\*+$/, '')) {
    case 'unimportant':
      return 'negligible';
    case 'low':
      return 'low';
    case 'medium':
      return 'medium';
    case 'high':
      return 'high';
    default:
      return 'unknown';
  }
}

export function trackerUrl(id: string): string {
  return `https://security-tracker.debian.org/tracker/${encodeURIComponent(id)}`;
}
