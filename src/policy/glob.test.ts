/** Ignore-entry path globs: `*` stays within a segment, `**` crosses them, `?` is one character. */
import { describe, expect, it } from 'vitest';
import { globToRegExp } from './glob.js';

describe('globToRegExp', () => {
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
  ])('%s on %s → %s', (glob, path, expected) => {
    expect(globToRegExp(glob).test(path)).toBe(expected);
  });
});
