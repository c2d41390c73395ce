/** Seeded fuzzing of lintDockerfile over mutated fixtures and pathological inputs: no throw, bounded time, sane output. */
// Mutations: characters, lines, escapes, quotes, heredoc markers, unicode. Pathological inputs aim at backtracking.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lintDockerfile } from './lint.js';
import { RULES } from './rules/registry.js';
import { prng as rng } from '../../../test/helpers/prng.js';

const fixturesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const corpus = readdirSync(fixturesDir, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort()
  .map((n) => readFileSync(path.join(fixturesDir, n, 'Dockerfile'), 'utf8'));

const ITERATIONS = 3000;
/** Per-file bound: generous for a shared 2-core CI machine, far below what a backtracking blow-up takes. */
const MAX_MS = 1000;
const RULE_IDS = new Set(RULES.map((r) => r.id));


const INSERTS = [
  '\\', '\\\n', '`', '`\n', '"', "'", '<<EOF', '<<-EOF\n', "<<'EOF'", '<<"E O F"', '\nEOF\n', '\tEOF', '3<<X',
  '${', '${A:-', '}', '$(', ')', '$', '[', ']', '["sh", "-c", "', '--mount=type=cache,target=/', '--from=',
  '# escape=`\n', '# syntax=x\n', '#', '\n', '\r\n', '\r', ' AS ', ' | sh', 'curl x | bash', '&&', ';', '|',
  '\u00e9', '\u{1F433}', '\u0301', '\u200b', '\u2028', '\ufeff', '\u202e', '\0', '\u00a0', '\ud800',
  'FROM ', 'RUN ', 'ONBUILD ', 'COPY <<EOF /x\n', 'USER root\n', 'ENV A_TOKEN=x\n', 'ARG X=${X}\n', 'AKIAIOSFODNN7EXAMPLE',
];

function mutate(text: string, next: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  let s = text;
  const n = 1 + Math.floor(next() * 8);
  for (let k = 0; k < n; k++) {
    const pos = Math.floor(next() * (s.length + 1));
    const lines = s.split('\n');
    const li = Math.floor(next() * lines.length);
    const lj = Math.floor(next() * lines.length);
    switch (Math.floor(next() * 8)) {
      case 0: // delete a run of characters
        s = s.slice(0, pos) + s.slice(pos + 1 + Math.floor(next() * 5));
        break;
      case 1: // duplicate a run
        s = s.slice(0, pos) + s.slice(pos, pos + 1 + Math.floor(next() * 20)) + s.slice(pos);
        break;
      case 2: // swap two characters
        if (pos + 1 < s.length) s = s.slice(0, pos) + s[pos + 1] + s[pos] + s.slice(pos + 2);
        break;
      case 3: // delete a line
        lines.splice(li, 1);
        s = lines.join('\n');
        break;
      case 4: // duplicate a line
        lines.splice(li, 0, lines[li] ?? '');
        s = lines.join('\n');
        break;
      case 5: // swap two lines
        [lines[li], lines[lj]] = [lines[lj] ?? '', lines[li] ?? ''];
        s = lines.join('\n');
        break;
      default: // insert an escape, quote, heredoc marker, unicode ...
        s = s.slice(0, pos) + pick(INSERTS) + s.slice(pos);
    }
  }
  return s;
}

function checkResult(text: string): void {
  const started = performance.now();
  const result = lintDockerfile(text, { path: 'Dockerfile', allowedRegistries: ['ghcr.io'], allowedBaseImages: ['myorg/*'] });
  const elapsed = performance.now() - started;
  if (elapsed > MAX_MS) throw new Error(`lintDockerfile took ${elapsed.toFixed(0)} ms on ${JSON.stringify(text.slice(0, 200))}`);
  const lineCount = text.split('\n').length;
  let prev: [number, string] = [0, ''];
  for (const f of result.findings) {
    expect(RULE_IDS.has(f.id)).toBe(true);
    expect(f.kind).toBe('lint');
    expect(Number.isInteger(f.line)).toBe(true);
    expect(f.line!).toBeGreaterThanOrEqual(1);
    expect(f.line!).toBeLessThanOrEqual(lineCount + 1);
    const key: [number, string] = [f.line!, f.id];
    expect(key[0] > prev[0] || (key[0] === prev[0] && key[1] >= prev[1])).toBe(true);
    prev = key;
  }
  expect(Array.isArray(result.stages)).toBe(true);
}

describe('lintDockerfile fuzz', () => {
  it(`survives ${ITERATIONS} seeded mutations of the fixtures`, () => {
    const next = rng(0x5eed);
    for (let i = 0; i < ITERATIONS; i++) {
      const base = corpus[i % corpus.length]!;
      const text = mutate(base, next);
      try {
        checkResult(text);
      } catch (err) {
        throw new Error(`iteration ${i}: ${(err as Error).message}\ninput: ${JSON.stringify(text)}`);
      }
    }
  });

  const big = 20_000;
  const pathological: Array<[string, string]> = [
    ['backslashes', '\\'.repeat(big * 5)],
    ['continuations', 'FROM alpine\nRUN a \\\n'.concat('  b \\\n'.repeat(big))],
    ['escaped escapes', 'FROM alpine\nRUN ' + '\\\\ '.repeat(big)],
    ['nested substitutions', 'FROM alpine\nRUN ' + '$('.repeat(big) + ')'.repeat(big)],
    ['unclosed substitutions', 'FROM alpine\nRUN echo ' + '$( '.repeat(big)],
    ['nested ARG defaults', 'ARG A\nFROM ' + '${A:-'.repeat(big) + 'x' + '}'.repeat(big)],
    ['unclosed ARG braces', 'FROM ' + '${'.repeat(big)],
    ['many heredocs on a line', 'FROM alpine\nRUN ' + '<<A '.repeat(big) + '\n' + 'A\n'.repeat(big)],
    ['unterminated heredocs', 'FROM alpine\n' + 'RUN <<EOF\n'.repeat(big)],
    ['quotes', 'FROM alpine\nRUN ' + '"\'`'.repeat(big)],
    ['long directive-like line', '#' + ' '.repeat(big * 5) + 'a' + ' '.repeat(big) + '=' + ' '.repeat(big) + 'x'],
    ['many stages', 'FROM alpine AS s0\n' + Array.from({ length: 3000 }, (_, k) => `FROM s${k} AS s${k + 1}\nCOPY --from=s${k} /a /a\nRUN apt-get install x`).join('\n')],
    ['slashes in a mount target', 'FROM alpine\nRUN --mount=type=cache,target=' + '/'.repeat(big * 5) + 'x apk add y'],
    ['AWS-like noise', 'FROM alpine\nENV A=' + 'AKIA'.repeat(big)],
    ['flags', 'FROM alpine\nRUN ' + '--a="b '.repeat(big)],
    ['json', 'FROM alpine\nRUN ' + '['.repeat(big) + ']'.repeat(big)],
    ['image reference', 'FROM ' + 'a/'.repeat(big) + 'b:' + 'c'.repeat(big)],
    ['pipes', 'FROM alpine\nRUN ' + 'curl x | '.repeat(big) + 'sh'],
    ['unicode', 'FROM alpine\nRUN ' + '\u{1F433}\u0301\u202e\ud800'.repeat(big)],
    ['many pragmas', 'FROM alpine\n' + '# hadolint ignore=DL3008,DL3015\nRUN apt-get install x\n'.repeat(big)],
    ['many global pragmas', '# hadolint global ignore=DL3009\n'.repeat(big) + 'FROM alpine\n' + 'RUN apt-get install x\n'.repeat(big)],
    ['a pragma with many ids', '# shipshape ignore=' + 'DL1,'.repeat(big * 5) + '\nFROM alpine'],
    ['a pragma before a long heredoc', 'FROM alpine\n# hadolint ignore=DL3008\nRUN <<EOF\n' + 'apt-get install x | y\n'.repeat(big) + 'EOF\n'],
    ['many mounts from images', 'FROM alpine\nRUN ' + '--mount=type=bind,from=x.example/i:1,target=/a '.repeat(big / 10) + 'true'],
    ['many SHELLs and pipes', 'FROM alpine\n' + 'SHELL ["/bin/bash", "-o", "pipefail", "-c"]\nRUN a | b\nSHELL ["/bin/sh", "-c"]\nRUN a | b\n'.repeat(big / 4)],
  ];
  it.each(pathological)('stays fast on %s', (_name, text) => {
    const started = performance.now();
    const result = lintDockerfile(text);
    expect(performance.now() - started).toBeLessThan(3000);
    expect(Array.isArray(result.findings)).toBe(true);
  });
});
