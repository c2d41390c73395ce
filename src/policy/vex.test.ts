/** VEX reading: OpenVEX v0.2.0 and v0.0.1 shapes, CycloneDX VEX, purl matching, and rejected documents. */
import { describe, expect, it } from 'vitest';
import { imageDigest, parsePurl, parseVex, purlMatches } from './vex.js';

const DIGEST = `sha256:${'ab'.repeat(32)}`;

describe('parseVex: OpenVEX', () => {
  it('reads a v0.2.0 document: products with subcomponents, justification, impact statement, timestamps', () => {
    const doc = {
      '@context': 'https://openvex.dev/ns/v0.2.0',
      '@id': 'https://example.com/vex/1',
      author: 'sec@example.com',
      timestamp: '2026-01-01T00:00:00Z',
      version: 1,
      statements: [
        {
          vulnerability: { name: 'CVE-2019-14697', aliases: ['GHSA-x'] },
          products: [
            {
              '@id': `pkg:oci/alpine@${DIGEST.replace(':', '%3A')}?repository_url=index.docker.io/library`,
              subcomponents: [{ '@id': 'pkg:apk/alpine/musl@1.1.18-r3' }],
            },
          ],
          status: 'not_affected',
          justification: 'vulnerable_code_not_in_execute_path',
          impact_statement: 'x87 only',
        },
        { vulnerability: { name: 'CVE-2' }, products: [{ '@id': 'pkg:npm/lodash@4.17.20' }], status: 'affected', timestamp: '2026-02-01T00:00:00Z' },
      ],
    };
    const [a, b] = parseVex(JSON.stringify(doc), 'a.vex.json');
    expect(a).toEqual({
      vulnerability: 'CVE-2019-14697',
      aliases: ['GHSA-x'],
      products: [{ id: doc.statements[0]!.products[0]!['@id'], digest: DIGEST, subcomponents: ['pkg:apk/alpine/musl@1.1.18-r3'] }],
      status: 'not_affected',
      originalStatus: 'not_affected',
      justification: 'vulnerable_code_not_in_execute_path',
      statement: 'x87 only',
      timestamp: '2026-01-01T00:00:00Z',
      source: 'a.vex.json',
    });
    expect(b).toMatchObject({ status: 'affected', timestamp: '2026-02-01T00:00:00Z', products: [{ purl: 'pkg:npm/lodash@4.17.20', subcomponents: [] }] });
  });

  it('reads the v0.0.1 shape: vulnerability and products as strings, subcomponents on the statement', () => {
    const doc = {
      '@context': 'https://openvex.dev/ns',
      statements: [{ vulnerability: 'CVE-1', products: [DIGEST], subcomponents: ['pkg:apk/alpine/zlib'], status: 'fixed' }],
    };
    expect(parseVex(JSON.stringify(doc), 'old.json')).toEqual([
      {
        vulnerability: 'CVE-1',
        aliases: [],
        products: [{ id: DIGEST, digest: DIGEST, subcomponents: ['pkg:apk/alpine/zlib'] }],
        status: 'fixed',
        originalStatus: 'fixed',
        source: 'old.json',
      },
    ]);
  });
});

describe('parseVex: CycloneDX', () => {
  it('maps analysis states onto VEX statuses and resolves affects refs through bom-refs to the image or packages', () => {
    const doc = {
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      metadata: { component: { type: 'container', 'bom-ref': 'image', name: 'app', hashes: [{ alg: 'SHA-256', content: DIGEST.slice(7) }] } },
      components: [{ type: 'library', 'bom-ref': 'c1', name: 'musl', purl: 'pkg:apk/alpine/musl@1.1.18-r3?arch=x86_64' }],
      vulnerabilities: [
        { id: 'CVE-A', analysis: { state: 'false_positive', detail: 'not our musl' }, affects: [{ ref: 'c1' }] },
        { id: 'CVE-B', references: [{ id: 'GHSA-b' }], analysis: { state: 'resolved', justification: 'code_not_present' }, affects: [{ ref: 'urn:cdx:1234/1#image' }] },
        { id: 'CVE-C', analysis: { state: 'in_triage' }, affects: [{ ref: 'pkg:npm/x@1' }] },
        { id: 'CVE-D', ratings: [] },
      ],
    };
    const s = parseVex(JSON.stringify(doc), 'bom.cdx.json');
    expect(s.map((x) => [x.vulnerability, x.status, x.originalStatus])).toEqual([
      ['CVE-A', 'not_affected', 'false_positive'],
      ['CVE-B', 'fixed', 'resolved'],
      ['CVE-C', 'under_investigation', 'in_triage'],
    ]);
    expect(s[0]).toMatchObject({ statement: 'not our musl', products: [{ purl: 'pkg:apk/alpine/musl@1.1.18-r3?arch=x86_64' }] });
    expect(s[1]).toMatchObject({ aliases: ['GHSA-b'], justification: 'code_not_present', products: [{ digest: DIGEST }] });
    expect(s[2]!.products).toEqual([{ id: 'pkg:npm/x@1', purl: 'pkg:npm/x@1', subcomponents: [] }]);
  });

  it('rejects a CycloneDX SBOM with no analysis as not a VEX', () => {
    expect(() => parseVex(JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', components: [] }), 'sbom.json')).toThrow(
      'sbom.json: a CycloneDX document without vulnerabilities[].analysis.state is not a VEX',
    );
  });

  it('rejects an unknown analysis state', () => {
    const doc = { bomFormat: 'CycloneDX', vulnerabilities: [{ id: 'CVE-1', analysis: { state: 'wontfix' } }] };
    expect(() => parseVex(JSON.stringify(doc), 'x.json')).toThrow(/^x\.json: invalid CycloneDX document: vulnerabilities\/0\/analysis\/state must be one of /);
  });
});

describe('parseVex: unreadable input', () => {
  it.each([
    ['not JSON', 'statements: []', /^v\.json: not valid JSON \(/],
    ['truncated JSON with a position', '{"a": 1', /^v\.json: not valid JSON \(line 1, column 8: /],
    ['JSON of another kind', '{"spdxVersion": "SPDX-2.3"}', /^v\.json: not a VEX document this version reads/],
    ['a JSON array', '[]', /^v\.json: not a VEX document this version reads/],
    ['OpenVEX without statements', '{"@context": "https://openvex.dev/ns/v0.2.0"}', /^v\.json: invalid OpenVEX document: the document must have required property 'statements'$/],
    [
      'CycloneDX components nested 50,000 deep (was a bare stack overflow)',
      `{"bomFormat":"CycloneDX","specVersion":"1.6","components":${'[{"type":"library","name":"x","components":'.repeat(50_000)}[]${'}]'.repeat(50_000)}}`,
      /^v\.json: JSON nested more than 128 levels deep \(limit for a VEX document\)$/,
    ],
  ])('%s', (_n, text, expected) => {
    expect(() => parseVex(text, 'v.json')).toThrow(expected);
  });
});

describe('purls', () => {
  it('parses type, namespace, name, version and qualifiers, decoding each', () => {
    expect(parsePurl('pkg:golang/github.com/gorilla/mux@v1.8.0?goos=linux#sub')).toEqual({
      type: 'golang',
      namespace: 'github.com/gorilla',
      name: 'mux',
      version: 'v1.8.0',
      qualifiers: { goos: 'linux' },
    });
    expect(parsePurl('pkg:npm/%40babel/core@7.0.0')).toMatchObject({ namespace: '@babel', name: 'core' });
    expect(parsePurl('sha256:abc')).toBeUndefined();
  });

  it.each([
    ['pkg:apk/alpine/musl@1.1.18-r3', 'pkg:apk/alpine/musl@1.1.18-r3?arch=x86_64&distro=alpine-3.7.3', true],
    ['pkg:apk/alpine/musl', 'pkg:apk/alpine/musl@1.1.18-r3?arch=x86_64', true],
    ['pkg:apk/alpine/musl@1.1.18-r4', 'pkg:apk/alpine/musl@1.1.18-r3?arch=x86_64', false],
    ['pkg:apk/alpine/musl-utils', 'pkg:apk/alpine/musl@1.1.18-r3', false],
    ['pkg:apk/alpine/musl?arch=x86_64', 'pkg:apk/alpine/musl@1.1.18-r3?arch=x86_64', true],
    ['pkg:apk/alpine/musl?arch=aarch64', 'pkg:apk/alpine/musl@1.1.18-r3?arch=x86_64', false],
    ['pkg:deb/debian/musl', 'pkg:apk/alpine/musl@1.1.18-r3', false],
    ['PKG:apk/alpine/musl', 'pkg:apk/alpine/musl@1', false],
  ])('%s names %s: %s', (pattern, actual, expected) => {
    expect(purlMatches(pattern, actual)).toBe(expected);
  });

  it('finds image digests in product ids, never in package purls', () => {
    expect(imageDigest(DIGEST)).toBe(DIGEST);
    expect(imageDigest(`pkg:oci/app@${DIGEST.replace(':', '%3a')}`)).toBe(DIGEST);
    expect(imageDigest(`registry.example/app@${DIGEST}`)).toBe(DIGEST);
    expect(imageDigest(`pkg:npm/x@${DIGEST}`)).toBeUndefined();
    expect(imageDigest('sha256:abc')).toBeUndefined();
  });
});
