/** Flags over the file, and what a policy asks of the scan: each override replaces exactly its key. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checks } from '../check/registry.js';
import { parsePolicy } from './load.js';
import { enabledChecks, scanSettings, withOverrides } from './settings.js';
import { emptyPolicy } from './types.js';

describe('withOverrides', () => {
  const file = parsePolicy('failOn: critical\nignoreUnfixed: false\nmaxDbAge: 7d\nchecks:\n  root-user: false\n  maxImageAge: 30d\n', 'shipshape.yaml');

  it('keeps the file where no override is given, and does not modify it', () => {
    const before = structuredClone(file);
    expect(withOverrides(file, {})).toEqual(file);
    withOverrides(file, { failOn: 'low', checks: ['eol-os'], requireMinimal: true });
    expect(file).toEqual(before);
  });

  it('replaces each given key', () => {
    const p = withOverrides(file, { failOn: 'high', ignoreUnfixed: true, maxDbAgeMs: 1000, requireMinimal: true, maxImageAgeMs: 2000, severities: ['critical'] });
    expect(p).toMatchObject({ failOn: 'high', ignoreUnfixed: true, maxDbAgeMs: 1000, severities: ['critical'] });
    expect(p.checks).toEqual({ enabled: { 'root-user': false }, requireMinimal: true, maxImageAgeMs: 2000 });
  });

  it('--checks replaces the per-check switches as a whole', () => {
    const p = withOverrides(file, { checks: ['root-user', 'eol-os'] });
    expect(enabledChecks(p).map((c) => c.id)).toEqual(checks.filter((c) => c.id === 'root-user' || c.id === 'eol-os').map((c) => c.id));
  });
});

describe('scanSettings', () => {
  it('defaults: no threshold, every check, 90-day images', () => {
    expect(scanSettings(emptyPolicy())).toEqual({ failOn: null, ignoreUnfixed: false, requireMinimal: false, checks: [...checks], checkOptions: { maxImageAgeDays: 90 } });
  });

  it('carries the file into scan options', () => {
    const s = scanSettings(parsePolicy('failOn: high\nmaxDbAge: 36h\nchecks:\n  shell-present: false\n  requireMinimal: true\n  maxImageAge: 2w\n', 'p.yaml'));
    expect(s).toMatchObject({ failOn: 'high', requireMinimal: true, maxDbAgeMs: 36 * 3600e3, checkOptions: { maxImageAgeDays: 14 } });
    expect(s.checks.map((c) => c.id)).not.toContain('shell-present');
    expect(s.checks).toHaveLength(checks.length - 1);
  });
});

describe('the documented examples', () => {
  it('every YAML block in docs/policy.md and README.md is a valid policy', () => {
    const blocks = ['../../docs/policy.md', '../../README.md']
      .map((f) => readFileSync(new URL(f, import.meta.url), 'utf8'))
      .flatMap((md) => [...md.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!));
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const b of blocks) expect(() => parsePolicy(b, 'example.yaml', { readVex: () => JSON.stringify({ '@context': 'https://openvex.dev/ns/v0.2.0', statements: [] }) })).not.toThrow();
  });
});
