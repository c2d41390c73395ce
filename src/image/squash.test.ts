/** Squashing layers: overrides, whiteouts, opaque dirs, type changes, links, and where each path came from. */
import { describe, expect, it } from 'vitest';
import { squash } from './squash.js';
import type { EntryMeta, LayerIndex } from './types.js';

const dir = (path: string): EntryMeta => ({ path, type: 'dir', mode: 0o755, size: 0, uid: 0, gid: 0 });
const file = (path: string, size = 1): EntryMeta => ({ path, type: 'file', mode: 0o644, size, uid: 0, gid: 0 });
const symlink = (path: string, linkname: string): EntryMeta => ({ path, type: 'symlink', mode: 0o777, size: 0, uid: 0, gid: 0, linkname });
const hardlink = (path: string, linkname: string): EntryMeta => ({ path, type: 'hardlink', mode: 0o644, size: 0, uid: 0, gid: 0, linkname });

function layer(n: number, entries: EntryMeta[], opts: { files?: Record<string, string>; whiteouts?: string[]; opaqueDirs?: string[] } = {}): LayerIndex {
  return {
    digest: `sha256:${String(n).repeat(64)}`,
    diffId: `sha256:${String(n + 1).repeat(64)}`,
    entries,
    files: new Map(Object.entries(opts.files ?? {}).map(([k, v]) => [k, Buffer.from(v)])),
    whiteouts: opts.whiteouts ?? [],
    opaqueDirs: opts.opaqueDirs ?? [],
  };
}

describe('squash', () => {
  it('later layers replace earlier entries and contents; the entry names its layer', () => {
    const l1 = layer(1, [dir('/'), dir('/etc'), file('/etc/os-release'), file('/etc/hosts')], { files: { '/etc/os-release': 'ID=debian', '/etc/hosts': 'h' } });
    const l2 = layer(2, [file('/etc/os-release', 9)], { files: { '/etc/os-release': 'ID=ubuntu' } });
    const { view, entries } = squash([l1, l2]);
    expect(view.read('/etc/os-release')!.toString()).toBe('ID=ubuntu');
    expect(view.read('/etc/hosts')!.toString()).toBe('h');
    expect(entries.get('/etc/os-release')!.layer).toBe(l2.diffId);
    expect(entries.get('/etc/hosts')!.layer).toBe(l1.diffId);
    expect(entries.has('/')).toBe(false);
    expect(view.list('/')).toEqual(['etc']);
  });

  it('a later entry without kept contents does not show the earlier contents', () => {
    const l1 = layer(1, [file('/a')], { files: { '/a': 'old' } });
    const l2 = layer(2, [file('/a')]);
    expect(squash([l1, l2]).view.read('/a')).toBeUndefined();
  });

  it('a whiteout deletes the path and everything below it, from lower layers only', () => {
    const l1 = layer(1, [dir('/app'), file('/app/.env'), dir('/opt'), dir('/opt/x'), file('/opt/x/y'), file('/opt/z')], { files: { '/app/.env': 'SECRET' } });
    const l2 = layer(2, [dir('/app'), dir('/opt'), file('/opt/x')], { whiteouts: ['/app/.env', '/opt/x'], files: { '/opt/x': 'new' } });
    const { view } = squash([l1, l2]);
    expect(view.stat('/app/.env')).toBeUndefined();
    expect(view.read('/app/.env')).toBeUndefined();
    expect(view.list('/app')).toEqual([]);
    // Same layer re-creates /opt/x as a file: it stays, the old dir's content does not.
    expect(view.stat('/opt/x')?.type).toBe('file');
    expect(view.stat('/opt/x/y')).toBeUndefined();
    expect(view.read('/opt/x')!.toString()).toBe('new');
    expect(view.list('/opt')).toEqual(['x', 'z']);
  });

  it('an opaque dir hides lower content below it but keeps the same layer entries', () => {
    const l1 = layer(1, [dir('/var'), dir('/var/log'), file('/var/log/dpkg.log'), dir('/var/log/apt'), file('/var/log/apt/history.log'), file('/var/lib')]);
    const l2 = layer(2, [dir('/var'), dir('/var/log'), dir('/var/log/app')], { opaqueDirs: ['/var/log'] });
    const { view } = squash([l1, l2]);
    expect(view.list('/var/log')).toEqual(['app']);
    expect(view.stat('/var/log')?.type).toBe('dir');
    expect(view.stat('/var/lib')).toBeDefined();
    expect([...view.paths()].filter((p) => p.startsWith('/var/log/apt'))).toEqual([]);
  });

  it('a file replacing a directory takes the directory content away', () => {
    const l1 = layer(1, [dir('/d'), file('/d/f')]);
    const l2 = layer(2, [symlink('/d', '/elsewhere')]);
    const { view } = squash([l1, l2]);
    expect(view.stat('/d')?.type).toBe('symlink');
    expect([...view.paths()]).not.toContain('/d/f');
  });

  it('a later layer adds to a directory without a whiteout', () => {
    const l1 = layer(1, [dir('/d'), file('/d/a')]);
    const l2 = layer(2, [dir('/d'), file('/d/b')]);
    expect(squash([l1, l2]).view.list('/d')).toEqual(['a', 'b']);
  });

  it('a path deleted then re-created in a later layer is back', () => {
    const l1 = layer(1, [file('/a')], { files: { '/a': '1' } });
    const l2 = layer(2, [], { whiteouts: ['/a'] });
    const l3 = layer(3, [file('/a')], { files: { '/a': '3' } });
    const { view, entries } = squash([l1, l2, l3]);
    expect(view.read('/a')!.toString()).toBe('3');
    expect(entries.get('/a')!.layer).toBe(l3.diffId);
    expect(view.list('/')).toEqual(['a']);
  });

  it('follows symlinks (across layers) and hardlinks when reading', () => {
    const l1 = layer(1, [dir('/usr'), dir('/usr/lib'), file('/usr/lib/os-release'), hardlink('/usr/lib/os-release.bak', '/usr/lib/os-release')], {
      files: { '/usr/lib/os-release': 'ID=alpine' },
    });
    const l2 = layer(2, [dir('/etc'), symlink('/etc/os-release', '../usr/lib/os-release')]);
    const { view } = squash([l1, l2]);
    expect(view.read('/etc/os-release')!.toString()).toBe('ID=alpine');
    expect(view.resolve('/etc/os-release')).toBe('/usr/lib/os-release');
    expect(view.read('/usr/lib/os-release.bak')!.toString()).toBe('ID=alpine');
  });

  it('a squashed entry is the layer entry plus its layer: every field, in the same order', () => {
    const entries = [dir('/d'), file('/d/f', 7), symlink('/d/l', 'f'), hardlink('/d/h', '/d/f'), { ...file('/d/o'), type: 'other' as const, uid: 5, gid: 6 }];
    const l1 = layer(1, entries);
    const squashed = squash([l1]).entries;
    for (const e of entries) {
      const got = squashed.get(e.path)!;
      expect(got).toStrictEqual({ ...e, layer: l1.diffId });
      expect(Object.keys(got)).toEqual(Object.keys({ ...e, layer: l1.diffId }));
    }
  });

  it('an empty image squashes to an empty view', () => {
    const { view, entries } = squash([]);
    expect(entries.size).toBe(0);
    expect([...view.paths()]).toEqual([]);
  });

  it('a whiteout removes files below it whose directories had no tar entries of their own', () => {
    const l1 = layer(1, [file('/app/sub/package-lock.json'), file('/app/x'), file('/other/y')], { files: { '/app/sub/package-lock.json': '{}' } });
    const l2 = layer(2, [], { whiteouts: ['/app'] });
    const { view, entries } = squash([l1, l2]);
    expect(view.read('/app/sub/package-lock.json')).toBeUndefined();
    expect([...entries.keys()]).toEqual(['/other/y']);
    // The same through an opaque directory one level up.
    const l3 = layer(3, [], { opaqueDirs: ['/other'] });
    expect([...squash([l1, l3]).entries.keys()]).toEqual(['/app/sub/package-lock.json', '/app/x']);
  });

  it('a whiteout of a 10,000-deep directory tree (was a stack overflow)', () => {
    const deep: EntryMeta[] = [];
    let p = '';
    for (let i = 0; i < 10_000; i++) deep.push(dir((p += '/d')));
    deep.push(file(`${p}/f`));
    const { entries } = squash([layer(1, deep), layer(2, [file('/keep')], { whiteouts: ['/d'] })]);
    expect([...entries.keys()]).toEqual(['/keep']);
  });
});
