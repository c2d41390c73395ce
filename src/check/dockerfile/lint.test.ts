/** The lintDockerfile API: finding shape, aliases, severities, sorting, options, and never leaking secret values. */
import { describe, expect, it } from 'vitest';
import { lintDockerfile } from './lint.js';
import { RULES } from './rules/registry.js';

const D = 'sha256:' + 'cd'.repeat(32);

describe('lintDockerfile', () => {
  it('builds complete lint findings with the Hadolint alias and the rule link', () => {
    const { findings } = lintDockerfile(`FROM gcr.io/distroless/static-debian12:nonroot@${D}\nUSER root\n`, { path: 'app/Dockerfile' });
    expect(findings).toEqual([
      {
        kind: 'lint',
        id: 'root-user',
        aliases: ['DL3002'],
        severity: 'high',
        title: 'Final image runs as root',
        message: expect.stringContaining('the last USER of the final image is root'),
        line: 2,
        fixedVersion: null,
        locations: [{ layer: '', path: 'app/Dockerfile' }],
        url: 'https://github.com/hadolint/hadolint/wiki/DL3002',
      },
    ]);
  });

  it('uses no alias where no Hadolint rule matches, and defaults the path to Dockerfile', () => {
    const { findings } = lintDockerfile(`FROM scratch\nADD https://example.com/x /x\nUSER 1\n`);
    expect(findings.map((f) => [f.id, f.aliases, f.locations[0]!.path])).toEqual([['add-remote-url', [], 'Dockerfile']]);
  });

  it('sorts by line then id', () => {
    const { findings } = lintDockerfile('FROM ubuntu\nRUN sudo apt-get install -y x\n');
    const keys = findings.map((f) => `${String(f.line).padStart(4, '0')} ${f.id}`);
    expect(keys).toEqual([...keys].sort());
    expect(new Set(findings.map((f) => f.line))).toEqual(new Set([1, 2]));
  });

  it('raises the AWS key finding to critical and never prints a secret value', () => {
    const text = [
      'ARG GITHUB_TOKEN=ghp_supersecretvalue123',
      `FROM scratch`,
      'ENV AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE DB_PASSWORD="hunter2 hunter3"',
      'ADD https://deploy:tok3n@example.com/a /a',
      'USER 1',
    ].join('\n');
    const { findings } = lintDockerfile(text);
    expect(findings.map((f) => [f.id, f.line, f.severity])).toEqual([
      ['hardcoded-secret', 1, 'high'],
      ['hardcoded-secret', 3, 'critical'],
      ['hardcoded-secret', 3, 'high'],
      ['add-remote-url', 4, 'medium'],
    ]);
    const printed = JSON.stringify(findings);
    for (const secret of ['supersecret', 'AKIAIOSFODNN7EXAMPLE', 'hunter2', 'tok3n', 'deploy:']) expect(printed).not.toContain(secret);
    expect(printed).toContain('GITHUB_TOKEN');
  });

  it('skips rules disabled by id or Hadolint code, case-insensitively', () => {
    const text = 'FROM ubuntu:latest\n';
    const all = lintDockerfile(text).findings.map((f) => f.id);
    expect(all).toContain('latest-tag');
    expect(all).toContain('missing-user');
    const some = lintDockerfile(text, { disabled: ['dl3007', 'missing-user'] }).findings.map((f) => f.id);
    expect(some).not.toContain('latest-tag');
    expect(some).not.toContain('missing-user');
    expect(some).toContain('non-minimal-base');
  });

  it('ignores the registry rule when no registries are configured', () => {
    const text = `FROM quay.io/a/b:1@${D} AS x\nFROM scratch\nUSER 1\n`;
    expect(lintDockerfile(text).findings).toEqual([]);
    expect(lintDockerfile(text, { allowedRegistries: [] }).findings).toEqual([]);
    expect(lintDockerfile(text, { allowedRegistries: ['ghcr.io'] }).findings.map((f) => f.id)).toEqual(['untrusted-registry']);
  });

  it('returns the parsed stages', () => {
    const { stages } = lintDockerfile(`FROM alpine:3.20@${D} AS build\nFROM scratch\nCOPY --from=build /a /a\n`);
    expect(stages.map((s) => [s.index, s.name, s.base.kind, s.line])).toEqual([
      [0, 'build', 'image', 1],
      [1, undefined, 'scratch', 2],
    ]);
  });
});

describe('rule registry', () => {
  it('has unique kebab-case ids and complete metadata', () => {
    const ids = RULES.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of RULES) {
      expect(r.id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(r.title.length).toBeGreaterThan(5);
      expect(r.remediation.length).toBeGreaterThan(10);
      expect(r.url).toMatch(/^https:\/\//);
      if (r.hadolint) {
        expect(r.hadolint).toMatch(/^DL[34][0-9]{3}$/);
        expect(r.url).toBe(`https://github.com/hadolint/hadolint/wiki/${r.hadolint}`);
      }
    }
  });
});
