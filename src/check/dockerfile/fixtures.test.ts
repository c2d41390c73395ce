/** Table test over fixtures/<name>/Dockerfile: each expected.json lists the findings (rule id, line) and parse facts. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lintDockerfile } from './lint.js';
import { parseDockerfile } from './parser.js';
import type { BaseImage, LintOptions } from './types.js';

interface Expected {
  about: string;
  options?: LintOptions;
  findings: Array<[string, number]>;
  stages?: Array<[string | null, string]>;
  instructions?: Array<[string, number, number]>;
  directives?: Record<string, string>;
  heredocs?: Array<[number, string, string, boolean]>;
}

const fixturesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const names = readdirSync(fixturesDir, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();

function describeBase(b: BaseImage): string {
  switch (b.kind) {
    case 'image':
      return `image:${b.name}${b.tag ? `:${b.tag}` : ''}${b.digest ? `@${b.digest}` : ''}`;
    case 'stage':
      return `stage:${b.stage}`;
    default:
      return b.kind;
  }
}

describe('Dockerfile fixtures', () => {
  it('has at least 40 fixtures', () => {
    expect(names.length).toBeGreaterThanOrEqual(40);
  });

  it.each(names)('%s', (name) => {
    const dir = path.join(fixturesDir, name);
    const text = readFileSync(path.join(dir, 'Dockerfile'), 'utf8');
    const expected = JSON.parse(readFileSync(path.join(dir, 'expected.json'), 'utf8')) as Expected;
    const filePath = `fixtures/${name}/Dockerfile`;
    const result = lintDockerfile(text, { ...expected.options, path: filePath });

    expect(result.findings.map((f) => [f.id, f.line])).toEqual(expected.findings);
    for (const f of result.findings) {
      expect(f.kind).toBe('lint');
      expect(f.locations).toEqual([{ layer: '', path: filePath }]);
      expect(f.fixedVersion).toBeNull();
      expect(f.url).toMatch(/^https:\/\//);
    }
    if (expected.stages) {
      expect(result.stages.map((s) => [s.name ?? null, describeBase(s.base)])).toEqual(expected.stages);
    }
    const parse = parseDockerfile(text);
    if (expected.instructions) {
      expect(parse.instructions.map((i) => [i.keyword, i.startLine, i.endLine])).toEqual(expected.instructions);
    }
    if (expected.directives) expect(parse.directives).toEqual(expected.directives);
    if (expected.heredocs) {
      const docs = parse.instructions.flatMap((i) => (i.onbuild ?? i).heredocs.map((h) => [i.startLine, h.name, h.content, h.expand]));
      expect(docs).toEqual(expected.heredocs);
    }
  });
});
