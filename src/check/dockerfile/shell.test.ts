/** The shell reader the RUN rules rely on: commands, pipelines, quotes, comments, heredoc bodies, lines. */
import { describe, expect, it } from 'vitest';
import { invocation, parseShell, subcommand } from './shell.js';

const summary = (text: string) => parseShell(text, 10).map((c) => [c.words.join(' '), c.pipeline, c.pipePos, c.line]);

describe('parseShell', () => {
  it('splits on ; && || & and newlines, keeps pipelines together', () => {
    expect(summary('a b; c && d || e & f | g |& h\ni')).toEqual([
      ['a b', 0, 0, 10],
      ['c', 1, 0, 10],
      ['d', 2, 0, 10],
      ['e', 3, 0, 10],
      ['f', 4, 0, 10],
      ['g', 4, 1, 10],
      ['h', 4, 2, 10],
      ['i', 5, 0, 11],
    ]);
  });

  it('removes quotes, honours escapes and keeps substitutions inside one word', () => {
    expect(parseShell(`echo "a | b" 'c;d' e\\ f "$(x | y)" \`z | w\` <(curl u | sh) \${A:-b c}`, 1)[0]!.words).toEqual([
      'echo',
      'a | b',
      'c;d',
      'e f',
      '$(x | y)',
      '`z | w`',
      '<(curl u | sh)',
      '${A:-b c}',
    ]);
  });

  it('skips comments, line continuations and nested heredoc bodies', () => {
    expect(summary('a \\\n  b # c | sh\ncat <<-EOF > f\n\tcurl x | sh\n\tEOF\nd')).toEqual([
      ['a b', 0, 0, 10],
      ['cat > f', 1, 0, 12],
      ['d', 2, 0, 15],
    ]);
  });

  it('treats subshell parentheses as separators', () => {
    expect(summary('(cd x && make)|tee log')).toEqual([
      ['cd x', 1, 0, 10],
      ['make', 2, 0, 10],
      ['tee log', 3, 1, 10],
    ]);
  });
});

describe('invocation', () => {
  it('looks through assignments, keywords, sudo and env', () => {
    expect(invocation(['DEBIAN_FRONTEND=noninteractive', 'sudo', '-u', 'root', '-E', '/usr/bin/apt-get', 'install'])).toEqual({
      name: 'apt-get',
      args: ['install'],
      wrappers: ['sudo'],
    });
    expect(invocation(['then', 'env', '-i', 'A=1', 'curl', 'x'])).toEqual({ name: 'curl', args: ['x'], wrappers: ['env'] });
    expect(invocation(['A=1'])).toBeNull();
  });

  it('finds subcommands past options that take values', () => {
    expect(subcommand(['-o', 'Dpkg::Options=x', '-y', 'install', 'curl'], new Set(['-o']))).toBe('install');
    expect(subcommand(['-q'], new Set())).toBeUndefined();
  });
});
