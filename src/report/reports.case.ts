/** Small in-code ScanReports every reporter test renders: empty, one of each finding kind, suppressed findings, hostile names. */
import type { Finding, Package, ScanReport, SuppressedFinding } from '../model/index.js';

const LAYER_A = `sha256:${'a'.repeat(64)}`;
const LAYER_B = `sha256:${'b'.repeat(64)}`;

function base(): ScanReport {
  return {
    schemaVersion: 1,
    createdAt: '2026-01-02T03:04:05.678Z',
    image: {
      reference: 'registry.example:5000/team/app:1.0',
      digest: `sha256:${'d'.repeat(64)}`,
      configDigest: `sha256:${'c'.repeat(64)}`,
      platform: 'linux/amd64',
      layers: [LAYER_A, LAYER_B],
    },
    os: { id: 'debian', version: '12', name: 'Debian GNU/Linux 12 (bookworm)', codename: 'bookworm' },
    packages: [],
    findings: [],
    warnings: [],
    db: { builtAt: '2026-01-01T00:00:00.000Z', digest: `sha256:${'e'.repeat(64)}`, schemaVersion: 1 },
    verdict: { pass: true, failOn: null, reasons: [], minimal: null },
  };
}

/** No packages, no findings, no OS. */
export function emptyReport(): ScanReport {
  const { createdAt: _dropped, ...rest } = base();
  return { ...rest, os: null, db: null };
}

const openssl: Package = {
  name: 'openssl',
  version: '3.0.11-1~deb12u1',
  type: 'deb',
  arch: 'amd64',
  sourceName: 'openssl',
  sourceVersion: '3.0.11-1~deb12u1',
  licenses: ['Apache-2.0', 'GPL-2+'],
  purl: 'pkg:deb/debian/openssl@3.0.11-1~deb12u1?arch=amd64&distro=debian-12',
  locations: [{ layer: LAYER_A, path: '/var/lib/dpkg/status' }],
};

const lodash: Package = {
  name: 'lodash',
  version: '4.17.20',
  type: 'npm',
  licenses: ['MIT'],
  purl: 'pkg:npm/lodash@4.17.20',
  locations: [{ layer: LAYER_B, path: '/app/node_modules/lodash/package.json' }],
};

/** The same npm package installed twice, at two paths: ids and refs must stay unique. */
const lodashAgain: Package = { ...lodash, locations: [{ layer: LAYER_B, path: '/srv/node_modules/lodash/package.json' }] };

function vuln(pkg: Package, id: string, severity: Finding['severity'], fixed: string | null, extra: Partial<Finding> = {}): Finding {
  return {
    kind: 'vulnerability',
    id,
    aliases: [],
    severity,
    package: { name: pkg.name, version: pkg.version, type: pkg.type },
    fixedVersion: fixed,
    locations: pkg.locations,
    match: {
      feed: pkg.type === 'deb' ? 'debian-tracker' : 'osv',
      namespace: pkg.type === 'deb' ? 'debian:12' : 'npm',
      searchedBy: pkg.sourceName ?? pkg.name,
      installedVersion: pkg.version,
      scheme: pkg.type === 'deb' ? 'deb' : 'semver',
      rule: fixed ? `${pkg.version} < fixed ${fixed}` : `${pkg.version}: no fix`,
    },
    ...extra,
  };
}

/** An ignore entry (accepted risk with an owner and an expiry) and an OpenVEX not_affected statement. */
function suppressedFindings(): SuppressedFinding[] {
  return [
    {
      ...vuln(openssl, 'CVE-2023-2650', 'high', '3.0.9-1', { title: 'openssl: slow OBJ_obj2txt on crafted ASN.1 object identifiers' }),
      suppression: {
        kind: 'ignore',
        reason: 'we never translate untrusted OIDs to text',
        source: 'shipshape.yaml',
        owner: 'platform-team',
        expires: '2026-12-31',
      },
    },
    {
      ...vuln(lodashAgain, 'GHSA-p6mc-m468-83gw', 'high', '4.17.19', { aliases: ['CVE-2020-8203'] }),
      suppression: {
        kind: 'vex',
        reason: 'not_affected (vulnerable_code_not_in_execute_path): zipObjectDeep is never called',
        status: 'not_affected',
        justification: 'vulnerable_code_not_in_execute_path',
        source: 'vex/app.openvex.json',
      },
    },
  ];
}

/** One vulnerability of each interesting shape, an image check, a Dockerfile lint finding and two suppressed findings; the verdict fails. */
export function mixedReport(): ScanReport {
  return {
    ...base(),
    packages: [lodash, lodashAgain, openssl],
    findings: [
      vuln(openssl, 'CVE-2023-5678', 'medium', '3.0.13-1~deb12u1', { aliases: ['DSA-5585-1'], title: 'openssl: DH key checks are slow' }),
      vuln(openssl, 'CVE-2024-0727', 'low', null, { status: 'no-dsa' }),
      vuln(lodash, 'GHSA-35jh-r3h4-6jhm', 'critical', '4.17.21', { aliases: ['CVE-2021-23337'], url: 'https://github.com/advisories/GHSA-35jh-r3h4-6jhm' }),
      vuln(lodashAgain, 'GHSA-35jh-r3h4-6jhm', 'critical', '4.17.21', { aliases: ['CVE-2021-23337'], url: 'https://github.com/advisories/GHSA-35jh-r3h4-6jhm' }),
      vuln(lodash, 'CVE-2020-28500', 'unknown', '4.17.21'),
      {
        kind: 'check',
        id: 'root-user',
        aliases: [],
        severity: 'high',
        title: 'Image runs as root',
        message: 'User is not set, so the container runs as root',
        fixedVersion: null,
        locations: [],
        url: 'https://docs.docker.com/build/building/best-practices/#user',
        remediation: 'Set USER to a non-root user or uid in the image (e.g. USER 65532:65532).',
      },
      {
        kind: 'check',
        id: 'setuid-files',
        aliases: [],
        severity: 'negligible',
        title: 'Files with the setuid bit',
        message: 'setuid files: /usr/bin/passwd',
        fixedVersion: null,
        locations: [{ layer: LAYER_A, path: '/usr/bin/passwd' }],
      },
      {
        kind: 'lint',
        id: 'latest-tag',
        aliases: ['DL3007'],
        severity: 'medium',
        title: 'Base image uses the latest tag',
        message: 'FROM debian:latest is not pinned. Pin a version or a digest',
        line: 3,
        fixedVersion: null,
        locations: [{ layer: '', path: 'docker/Dockerfile' }],
        url: 'https://docs.docker.com/build/building/best-practices/#from',
      },
    ],
    suppressed: suppressedFindings(),
    warnings: [{ message: 'the database has no advisories for alpine 3.99' }, { path: '/app/package-lock.json', message: 'malformed lock file' }],
    verdict: { pass: false, failOn: 'medium', reasons: ['4 finding(s) at or above medium'], minimal: false },
  };
}

const ODD = `<&"'> ünï©ødé 🚢`;

/** Markup characters and non-ASCII text in every string a reporter might print. */
export function oddReport(): ScanReport {
  const pkg: Package = {
    name: `pkg${ODD}`,
    version: `1.0${ODD}`,
    type: 'python',
    licenses: [`License ${ODD}`, 'MIT'],
    purl: `pkg:pypi/${encodeURIComponent(`pkg${ODD}`)}@${encodeURIComponent(`1.0${ODD}`)}`,
    locations: [{ layer: LAYER_A, path: `/opt/${ODD}/METADATA` }],
  };
  const r = mixedReport();
  return {
    ...r,
    image: { ...r.image, reference: `registry.example/${ODD}:t${ODD}` },
    os: { id: 'alpine', version: '3.20.0', name: `Alpine ${ODD}` },
    packages: [pkg, ...r.packages],
    findings: [
      vuln(pkg, `CVE-2099-0001`, 'high', `2.0${ODD}`, {
        title: `title ${ODD}\nsecond line | pipe`,
        status: ODD,
        // Encoded non-ASCII but no encoded ASCII (%20, %3C) before it: the SARIF multitool (.NET Uri)
        // wrongly rejects that valid combination, which no real advisory link has.
        url: `https://example.test/advisory/${encodeURIComponent('ünï')}?a=1&b='x'`,
      }),
      {
        kind: 'check',
        id: 'secret-in-config',
        aliases: [],
        severity: 'critical',
        title: `Secret ${ODD}`,
        message: `ENV TOKEN=${ODD} \u0001 control`,
        remediation: `Unset ${ODD} <b>bold</b> \u0001`,
        fixedVersion: null,
        locations: [{ layer: LAYER_B, path: `/etc/${ODD} with space` }],
      },
      {
        kind: 'lint',
        id: 'odd-rule',
        aliases: [],
        severity: 'low',
        message: `RUN echo ${ODD} *bold* [link](x) \`code\``,
        line: 1,
        fixedVersion: null,
        locations: [{ layer: '', path: `sub dir/${ODD}.Dockerfile` }],
      },
      ...r.findings,
    ],
    suppressed: [
      ...(r.suppressed ?? []),
      {
        kind: 'check',
        id: 'shell-present',
        aliases: [],
        severity: 'low',
        title: `Shell ${ODD}`,
        message: `shells: /bin/${ODD}`,
        fixedVersion: null,
        locations: [{ layer: LAYER_A, path: `/bin/${ODD}` }],
        remediation: `Remove the shell ${ODD} *now* | later`,
        suppression: { kind: 'ignore', reason: `debug ${ODD}\n*image* | [x](y)`, source: `/p/${ODD}.yaml`, owner: ODD, expires: '2027-01-01' },
      },
    ],
    warnings: [{ message: `warning ${ODD}`, path: `/p/${ODD}` }],
  };
}

export const SAMPLE_REPORTS: readonly { name: string; report: () => ScanReport }[] = [
  { name: 'empty', report: emptyReport },
  { name: 'mixed', report: mixedReport },
  { name: 'odd characters', report: oddReport },
];
