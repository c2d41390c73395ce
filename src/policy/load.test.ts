/** shipshape.yaml parsing: every kind of mistake ends in one line naming file:line:column; good files normalise. */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ShipshapeError } from '../errors.js';
import { parsePolicy } from './load.js';

function problem(text: string, vex: Record<string, string> = {}): string {
  try {
    parsePolicy(text, 'shipshape.yaml', {
      readVex: (f) => {
        const name = f.split('/').pop()!;
        if (!(name in vex)) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
        return vex[name]!;
      },
    });
  } catch (err) {
    expect(err).toBeInstanceOf(ShipshapeError);
    expect((err as ShipshapeError).code).toBe('bad-policy');
    const msg = (err as Error).message;
    expect(msg).not.toContain('\n');
    return msg;
  }
  throw new Error('expected the policy to be rejected');
}

describe('parsePolicy: rejected inputs', () => {
  it.each([
    ['unknown top-level key', 'failOn: high\nfailon: low\n', /^shipshape\.yaml:2:1: unknown key "failon" \(known: failOn, /],
    ['unknown key in an ignore entry', 'ignore:\n  - id: CVE-1\n    reason: ok\n    expiry: 2030-01-01\n', /^shipshape\.yaml:4:5: unknown key "expiry" in ignore\[0\]/],
    ['unknown check id', 'checks:\n  root-user: false\n  rootuser: true\n', /^shipshape\.yaml:3:3: unknown key "rootuser" in checks \(known: root-user,/],
    ['wrong type: boolean', 'ignoreUnfixed: "yes"\n', /^shipshape\.yaml:1:16: ignoreUnfixed must be a boolean, not the string "yes"$/],
    ['wrong type: failOnUnknown', 'failOnUnknown: 1\n', /^shipshape\.yaml:1:16: failOnUnknown must be a boolean, not number 1$/],
    ['wrong type: list', 'allowedRegistries: docker.io\n', /^shipshape\.yaml:1:20: allowedRegistries must be a list, not the string "docker.io"$/],
    ['wrong type: the whole file', '- a\n- b\n', /^shipshape\.yaml:1:1: the policy must be a mapping, not a list$/],
    ['invalid date', 'ignore:\n  - id: CVE-1\n    reason: ok\n    expires: 2026-02-30\n', /^shipshape\.yaml:4:14: ignore\[0\]\.expires: invalid date "2026-02-30"/],
    ['date in another form', 'ignore:\n  - id: CVE-1\n    reason: ok\n    expires: 01/02/2026\n', /^shipshape\.yaml:4:14: ignore\[0\]\.expires: invalid date/],
    ['date as a number', 'ignore:\n  - id: CVE-1\n    reason: ok\n    expires: 20260101\n', /^shipshape\.yaml:4:14: ignore\[0\]\.expires must be a string, not number 20260101$/],
    ['bad severity', 'failOn: urgent\n', /^shipshape\.yaml:1:9: failOn: unknown severity "urgent" \(one of: unknown, negligible, low, medium, high, critical\)$/],
    ['bad noData', 'noData: ignore\n', /^shipshape\.yaml:1:9: noData must be one of warn, fail, not the string "ignore"$/],
    ['bad duration', 'maxDbAge: 7 days\n', /^shipshape\.yaml:1:11: maxDbAge: invalid duration "7 days"/],
    ['missing reason', 'ignore:\n  - id: CVE-1\n', /^shipshape\.yaml:2:5: ignore\[0\]: missing "reason"/],
    ['empty id', 'ignore:\n  - id: ""\n    reason: r\n', /^shipshape\.yaml:2:9: ignore\[0\]\.id must not be empty$/],
    ['bad YAML: unclosed quote', 'failOn: "high\n', /^shipshape\.yaml:\d+:\d+: invalid YAML: Missing closing "quote$/],
    ['bad YAML: bad indentation', 'ignore:\n  - id: CVE-1\n   reason: x\n', /^shipshape\.yaml:3:\d+: invalid YAML: /],
    ['bad YAML: duplicate key', 'failOn: high\nfailOn: low\n', /^shipshape\.yaml:2:1: invalid YAML: Map keys must be unique/],
  ])('%s', (_name, text, expected) => {
    expect(problem(text)).toMatch(expected);
  });

  it('names the VEX entry and the problem for a missing, unparseable or unknown VEX document', () => {
    const policy = 'failOn: high\nvex:\n  - ok.json\n  - vex/broken.json\n';
    const ok = JSON.stringify({ '@context': 'https://openvex.dev/ns/v0.2.0', statements: [] });
    expect(problem(policy, { 'ok.json': ok })).toBe('shipshape.yaml:4:5: cannot read VEX document vex/broken.json: ENOENT');
    expect(problem(policy, { 'ok.json': ok, 'broken.json': '{\n  "statements": [,]\n}' })).toMatch(
      /^shipshape\.yaml:4:5: vex\/broken\.json: not valid JSON \(/,
    );
    expect(problem(policy, { 'ok.json': ok, 'broken.json': '{"spdxVersion": "SPDX-2.3"}' })).toMatch(
      /^shipshape\.yaml:4:5: vex\/broken\.json: not a VEX document this version reads/,
    );
    const badStatus = JSON.stringify({
      '@context': 'https://openvex.dev/ns/v0.2.0',
      statements: [{ vulnerability: { name: 'CVE-1' }, products: [], status: 'fine' }],
    });
    expect(problem(policy, { 'ok.json': ok, 'broken.json': badStatus })).toBe(
      'shipshape.yaml:4:5: vex/broken.json: invalid OpenVEX document: statements/0/status must be one of not_affected, affected, fixed, under_investigation',
    );
  });
});

describe('parsePolicy: accepted inputs', () => {
  it('normalises every key', () => {
    const vex = JSON.stringify({
      '@context': 'https://openvex.dev/ns/v0.2.0',
      statements: [{ vulnerability: { name: 'CVE-2' }, products: [{ '@id': 'sha256:' + 'a'.repeat(64) }], status: 'not_affected' }],
    });
    const p = parsePolicy(
      [
        'failOn: HIGH',
        'ignoreUnfixed: true',
        'failOnUnknown: true',
        'maxDbAge: 36h',
        'noData: fail',
        'checks:',
        '  root-user: false',
        '  requireMinimal: true',
        '  maxImageAge: 2w',
        'allowedRegistries: [registry.example:5000, ghcr.io/acme]',
        'allowedBaseImages: ["alpine:3.*"]',
        'ignore:',
        '  - id: CVE-1',
        '    package: musl',
        '    path: /lib/**',
        '    reason: not reachable',
        '    owner: team-a',
        '    expires: 2030-01-31',
        'vex: [vex/a.json]',
        '',
      ].join('\n'),
      'conf/shipshape.yaml',
      { readVex: (f) => (f === path.resolve('conf/vex/a.json') ? vex : '') },
    );
    expect(p).toMatchObject({
      source: 'conf/shipshape.yaml',
      failOn: 'high',
      ignoreUnfixed: true,
      failOnUnknown: true,
      maxDbAgeMs: 36 * 3600e3,
      noData: 'fail',
      checks: { enabled: { 'root-user': false }, requireMinimal: true, maxImageAgeMs: 14 * 86400e3 },
      allowedRegistries: ['registry.example:5000', 'ghcr.io/acme'],
      allowedBaseImages: ['alpine:3.*'],
      ignore: [
        { id: 'CVE-1', package: 'musl', path: '/lib/**', reason: 'not reachable', owner: 'team-a', expires: '2030-01-31', where: 'conf/shipshape.yaml:13:5' },
      ],
    });
    expect(p.vex).toHaveLength(1);
    expect(p.vex[0]).toMatchObject({ vulnerability: 'CVE-2', status: 'not_affected', source: 'vex/a.json' });
  });

  it('reads an empty file as an empty policy', () => {
    expect(parsePolicy('', 'shipshape.yaml')).toMatchObject({ ignore: [], vex: [], checks: { enabled: {} } });
    expect(parsePolicy('# nothing yet\n', 'shipshape.yaml').failOn).toBeUndefined();
  });
});
