/** OS detection: os-release quoting, the fallback order, symlinks, and the real-image fixtures. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dirFileView } from '../../image/dir-view.js';
import { memView } from '../fixtures/mem-view.js';
import { detectOs, parseOsRelease, wantsOsFile } from './index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = (rel: string) => dirFileView(path.join(here, rel));

describe('parseOsRelease', () => {
  it('reads shell-like quotes and escapes', () => {
    const kv = parseOsRelease(
      [
        '# a comment',
        '',
        'NAME="Ubuntu"',
        "ID='ubuntu'",
        'VERSION_ID=22.04',
        'PRETTY_NAME="Say \\"hi\\" \\$HOME \\\\ \\`x\\` \\n"',
        "SINGLE='no \\escapes \"here\"'",
        'BARE=a\\ b',
        'CONCAT="a"\'b\'c',
        'TRAILING="x" # comment',
        '  INDENTED=yes',
        'not a line',
        '1BAD=x',
        'OPEN="never closed',
        'EMPTY=',
      ].join('\n'),
    );
    expect(kv).toEqual({
      NAME: 'Ubuntu',
      ID: 'ubuntu',
      VERSION_ID: '22.04',
      PRETTY_NAME: 'Say "hi" $HOME \\ `x` \\n',
      SINGLE: 'no \\escapes "here"',
      BARE: 'a b',
      CONCAT: 'abc',
      TRAILING: 'x',
      INDENTED: 'yes',
      EMPTY: '',
    });
  });

  it('accepts CRLF line ends', () => {
    expect(parseOsRelease('ID=alpine\r\nVERSION_ID=3.20.3\r\n')).toEqual({ ID: 'alpine', VERSION_ID: '3.20.3' });
  });
});

describe('detectOs', () => {
  it('reads Alpine os-release (real 3.20 file)', () => {
    expect(detectOs(fixture('../apk/fixtures/alpine-3.20-two'))).toEqual({
      id: 'alpine',
      version: '3.20.3',
      name: 'Alpine Linux v3.20',
    });
  });

  it('follows the /etc/os-release symlink (real bookworm files)', () => {
    const view = fixture('../dpkg/fixtures/bookworm-slice');
    expect(view.stat('/etc/os-release')?.type).toBe('symlink');
    expect(detectOs(view)).toEqual({ id: 'debian', version: '12', name: 'Debian GNU/Linux 12 (bookworm)', codename: 'bookworm' });
  });

  it('reads distroless os-release', () => {
    expect(detectOs(fixture('../dpkg/fixtures/distroless'))).toEqual({ id: 'debian', version: '12', name: 'Distroless' });
  });

  it('falls back to /usr/lib/os-release', () => {
    const view = memView([{ path: '/usr/lib/os-release', data: 'ID=ubuntu\nVERSION_ID="24.04"\nVERSION_CODENAME=noble\nNAME="Ubuntu"\n' }]);
    expect(detectOs(view)).toEqual({ id: 'ubuntu', version: '24.04', name: 'Ubuntu', codename: 'noble' });
  });

  it('prefers /etc/os-release over /usr/lib/os-release', () => {
    const view = memView([
      { path: '/etc/os-release', data: 'ID=alpine\nVERSION_ID=3.19.1\n' },
      { path: '/usr/lib/os-release', data: 'ID=debian\nVERSION_ID=12\n' },
    ]);
    expect(detectOs(view)?.id).toBe('alpine');
  });

  it('skips an os-release without ID', () => {
    const view = memView([
      { path: '/etc/os-release', data: 'NAME=whatever\n' },
      { path: '/etc/alpine-release', data: '3.18.4\n' },
    ]);
    expect(detectOs(view)).toEqual({ id: 'alpine', version: '3.18.4', name: 'Alpine Linux v3.18' });
  });

  it('falls back to /etc/alpine-release (real 3.7 file)', () => {
    expect(detectOs(fixture('fixtures/alpine-3.7'))).toEqual({ id: 'alpine', version: '3.7.3', name: 'Alpine Linux v3.7' });
  });

  it('falls back to /etc/debian_version, keeping the major version', () => {
    expect(detectOs(fixture('fixtures/debian-version-only'))).toEqual({ id: 'debian', version: '12', name: 'Debian GNU/Linux 12' });
  });

  it('takes the codename of testing/unstable from debian_version', () => {
    expect(detectOs(fixture('fixtures/debian-sid'))).toEqual({
      id: 'debian',
      version: '',
      name: 'Debian GNU/Linux trixie/sid',
      codename: 'trixie',
    });
    expect(detectOs(memView([{ path: '/etc/debian_version', data: 'bookworm/sid\n' }]))).toEqual({
      id: 'debian',
      version: '',
      codename: 'bookworm',
    });
  });

  it('fills a missing VERSION_ID from debian_version', () => {
    const view = memView([
      { path: '/etc/os-release', data: 'ID=debian\nPRETTY_NAME="Debian GNU/Linux"\n' },
      { path: '/etc/debian_version', data: '11.9\n' },
    ]);
    expect(detectOs(view)?.version).toBe('11');
  });

  it('returns null when nothing says, and for binary junk or dangling links', () => {
    expect(detectOs(memView([{ path: '/app/server', data: 'x' }]))).toBeNull();
    expect(detectOs(memView([{ path: '/etc/os-release', data: Buffer.from([0, 1, 2, 0xff]) }]))).toBeNull();
    expect(detectOs(memView([{ path: '/etc/os-release', type: 'symlink', linkname: '../nowhere' }]))).toBeNull();
    expect(detectOs(memView([{ path: '/etc/debian_version', data: '\n' }]))).toBeNull();
  });

  it('wants exactly the files it reads', () => {
    for (const p of ['/etc/os-release', '/usr/lib/os-release', '/etc/alpine-release', '/etc/debian_version']) expect(wantsOsFile(p)).toBe(true);
    for (const p of ['/etc/os-release.bak', '/etc/passwd', '/usr/lib/os-release/x', 'etc/os-release']) expect(wantsOsFile(p)).toBe(false);
  });
});
