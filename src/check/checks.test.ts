/** Unit tests of the image checks on small images made in code. */
import { describe, expect, it } from 'vitest';
import { treeView } from '../image/dir-view.js';
import type { FileEntry, ImageConfig, ImageRef, LayerIndex } from '../image/types.js';
import { runChecks, selectChecks } from './index.js';
import { entropy, secretAssignment } from './secrets.js';
import type { ImageFacts } from './types.js';

const L1 = 'sha256:' + '1'.repeat(64);
const L2 = 'sha256:' + '2'.repeat(64);

function facts(opts: { files?: Record<string, Partial<FileEntry> & { content?: string }>; config?: Partial<ImageConfig>; ref?: ImageRef; layers?: LayerIndex[]; os?: ImageFacts['os'] }): ImageFacts {
  const entries = new Map<string, FileEntry>();
  const contents = new Map<string, Buffer>();
  for (const [p, f] of Object.entries(opts.files ?? {})) {
    entries.set(p, { path: p, type: 'file', mode: 0o755, size: f.content?.length ?? 0, uid: 0, gid: 0, layer: L1, ...f });
    if (f.content !== undefined) contents.set(p, Buffer.from(f.content));
  }
  return {
    ref: opts.ref ?? { kind: 'registry', registry: 'docker.io', repository: 'library/x', tag: '1.0', name: 'docker.io/library/x:1.0' },
    config: { rootfs: { type: 'layers', diff_ids: [] }, created: '2026-11-01T00:00:00Z', ...opts.config },
    files: treeView(entries, (p) => contents.get(p)),
    layers: opts.layers ?? [],
    os: opts.os ?? null,
    packages: [],
    now: new Date('2026-11-28T00:00:00Z'),
    options: { maxImageAgeDays: 90 },
  };
}

const ids = (img: ImageFacts) => runChecks(img, selectChecks('all')).findings.map((f) => f.id);

describe('image checks', () => {
  it('a scratch image with a non-root user and one static binary is minimal and clean', () => {
    const img = facts({ files: { '/app/server': {} }, config: { config: { User: '65532:65532' } }, ref: { kind: 'registry', registry: 'r', repository: 'a', digest: 'sha256:' + 'a'.repeat(64), name: 'r/a@sha256:' } });
    expect(ids(img)).toEqual([]);
    expect(runChecks(img, []).minimal).toBe(true);
  });

  it('root: unset, root, 0 and 0:0 are root; 1000 and nobody are not', () => {
    for (const User of ['', 'root', '0', '0:0', 'root:staff']) expect(ids(facts({ config: { config: { User } } }))).toContain('root-user');
    for (const User of ['1000', 'nobody', '65532:0']) expect(ids(facts({ config: { config: { User } } }))).not.toContain('root-user');
  });

  it('shells, busybox and package managers are found, also through symlinks', () => {
    const img = facts({
      files: {
        '/bin': { type: 'dir' },
        '/sbin': { type: 'dir' },
        '/usr': { type: 'dir' },
        '/usr/bin': { type: 'dir' },
        '/bin/busybox': {},
        '/bin/sh': { type: 'symlink', linkname: 'busybox' },
        '/sbin/apk': {},
        '/usr/bin/pip3': {},
      },
      config: { config: { User: '1000' } },
    });
    const r = runChecks(img, selectChecks('shell-present,package-manager-present'));
    expect(r.findings.map((f) => f.message)).toEqual(['shells: /bin/sh, /bin/busybox', 'package managers: /sbin/apk, /usr/bin/pip3']);
    expect(r.minimal).toBe(false);
  });

  it('usrmerge: /bin is a link to usr/bin, and /bin/sh is still found as /bin/sh', () => {
    const img = facts({
      files: { '/bin': { type: 'symlink', linkname: 'usr/bin' }, '/usr': { type: 'dir' }, '/usr/bin': { type: 'dir' }, '/usr/bin/dash': {}, '/usr/bin/sh': { type: 'symlink', linkname: 'dash' } },
      config: { config: { User: '1000' } },
    });
    expect(runChecks(img, selectChecks('shell-present')).findings[0]!.message).toBe('shells: /bin/sh, /bin/dash, /usr/bin/sh, /usr/bin/dash');
  });

  it('setuid and setgid files are listed', () => {
    const img = facts({ files: { '/usr/bin/passwd': { mode: 0o4755 }, '/usr/bin/wall': { mode: 0o2755 }, '/usr/bin/ls': { mode: 0o755 } }, config: { config: { User: '1' } } });
    const f = runChecks(img, selectChecks('setuid-files')).findings;
    expect(f[0]!.message).toBe('2 setuid/setgid file(s): /usr/bin/passwd, /usr/bin/wall');
  });

  it('secrets in Env, Labels and history are named, never shown; placeholders are not secrets', () => {
    const img = facts({
      config: {
        config: {
          User: '1',
          Env: ['PATH=/bin', 'DB_PASSWORD=s3cr3t-Xy9-Qz7!', 'API_TOKEN=changeme', 'PASSWORD_FILE=/run/secrets/pw', 'GH=ghp_' + 'a1B2'.repeat(9)],
          Labels: { 'deploy.token': 'glpat-abcdefghij0123456789' },
        },
        history: [{ created_by: 'RUN SLACK=xoxb-1234567890-abcdef /bin/sh -c make' }],
      },
    });
    const msgs = runChecks(img, selectChecks('secret-in-config')).findings.map((f) => f.message);
    expect(msgs).toEqual(['secret in Env DB_PASSWORD', 'secret in Env GH', 'secret in Label deploy.token', 'secret in history[0] SLACK']);
    expect(msgs.join(' ')).not.toContain('s3cr3t');
  });

  it('secret files in layers are found, including ones deleted by a later layer', () => {
    const envFile: LayerIndex = { digest: L1, diffId: L1, entries: [], files: new Map([['/app/.env', Buffer.from('DB_PASSWORD=hunter2-Kq8-Zx0\nDEBUG=1\n')]]), whiteouts: [], opaqueDirs: [] };
    const npmrc: LayerIndex = { digest: L2, diffId: L2, entries: [], files: new Map([['/root/.npmrc', Buffer.from('//registry.npmjs.org/:_authToken=npm_abc\n')], ['/etc/ssl/certs/ca.pem', Buffer.from('-----BEGIN CERTIFICATE-----\n')]]), whiteouts: ['/app/.env'], opaqueDirs: [] };
    const img = facts({ layers: [envFile, npmrc], files: { '/root/.npmrc': { layer: L2 } }, config: { config: { User: '1' } } });
    const msgs = runChecks(img, selectChecks('secret-in-layers')).findings.map((f) => f.message);
    expect(msgs).toEqual(['/app/.env holds secrets DB_PASSWORD (deleted by a later layer, still in the image)', '/root/.npmrc holds an npm registry token']);
    // The same layer (its files found once) in an image that keeps the file: that image's own note.
    const kept = facts({ layers: [envFile], files: { '/app/.env': { layer: L1 } }, config: { config: { User: '1' } } });
    expect(runChecks(kept, selectChecks('secret-in-layers')).findings.map((f) => f.message)).toEqual(['/app/.env holds secrets DB_PASSWORD']);
  });

  it('EOL, outdated base and stale image follow the dated table and the clock', () => {
    const img = facts({ os: { id: 'alpine', version: '3.10.2', name: 'Alpine Linux v3.10' }, config: { created: '2021-01-01T00:00:00Z', config: { User: '1' } } });
    expect(ids(img)).toEqual(expect.arrayContaining(['eol-os', 'outdated-base', 'stale-image']));
    const current = facts({ os: { id: 'debian', version: '12' }, config: { config: { User: '1' } } });
    expect(ids(current)).not.toContain('eol-os');
  });

  it('tags: latest and absent tags are reported; digests are pinned', () => {
    const latest = facts({ ref: { kind: 'registry', registry: 'docker.io', repository: 'library/a', tag: 'latest', name: 'docker.io/library/a:latest' }, config: { config: { User: '1' } } });
    expect(ids(latest)).toEqual(['not-pinned', 'latest-tag']);
  });

  it('--checks rejects unknown ids', () => {
    expect(() => selectChecks('root-user,nope')).toThrow(/unknown check nope/);
    expect(selectChecks('none')).toEqual([]);
  });

  it('entropy separates random values from words', () => {
    expect(entropy('aaaaaaaa')).toBe(0);
    expect(secretAssignment('MY_SECRET', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')).toBeDefined();
    expect(secretAssignment('MY_SECRET', '${FROM_ENV}')).toBeUndefined();
  });
});

describe('outdated-base from the registry tag list', () => {
  it('names the newest patch tag of the same line, ignoring other lines and non-version tags', async () => {
    const { newerPatchTag } = await import('./outdated-base.js');
    expect(newerPatchTag('3.20.1', ['3.20.0', '3.20.1', '3.20.3', '3.21.0', 'latest', '3.20.10'])).toBe('3.20.10');
    expect(newerPatchTag('3.20.3', ['3.20.1', '3.21.0'])).toBeUndefined();
    expect(newerPatchTag('latest', ['3.20.1'])).toBeUndefined();
  });

  it('uses the registry tags when present, the table otherwise', () => {
    const img = facts({ os: { id: 'alpine', version: '3.10.9' }, config: { config: { User: '1' } } });
    expect(ids(img)).not.toContain('outdated-base');
    const withTags = { ...img, baseTags: { base: 'docker.io/library/alpine:3.10.2', tags: ['3.10.2', '3.10.9'] } };
    expect(runChecks(withTags, selectChecks('outdated-base')).findings[0]!.message).toBe('base docker.io/library/alpine:3.10.2 has a newer patch release in its registry: 3.10.9');
  });
});
