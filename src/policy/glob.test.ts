/** Ignore-entry path globs: `*` stays within a segment, `**` crosses them, `?` is one character; linear time. */
import { describe, expect, it } from 'vitest';
import { prng } from '../../test/helpers/prng.js';
import { compileGlob } from './glob.js';

/** The RegExp translation used before the matcher (same semantics, backtracking): the differential reference. */
function referenceRegExp(glob: string): RegExp {
  const g = glob.startsWith('/') || glob.startsWith('*') ? glob : `/${glob}`;
  const WILD: Record<string, string> = { '**/': '(?:.*/)?', '**': '.*', '*': '[^/]*', '?': '[^/]' };
  const re = g
    .split(/(\*\*\/|\*\*|\*|\?)/)
    .map((tok) => WILD[tok] ?? tok.replace(/[.+^${}()|[\]\\]/g, '\\$&'))
    .join('');
  return new RegExp(`^${re}$`);
}

describe('compileGlob', () => {
  it.each([
    ['/lib/apk/db/installed', '/lib/apk/db/installed', true],
    ['/lib/apk/db/installed', '/lib/apk/db/installed2', false],
    ['/usr/lib/*.so', '/usr/lib/libc.so', true],
    ['/usr/lib/*.so', '/usr/lib/x/libc.so', false],
    ['/usr/lib/**', '/usr/lib/x/y/libc.so', true],
    ['/usr/lib/**/*.jar', '/usr/lib/a.jar', true],
    ['/usr/lib/**/*.jar', '/usr/lib/x/y/a.jar', true],
    ['/usr/lib/**/*.jar', '/usr/lib/x/y/a.jar.bak', false],
    ['**/node_modules/**', '/app/node_modules/lodash/package.json', true],
    ['**/package.json', '/package.json', true],
    ['/app/v?.txt', '/app/v1.txt', true],
    ['/app/v?.txt', '/app/v10.txt', false],
    ['/app/v?.txt', '/app/v/.txt', false],
    ['usr/bin/*', '/usr/bin/env', true],
    ['/opt/a+b (1)/[x].txt', '/opt/a+b (1)/[x].txt', true],
    ['/opt/a.b', '/opt/axb', false],
    ['/**/**/x', '/x', true],
    ['/a/**/', '/a/', true],
  ])('%s on %s → %s', (glob, path, expected) => {
    expect(compileGlob(glob).test(path)).toBe(expected);
    expect(referenceRegExp(glob).test(path)).toBe(expected);
  });

  it('many stars against a long path that does not match: answered at once (the RegExp backtracked for minutes)', () => {
    const glob = `/${'*a'.repeat(30)}*b`;
    const path = `/${'a'.repeat(4000)}`;
    expect(compileGlob(glob).test(path)).toBe(false);
    const deep = `/${'**/a'.repeat(30)}/b`;
    expect(compileGlob(deep).test(`/${'a/'.repeat(2000)}c`)).toBe(false);
  });

  it('agrees with the RegExp translation on 3,000 random short globs and paths (seeded)', () => {
    const rand = prng(8);
    const pick = <T>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
    const globParts = ['a', 'b', '/', '*', '**', '**/', '?', '.'];
    const pathParts = ['a', 'b', '/', '.', 'ab'];
    for (let i = 0; i < 3000; i++) {
      let glob = '';
      for (let k = 1 + Math.floor(rand() * 6); k > 0; k--) glob += pick(globParts);
      let path = '/';
      for (let k = Math.floor(rand() * 8); k > 0; k--) path += pick(pathParts);
      expect([glob, path, compileGlob(glob).test(path)]).toEqual([glob, path, referenceRegExp(glob).test(path)]);
    }
  });
});
