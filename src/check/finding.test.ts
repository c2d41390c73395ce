/** checkFinding: a check's finding carries the check's id, severity, title, link and remediation. */
import { describe, expect, it } from 'vitest';
import { checkFinding } from './finding.js';
import { checks } from './registry.js';
import type { Check } from './types.js';

const check: Check = {
  id: 'example-check',
  severity: 'medium',
  title: 'An example',
  remediation: 'Do the right thing.',
  url: 'https://example.test/check',
  run: () => [],
};

describe('checkFinding', () => {
  it("copies what the check says about itself, its remediation included, and the message and places given", () => {
    const loc = { layer: `sha256:${'a'.repeat(64)}`, path: '/etc/x' };
    expect(checkFinding(check, 'found x', [loc])).toEqual({
      kind: 'check',
      id: 'example-check',
      aliases: [],
      severity: 'medium',
      title: 'An example',
      message: 'found x',
      fixedVersion: null,
      locations: [loc],
      url: 'https://example.test/check',
      remediation: 'Do the right thing.',
    });
  });

  it('every registered check has a remediation to pass on', () => {
    for (const c of checks) expect(c.remediation.trim().length, c.id).toBeGreaterThan(10);
  });
});
