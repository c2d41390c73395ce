/** Parser details the fixtures do not pin down: flags, forms, pairs, heredoc fields, stage resolution. */
import { describe, expect, it } from 'vitest';
import { parseDockerfile } from './parser.js';
import type { Instruction } from './types.js';

function only(text: string, keyword: string): Instruction {
  const found = parseDockerfile(text).instructions.filter((i) => i.keyword === keyword);
  expect(found).toHaveLength(1);
  return found[0]!;
}

describe('parseDockerfile', () => {
  it('extracts flags up to the first non-flag word, with quotes and a -- terminator', () => {
    const run = only('FROM a\nRUN --mount=type=secret,id=npm --network=none  --mount="type=cache,target=/a b" npm ci --flag\n', 'RUN');
    expect(run.flags).toEqual([
      { name: 'mount', value: 'type=secret,id=npm' },
      { name: 'network', value: 'none' },
      { name: 'mount', value: 'type=cache,target=/a b' },
    ]);
    expect(run.args).toBe('npm ci --flag');
    const copy = only('FROM a\nCOPY --link -- --odd-name /dst\n', 'COPY');
    expect(copy.flags).toEqual([{ name: 'link', value: undefined }]);
    expect(copy.words).toEqual(['--odd-name', '/dst']);
  });

  it('tells exec form from shell form like BuildKit (one JSON value, trailing text ignored)', () => {
    expect(only('FROM a\nCMD ["a", "b c"]\n', 'CMD').json).toEqual(['a', 'b c']);
    expect(only('FROM a\nCMD ["a"] trailing\n', 'CMD').json).toEqual(['a']);
    expect(only('FROM a\nCMD [not json\n', 'CMD').json).toBeNull();
    expect(only('FROM a\nCOPY ["a b", "/c"]\n', 'COPY').words).toEqual(['a b', '/c']);
    expect(only('FROM a\nVOLUME /a /b\n', 'VOLUME').words).toEqual(['/a', '/b']);
    const p = parseDockerfile('FROM a\nCMD ["a", {"b": 1}]\n');
    expect(p.warnings.map((w) => w.line)).toEqual([2]);
  });

  it('reads ENV, LABEL and ARG pairs in old and new forms', () => {
    expect(only('FROM a\nENV A b c\n', 'ENV').pairs).toEqual([{ key: 'A', value: 'b c', rawValue: 'b c' }]);
    expect(only('FROM a\nENV A="x y" B=\'$z\' C=d\\ e\n', 'ENV').pairs.map((p) => [p.key, p.value])).toEqual([
      ['A', 'x y'],
      ['B', '$z'],
      ['C', 'd e'],
    ]);
    expect(only('FROM a\nARG X Y=1 Z=\n', 'ARG').pairs.map((p) => [p.key, p.value])).toEqual([
      ['X', undefined],
      ['Y', '1'],
      ['Z', ''],
    ]);
    const bad = parseDockerfile('FROM a\nENV A=1 B\nENV C\n');
    expect(bad.warnings.map((w) => w.line)).toEqual([2, 3]);
  });

  it('keeps the original lines and the joined logical line with 1-based lines', () => {
    const text = 'FROM a\n\nRUN echo a \\\n  # note\n  b\\\n  c\nUSER x\n';
    const run = only(text, 'RUN');
    expect([run.startLine, run.endLine]).toEqual([3, 6]);
    expect(run.original).toBe('RUN echo a \\\n  # note\n  b\\\n  c');
    expect(run.value).toBe('RUN echo a   b  c');
    expect(only(text, 'USER').startLine).toBe(7);
  });

  it('records heredoc fields: fd, chomp, expand, lines, termination', () => {
    const text = 'FROM a\nRUN 3<<-"END" cat <<X\n\tone\n\tEND\ntwo\nX\nRUN <<EOF\nEOF\r\nCOPY <<OPEN /x\nno end\n';
    const p = parseDockerfile(text);
    const [run1, run2, copy] = p.instructions.slice(1);
    expect(run1!.heredocs).toEqual([
      { name: 'END', chomp: true, expand: false, fd: 3, content: 'one\n', startLine: 3, endLine: 4, terminated: true },
      { name: 'X', chomp: false, expand: true, fd: 0, content: 'two\n', startLine: 5, endLine: 6, terminated: true },
    ]);
    expect([run1!.startLine, run1!.endLine]).toEqual([2, 6]);
    expect(run2!.heredocs[0]).toMatchObject({ name: 'EOF', content: '', terminated: true, startLine: 8, endLine: 8 });
    expect(copy!.heredocs[0]).toMatchObject({ name: 'OPEN', content: 'no end\n', terminated: false });
    expect(p.warnings).toEqual([{ line: 9, message: 'unterminated heredoc OPEN' }]);
  });

  it('does not look for heredocs in exec form or other instructions', () => {
    const p = parseDockerfile('FROM a\nCMD cat <<EOF\nRUN ["cat", "<<EOF"]\nRUN echo done\n');
    expect(p.instructions.map((i) => [i.keyword, i.startLine, i.heredocs.length])).toEqual([
      ['FROM', 1, 0],
      ['CMD', 2, 0],
      ['RUN', 3, 0],
      ['RUN', 4, 0],
    ]);
  });

  it('parses ONBUILD triggers as sub-instructions, heredocs included', () => {
    const ob = only('FROM a\nonbuild run --mount=type=cache,target=/c <<EOF\necho hi\nEOF\n', 'ONBUILD');
    expect(ob.onbuild).toMatchObject({ keyword: 'RUN', startLine: 2, endLine: 4, flags: [{ name: 'mount', value: 'type=cache,target=/c' }] });
    expect(ob.onbuild!.heredocs.map((h) => h.content)).toEqual(['echo hi\n']);
  });

  it('resolves stages: names lower-cased, platform, COPY --from by name (even a later stage), index, image, self', () => {
    const p = parseDockerfile(
      `ARG V=1\nFROM --platform=linux/arm64 golang:\${V} AS Build\nARG V=2\nFROM build\nCOPY --from=0 /a /a\nCOPY --from=BUILD /b /b\nCOPY --from=later /c /c\nCOPY --from=1 /d /d\nCOPY --from=nginx:1 /e /e\nCOPY --from=7 /f /f\nFROM later AS later\n`,
    );
    expect(p.globalArgs).toEqual({ V: '1' });
    const [s0, s1, s2] = p.stages;
    expect(s0).toMatchObject({ name: 'build', platform: 'linux/arm64', base: { kind: 'image', tag: '1', repository: 'library/golang' } });
    expect(s1!.base).toMatchObject({ kind: 'stage', stage: 0, name: 'build' });
    expect(s1!.copyFrom.map((c) => [c.line, c.source.kind, c.source.kind === 'stage' ? c.source.stage : null])).toEqual([
      [5, 'stage', 0],
      [6, 'stage', 0],
      [7, 'stage', 2],
      [8, 'stage', 1],
      [9, 'image', null],
      [10, 'invalid', null],
    ]);
    // FROM only sees earlier stages: "later" here is an image on Docker Hub
    expect(s2!.base).toMatchObject({ kind: 'image', name: 'docker.io/library/later', tag: undefined });
    // Its own stage (line 8) and a missing index (line 10) are the copy-from-missing-stage rule's, not parse warnings.
    expect(p.warnings).toEqual([]);
  });

  it('reports malformed FROM lines, duplicate stage names and instructions before FROM', () => {
    const p = parseDockerfile('ENV A=1\nFROM\nFROM a AS\nFROM b AS x\nFROM c AS x\nFROM d AS 1bad\n');
    expect(p.warnings.map((w) => w.line)).toEqual([1, 2, 3, 5, 6]);
  });

  it('honours directives only at the very top, case-insensitively, and stops at unknown ones', () => {
    expect(parseDockerfile('# ESCAPE = `\nFROM a\nRUN a `\n b\n').instructions[1]!.endLine).toBe(4);
    expect(parseDockerfile('# foo=bar\n# escape=`\nFROM a\nRUN a `\n b\n').escape).toBe('\\');
    expect(parseDockerfile('\n# escape=`\nFROM a\n').escape).toBe('\\');
    expect(parseDockerfile('FROM a\n# escape=`\n').directives).toEqual({});
  });

  it('treats unknown instructions as warnings and keeps going', () => {
    const p = parseDockerfile('FROM a\nFROB x\nRUN y\n');
    expect(p.instructions.map((i) => i.keyword)).toEqual(['FROM', 'FROB', 'RUN']);
    expect(p.warnings).toEqual([{ line: 2, message: 'unknown instruction: FROB' }]);
  });

  it('never throws, whatever it is given', () => {
    for (const input of [undefined, null, 42, {}, '', '\\', '`', '<<EOF', '\0\0\0', '\ud800'] as unknown[]) {
      expect(() => parseDockerfile(input as string)).not.toThrow();
    }
  });
});
