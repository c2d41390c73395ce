/** Tests of the npm cataloger over fixtures with real paths, malformed input, and debian-app's /app. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test/helpers/shared.js';
import { dirFileView } from '../../image/dir-view.js';
import type { Package } from '../../model/index.js';
import { memView, runCataloger } from '../fixtures/mem-view.js';
import { isInstalledManifest, npmCataloger, parsePnpmKey } from './npm.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const run = (dir: string) => runCataloger(npmCataloger(), dirFileView(path.join(fixtures, dir), 'sha256:npm'));
const summary = (ps: Package[]) => ps.map((p) => `${p.locations[0]!.path} ${p.name}@${p.version}`);

describe('npm installed tree and lockfile', () => {
  it('reports node_modules packages (nested and scoped) and lockfile-only entries, once each', async () => {
    const { packages, warnings } = await run('app');
    expect(warnings).toEqual([]);
    expect(summary(packages)).toEqual([
      '/node_modules/@types/node/package.json @types/node@18.11.9',
      '/node_modules/lodash/package.json lodash@4.17.15',
      '/node_modules/ms/package.json ms@2.0.0',
      '/node_modules/send/node_modules/ms/package.json ms@2.1.1',
      '/node_modules/send/package.json send@0.17.1',
      // Not installed: only the lockfile knows it.
      '/package-lock.json left-pad@1.3.0',
    ]);
    const types = packages[0]!;
    expect(types).toEqual({
      name: '@types/node',
      version: '18.11.9',
      type: 'npm',
      licenses: ['MIT'],
      purl: 'pkg:npm/%40types/node@18.11.9',
      locations: [{ layer: 'sha256:npm', path: '/node_modules/@types/node/package.json' }],
    });
    expect(packages[5]!.licenses).toEqual(['WTFPL']);
  });

  it('reads every entry of a lockfile when nothing is installed', async () => {
    const view = dirFileView(path.join(fixtures, 'app'));
    const onlyLock = memView([{ path: '/app/package-lock.json', data: view.read('/package-lock.json')! }]);
    const { packages } = await runCataloger(npmCataloger(), onlyLock);
    expect(packages.map((p) => `${p.name}@${p.version}`)).toEqual([
      '@types/node@18.11.9',
      'left-pad@1.3.0',
      'lodash@4.17.15',
      'ms@2.0.0',
      'ms@2.1.1',
      'send@0.17.1',
    ]);
  });

  it('reads the v1 dependency tree, skipping git versions', async () => {
    const { packages, warnings } = await run('lock-v1');
    expect(warnings).toEqual([]);
    expect(packages.map((p) => `${p.name}@${p.version}`)).toEqual(['debug@2.6.9', 'minimist@1.2.0', 'ms@2.0.0']);
    expect(packages.every((p) => p.locations[0]!.path === '/srv/legacy/package-lock.json')).toBe(true);
  });

  it.each([
    ['yarn-classic', ['@babel/code-frame@7.12.13', 'lodash@4.17.15', 'string-width@4.2.3']],
    ['yarn-berry', ['@babel/code-frame@7.12.13', 'lodash@4.17.15']],
    ['pnpm-v5', ['@babel/core@7.20.2', 'lodash@4.17.15', 'react-dom@18.2.0']],
    ['pnpm-v6', ['@babel/core@7.20.2', 'lodash@4.17.15', 'react-dom@18.2.0']],
    ['pnpm-v9', ['@babel/core@7.20.2', 'lodash@4.17.15', 'react-dom@18.2.0']],
  ])('reads %s', async (dir, want) => {
    const { packages, warnings } = await run(dir);
    expect(warnings).toEqual([]);
    expect(packages.map((p) => `${p.name}@${p.version}`)).toEqual(want);
    expect(packages[0]!.purl).toMatch(/^pkg:npm\/%40babel\//);
  });

  it('parses pnpm keys of each lockfile generation', () => {
    expect(parsePnpmKey('/@babel/core/7.20.2', 5)).toEqual({ name: '@babel/core', version: '7.20.2' });
    expect(parsePnpmKey('/react-dom/18.2.0_react@18.2.0', 5)).toEqual({ name: 'react-dom', version: '18.2.0' });
    expect(parsePnpmKey('/@babel/core@7.20.2', 6)).toEqual({ name: '@babel/core', version: '7.20.2' });
    expect(parsePnpmKey('react-dom@18.2.0(react@18.2.0)', 9)).toEqual({ name: 'react-dom', version: '18.2.0' });
  });

  it('keeps only package.json files of package directories', () => {
    expect(isInstalledManifest('/app/node_modules/lodash/package.json')).toBe(true);
    expect(isInstalledManifest('/app/node_modules/@scope/pkg/package.json')).toBe(true);
    expect(isInstalledManifest('/app/node_modules/.pnpm/a@1.0.0/node_modules/a/package.json')).toBe(true);
    expect(isInstalledManifest('/app/node_modules/lodash/test/fixtures/package.json')).toBe(false);
    expect(isInstalledManifest('/app/node_modules/@scope/package.json')).toBe(false);
    expect(isInstalledManifest('/app/package.json')).toBe(false);
  });
});

describe('malformed npm input', () => {
  it('warns about bad JSON, bad YAML and broken yarn.lock files and keeps going', async () => {
    const view = memView([
      { path: '/a/node_modules/broken/package.json', data: '{"name": "broken", "version": ' },
      { path: '/a/node_modules/array/package.json', data: '[1, 2]' },
      { path: '/a/node_modules/ok/package.json', data: '{"name":"ok","version":"1.0.0","license":{"type":"ISC"}}' },
      { path: '/b/package-lock.json', data: 'lockfileVersion: 2' },
      { path: '/c/pnpm-lock.yaml', data: 'lockfileVersion: [unclosed' },
      { path: '/d/yarn.lock', data: 'this is not a yarn lockfile\n' },
      { path: '/e/yarn.lock', data: Buffer.from([0xff, 0xfe, 0x00, 0x01]) },
    ]);
    const { packages, warnings } = await runCataloger(npmCataloger(), view);
    expect(summary(packages)).toEqual(['/a/node_modules/ok/package.json ok@1.0.0']);
    expect(packages[0]!.licenses).toEqual(['ISC']);
    expect(warnings.map((w) => w.path)).toEqual([
      '/a/node_modules/array/package.json',
      '/a/node_modules/broken/package.json',
      '/b/package-lock.json',
      '/c/pnpm-lock.yaml',
      '/d/yarn.lock',
      '/e/yarn.lock',
    ]);
    expect(warnings[1]!.message).toMatch(/^package\.json: bad JSON/);
  });
});

describe('debian-app /app', () => {
  const images = sharedPath('images');
  const tmp = mkdtempSync(path.join(tmpdir(), 'shipshape-npm-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it.skipIf(!images)('matches expected-facts.json: every installed package, once, at its package.json', async () => {
    const facts = JSON.parse(readFileSync(path.join(images!, 'expected-facts.json'), 'utf8'));
    const img = facts.images.find((i: { name: string }) => i.name === 'debian-app');
    const blobs = path.join(images!, 'oci/debian-app/blobs/sha256');
    for (const layer of img.layers) {
      spawnSync('tar', ['-xzf', path.join(blobs, layer.digest.replace('sha256:', '')), '-C', tmp, '--wildcards', 'app/*'], { stdio: 'ignore' });
    }
    const { packages, warnings } = await runCataloger(npmCataloger(), dirFileView(tmp));
    expect(warnings).toEqual([]);
    const want = img.packages.npm.map((p: { name: string; version: string; path: string }) => `${p.path}/package.json ${p.name}@${p.version}`).sort();
    expect(summary(packages).sort()).toEqual(want);
    const byName = new Map(packages.map((p) => [p.name, p]));
    expect(byName.get('lodash')?.version).toBe('4.17.15');
    expect(byName.get('minimist')?.purl).toBe('pkg:npm/minimist@1.2.0');
    expect(byName.get('express')?.version).toBe('4.17.1');
  });
});

describe('lockfile scalars', () => {
  it('keeps yarn berry and pnpm versions that look like numbers as written', async () => {
    const view = memView([
      { path: '/a/yarn.lock', data: '__metadata:\n  version: 6\n\n"tiny@npm:1.10":\n  version: 1.10\n  resolution: "tiny@npm:1.10"\n' },
      { path: '/b/pnpm-lock.yaml', data: "lockfileVersion: '9.0'\n\npackages:\n\n  tiny@1.10:\n    resolution: {integrity: sha512-x}\n" },
      {
        path: '/c/package-lock.json',
        data: JSON.stringify({ lockfileVersion: 3, packages: { '': {}, 'node_modules/fork': { version: 'git+ssh://git@github.com/x/fork.git#abc' }, 'node_modules/ok': { version: '1.0.0' } } }),
      },
    ]);
    const { packages, warnings } = await runCataloger(npmCataloger(), view);
    expect(warnings).toEqual([]);
    expect(summary(packages)).toEqual(['/a/yarn.lock tiny@1.10', '/b/pnpm-lock.yaml tiny@1.10', '/c/package-lock.json ok@1.0.0']);
  });
});

// Cases found by the peers' own fixtures (../shared/peer-fixtures): each failed before its fix.
describe('npm lockfile forms the peers test', () => {
  const lock = async (file: string, data: string) => {
    const r = await runCataloger(npmCataloger(), memView([{ path: `/app/${file}`, data }]));
    return { ...r, got: r.packages.map((p) => `${p.name}@${p.version}${p.dev ? ' dev' : ''}`) };
  };

  it('reads a yarn berry lock that repeats a key (the whole file was rejected)', async () => {
    const entry = '"ms@npm:2.1.2":\n  version: 2.1.2\n  resolution: "ms@npm:2.1.2"\n  languageName: node\n  linkType: hard\n\n';
    const r = await lock('yarn.lock', `__metadata:\n  version: 6\n\n${entry}${entry}"debug@npm:4.3.4":\n  version: 4.3.4\n  resolution: "debug@npm:4.3.4"\n`);
    expect(r.warnings).toEqual([]);
    expect(r.got).toEqual(['debug@4.3.4', 'ms@2.1.2']);
  });

  it("reads every document of a pnpm ≥ 10 lock; the environment document's packages (pnpm itself) are marked dev", async () => {
    const env = "---\nlockfileVersion: '9.0'\nimporters:\n  .:\n    configDependencies: {}\n    packageManagerDependencies:\n      pnpm:\n        specifier: 10.0.0\n        version: 10.0.0\npackages:\n  pnpm@10.0.0:\n    resolution: {integrity: sha512-x}\n";
    const project = "---\nlockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n      minimist:\n        specifier: 1.2.0\n        version: 1.2.0\npackages:\n  minimist@1.2.0:\n    resolution: {integrity: sha512-y}\n";
    const r = await lock('pnpm-lock.yaml', env + project);
    expect(r.warnings).toEqual([]);
    expect(r.got).toEqual(['minimist@1.2.0', 'pnpm@10.0.0 dev']);
  });

  it('reads yarn v1 entries whose field names are quoted ("version" "3.6.0")', async () => {
    const r = await lock('yarn.lock', '"jquery@^3.6.0":\n  "integrity" "sha512-x"\n  "resolved" "https://registry.npmjs.org/jquery/-/jquery-3.6.0.tgz"\n  "version" "3.6.0"\n');
    expect(r.got).toEqual(['jquery@3.6.0']);
  });

  it('names yarn v1 aliases by the real package, with or without a range after npm:', async () => {
    const r = await lock(
      'yarn.lock',
      '"foo-ms@npm:ms":\n  version "2.1.3"\n\n"foo-uuid@npm:@types/uuid":\n  version "9.0.7"\n\n"foo-debug@npm:debug@^4.3":\n  version "4.3.4"\n',
    );
    expect(r.got).toEqual(['@types/uuid@9.0.7', 'debug@4.3.4', 'ms@2.1.3']);
  });

  it('reads package-lock v1 aliases ("version": "npm:case@1.6.3") under the real name', async () => {
    const r = await lock(
      'package-lock.json',
      JSON.stringify({
        lockfileVersion: 1,
        dependencies: {
          'case-alias': { version: 'npm:case@1.6.3' },
          chai: { version: 'npm:@bundled-es-modules/chai@4.2.2' },
          gitdep: { version: 'git+https://github.com/a/b.git#abc' },
        },
      }),
    );
    expect(r.got).toEqual(['@bundled-es-modules/chai@4.2.2', 'case@1.6.3']);
  });

  it('marks development dependencies: package-lock dev (nested under a dev package too), not devOptional; pnpm dev', async () => {
    const v1 = await lock(
      'package-lock.json',
      JSON.stringify({
        lockfileVersion: 1,
        dependencies: { prod: { version: '1.0.0' }, tool: { version: '2.0.0', dev: true, dependencies: { inner: { version: '3.0.0' } } } },
      }),
    );
    expect(v1.got).toEqual(['inner@3.0.0 dev', 'prod@1.0.0', 'tool@2.0.0 dev']);
    const v3 = await lock(
      'package-lock.json',
      JSON.stringify({
        lockfileVersion: 3,
        packages: {
          '': { name: 'app' },
          'node_modules/a': { version: '1.0.0', dev: true },
          'node_modules/b': { version: '1.0.0', devOptional: true },
          'node_modules/c': { version: '1.0.0' },
        },
      }),
    );
    expect(v3.got).toEqual(['a@1.0.0 dev', 'b@1.0.0', 'c@1.0.0']);
    const pnpm = await lock('pnpm-lock.yaml', "lockfileVersion: '6.0'\npackages:\n  /mocha@10.0.0:\n    dev: true\n  /ms@2.1.3:\n    dev: false\n");
    expect(pnpm.got).toEqual(['mocha@10.0.0 dev', 'ms@2.1.3']);
  });

  it('keeps a release that is in both trees as production', async () => {
    const r = await lock(
      'package-lock.json',
      JSON.stringify({ lockfileVersion: 1, dependencies: { a: { version: '1.0.0', dev: true, dependencies: { ms: { version: '2.0.0' } } }, ms: { version: '2.0.0' } } }),
    );
    expect(r.got).toEqual(['a@1.0.0 dev', 'ms@2.0.0']);
  });

  it("marks yarn.lock entries that only the project's devDependencies reach as dev (classic and berry)", async () => {
    const manifest = JSON.stringify({ dependencies: { prod: '^1.0.0' }, devDependencies: { tool: '^2.0.0', alias: 'npm:shared@^1.0.0' } });
    const classic = [
      'prod@^1.0.0:\n  version "1.0.0"\n  dependencies:\n    shared "^1.0.0"\n',
      'tool@^2.0.0:\n  version "2.0.0"\n  dependencies:\n    "@x/helper" "~3.0.0"\n    shared "^1.0.0"\n',
      '"@x/helper@~3.0.0":\n  version "3.0.1"\n',
      'shared@^1.0.0, "alias@npm:shared@^1.0.0":\n  version "1.2.0"\n',
      'orphan@^9.0.0:\n  version "9.0.0"\n',
    ].join('\n');
    const berry = [
      '__metadata:\n  version: 6\n',
      '"prod@npm:^1.0.0":\n  version: 1.0.0\n  resolution: "prod@npm:1.0.0"\n  dependencies:\n    shared: ^1.0.0\n',
      '"tool@npm:^2.0.0":\n  version: 2.0.0\n  resolution: "tool@npm:2.0.0"\n  dependencies:\n    "@x/helper": ~3.0.0\n',
      '"@x/helper@npm:~3.0.0":\n  version: 3.0.1\n  resolution: "@x/helper@npm:3.0.1"\n',
      '"shared@npm:^1.0.0":\n  version: 1.2.0\n  resolution: "shared@npm:1.2.0"\n',
    ].join('\n');
    for (const [dir, lockText] of [['classic', classic], ['berry', berry]] as const) {
      const r = await runCataloger(npmCataloger(), memView([
        { path: `/${dir}/yarn.lock`, data: lockText },
        { path: `/${dir}/package.json`, data: manifest },
      ]));
      const got = r.packages.map((p) => `${p.name}@${p.version}${p.dev ? ' dev' : ''}`);
      expect(got, dir).toEqual(['@x/helper@3.0.1 dev', ...(dir === 'classic' ? ['orphan@9.0.0'] : []), 'prod@1.0.0', 'shared@1.2.0', 'tool@2.0.0 dev']);
    }
    // Without the project's package.json, nothing is known of dev: nothing is marked.
    const bare = await lock('yarn.lock', classic);
    expect(bare.got.filter((g) => g.endsWith(' dev'))).toEqual([]);
  });

  it('marks pnpm v9 packages that only devDependencies reach through snapshots as dev', async () => {
    const text = [
      "lockfileVersion: '9.0'",
      'importers:',
      '  .:',
      '    dependencies:',
      '      a:',
      '        specifier: 1.0.0',
      '        version: 1.0.0(peer@1.0.0)',
      '    devDependencies:',
      '      t:',
      '        specifier: 1.0.0',
      '        version: 1.0.0',
      '      lodash:',
      '        specifier: file:lodash.tgz',
      '        version: file:lodash.tgz',
      'packages:',
      '  a@1.0.0: {resolution: {integrity: x}}',
      '  peer@1.0.0: {resolution: {integrity: x}}',
      '  t@1.0.0: {resolution: {integrity: x}}',
      '  shared@2.0.0: {resolution: {integrity: x}}',
      '  only-dev@3.0.0: {resolution: {integrity: x}}',
      '  lodash@file:lodash.tgz: {resolution: {integrity: x}, version: 4.17.21}',
      'snapshots:',
      '  a@1.0.0(peer@1.0.0):',
      '    dependencies:',
      '      shared: 2.0.0',
      '      peer: 1.0.0',
      '  peer@1.0.0: {}',
      '  t@1.0.0:',
      '    dependencies:',
      '      shared: 2.0.0',
      '      only-dev: 3.0.0',
      '  shared@2.0.0: {}',
      '  only-dev@3.0.0: {}',
      '  lodash@file:lodash.tgz: {}',
    ].join('\n');
    const r = await lock('pnpm-lock.yaml', text);
    expect(r.got).toEqual(['a@1.0.0', 'lodash@4.17.21 dev', 'only-dev@3.0.0 dev', 'peer@1.0.0', 'shared@2.0.0', 't@1.0.0 dev']);
  });
});
