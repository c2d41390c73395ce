/** Hadolint's own rule specs (../shared/hadolint-cases/cases.json) run through the linter: agreement per Hadolint code. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test/helpers/shared.js';
import { lintDockerfile } from './lint.js';

interface Case {
  id: string;
  code: string;
  it: string;
  expect_fire: boolean;
  expect_count: number | null;
  allowed_registries: string[];
  dockerfile: string;
}

/**
 * Cases where shipshape deliberately answers otherwise, with the reason. The test fails when one
 * of these starts agreeing (drop it here) or when any other case disagrees.
 */
const KNOWN_DIFFERENCES: Record<string, string> = {
  'DL3002-08':
    'Hadolint judges the last USER of every stage; root-user judges the final image only, and a build stage running as root never reaches it',
};

const file = sharedPath('hadolint-cases/cases.json');

describe.skipIf(!file)('Hadolint specs (../shared/hadolint-cases)', () => {
  const cases = file ? (JSON.parse(readFileSync(file, 'utf8')) as { cases: Case[] }).cases : [];

  it('agrees on every case but the documented differences, and reports agreement per code', () => {
    const perCode = new Map<string, { agree: number; total: number }>();
    const disagree: string[] = [];
    for (const c of cases) {
      // Hadolint lints fragments; BuildKit (and shipshape) needs a FROM: `FROM scratch` asks the same question.
      const text = /^\s*FROM\s/im.test(c.dockerfile) ? c.dockerfile : `FROM scratch\n${c.dockerfile}`;
      const { findings } = lintDockerfile(text, { allowedRegistries: c.allowed_registries });
      const n = findings.filter((f) => f.aliases.includes(c.code)).length;
      const ok = c.expect_count !== null ? n === c.expect_count : n > 0 === c.expect_fire;
      const tally = perCode.get(c.code) ?? { agree: 0, total: 0 };
      tally.total++;
      if (ok) tally.agree++;
      else disagree.push(c.id);
      perCode.set(c.code, tally);
    }
    const agree = cases.length - disagree.length;
    const lines = [...perCode].sort(([a], [b]) => a.localeCompare(b)).map(([code, t]) => `  ${code}: ${t.agree}/${t.total}`);
    process.stdout.write(`Hadolint specs: ${agree}/${cases.length} cases agree\n${lines.join('\n')}\n`);
    expect(cases.length).toBe(109);
    expect(disagree.sort()).toEqual(Object.keys(KNOWN_DIFFERENCES).sort());
  });
});
