/**
 * End-of-life dates and last patch releases of OS releases, as of 2026-11-28.
 * Sources: https://alpinelinux.org/releases/ (end of support of the main repository),
 * https://wiki.debian.org/LTS and https://www.debian.org/releases/ (end of LTS: no security updates
 * at all after it), https://ubuntu.com/about/release-cycle (end of standard support),
 * https://access.redhat.com/support/policy/updates/errata (end of maintenance support) and the
 * Rocky/AlmaLinux release pages; cross-checked with https://endoflife.date.
 */

export interface Lifecycle {
  /** Last day of security support, ISO date. */
  eol: string;
  /** Newest patch release of the line when the table was written (Alpine only: x.y.z). */
  latest?: string;
}

export const LIFECYCLES: Record<string, Record<string, Lifecycle>> = {
  alpine: {
    '3.3': { eol: '2017-11-01', latest: '3.3.3' },
    '3.4': { eol: '2018-05-01', latest: '3.4.6' },
    '3.5': { eol: '2018-11-01', latest: '3.5.3' },
    '3.6': { eol: '2019-05-01', latest: '3.6.5' },
    '3.7': { eol: '2019-11-01', latest: '3.7.3' },
    '3.8': { eol: '2020-05-01', latest: '3.8.5' },
    '3.9': { eol: '2020-11-01', latest: '3.9.6' },
    '3.10': { eol: '2021-05-01', latest: '3.10.9' },
    '3.11': { eol: '2021-11-01', latest: '3.11.13' },
    '3.12': { eol: '2022-05-01', latest: '3.12.12' },
    '3.13': { eol: '2022-11-01', latest: '3.13.12' },
    '3.14': { eol: '2023-05-01', latest: '3.14.10' },
    '3.15': { eol: '2023-11-01', latest: '3.15.11' },
    '3.16': { eol: '2024-05-23', latest: '3.16.9' },
    '3.17': { eol: '2024-11-22', latest: '3.17.10' },
    '3.18': { eol: '2025-05-09', latest: '3.18.12' },
    '3.19': { eol: '2025-11-01' },
    '3.20': { eol: '2026-04-01' },
    '3.21': { eol: '2026-11-01' },
    '3.22': { eol: '2027-05-01' },
    '3.23': { eol: '2027-11-01' },
  },
  debian: {
    '7': { eol: '2018-05-31' },
    '8': { eol: '2020-06-30' },
    '9': { eol: '2022-06-30' },
    '10': { eol: '2024-06-30' },
    '11': { eol: '2026-08-31' },
    '12': { eol: '2028-06-30' },
    '13': { eol: '2030-06-30' },
  },
  ubuntu: {
    '14.04': { eol: '2019-04-25' },
    '16.04': { eol: '2021-04-30' },
    '18.04': { eol: '2023-05-31' },
    '20.04': { eol: '2025-05-29' },
    '22.04': { eol: '2027-06-01' },
    '24.04': { eol: '2029-05-31' },
  },
  rhel: { '7': { eol: '2024-06-30' }, '8': { eol: '2029-05-31' }, '9': { eol: '2032-05-31' } },
  centos: { '7': { eol: '2024-06-30' }, '8': { eol: '2021-12-31' } },
  rocky: { '8': { eol: '2029-05-31' }, '9': { eol: '2032-05-31' } },
  almalinux: { '8': { eol: '2029-03-01' }, '9': { eol: '2032-05-31' } },
};

/** The release line an os-release VERSION_ID belongs to: 3.10.9 → 3.10 (alpine), 12.7 → 12 (debian, RHEL family). */
export function releaseLine(id: string, version: string): string {
  const parts = version.split('.');
  return id === 'alpine' || id === 'ubuntu' ? parts.slice(0, 2).join('.') : parts[0]!;
}

export function lifecycleOf(id: string, version: string): Lifecycle | undefined {
  return LIFECYCLES[id]?.[releaseLine(id, version)];
}
