/** Tests of the python cataloger over fixtures with real paths, malformed input, and debian-app's dist-packages. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test/helpers/shared.js';
import { dirFileView } from '../../image/dir-view.js';
import { memView, runCataloger } from '../fixtures/mem-view.js';
import { normalizeName, pythonCataloger } from './python.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const run = (dir: string) => runCataloger(pythonCataloger(), dirFileView(path.join(fixtures, dir), 'sha256:py'));

describe('installed python distributions', () => {
  it('reads dist-info METADATA, egg-info PKG-INFO and egg-info files in site- and dist-packages', async () => {
    const { packages, warnings } = await run('installed');
    expect(warnings).toEqual([]);
    expect(packages.map((p) => [p.locations[0]!.path, p.name, p.version, p.purl, p.licenses])).toEqual([
      ['/usr/lib/python3/dist-packages/python_apt-2.6.0.egg-info', 'python-apt', '2.6.0', 'pkg:pypi/python-apt@2.6.0', ['GNU GPL']],
      ['/usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO', 'requests', '2.28.1', 'pkg:pypi/requests@2.28.1', ['Apache 2.0']],
      ['/usr/local/lib/python3.11/site-packages/Flask_SQLAlchemy-3.0.2.dist-info/METADATA', 'flask-sqlalchemy', '3.0.2', 'pkg:pypi/flask-sqlalchemy@3.0.2', ['BSD-3-Clause']],
      ['/usr/local/lib/python3.11/site-packages/attrs-23.1.0.dist-info/METADATA', 'attrs', '23.1.0', 'pkg:pypi/attrs@23.1.0', ['MIT']],
      // A License field holding the licence text is not a licence name: the classifier is used.
      ['/usr/local/lib/python3.11/site-packages/zope.interface-5.5.2.dist-info/METADATA', 'zope-interface', '5.5.2', 'pkg:pypi/zope-interface@5.5.2', ['Zope Public License']],
    ]);
    expect(packages[0]!.locations[0]!.layer).toBe('sha256:py');
  });

  it('normalises names as PEP 503 says', () => {
    expect(normalizeName('Flask_SQLAlchemy')).toBe('flask-sqlalchemy');
    expect(normalizeName('zope.interface')).toBe('zope-interface');
    expect(normalizeName('Some__Weird-.Name')).toBe('some-weird-name');
  });
});

describe('python lockfiles', () => {
  it('reads poetry.lock, Pipfile.lock and exact pins of requirements files', async () => {
    const { packages, warnings } = await run('projects');
    expect(warnings).toEqual([]);
    expect(packages.map((p) => `${p.locations[0]!.path} ${p.name}@${p.version}`)).toEqual([
      '/srv/pip/requirements-dev.txt pytest@7.2.1',
      '/srv/pip/requirements.txt django@4.1.7',
      '/srv/pip/requirements.txt numpy@1.24.2',
      '/srv/pip/requirements.txt requests@2.28.1',
      '/srv/pipenv/Pipfile.lock django@4.1.7',
      '/srv/pipenv/Pipfile.lock pytest@7.2.1',
      '/srv/poetry/poetry.lock certifi@2022.12.7',
      '/srv/poetry/poetry.lock jinja2@3.1.2',
    ]);
  });
});

describe('lockfile paths', () => {
  it('ignores requirements files shipped inside installed packages', () => {
    const e = { path: '', type: 'file' as const, mode: 0o644, size: 10, uid: 0, gid: 0 };
    expect(pythonCataloger().wants('/usr/lib/python3/dist-packages/foo/requirements.txt', e)).toBe(false);
    expect(pythonCataloger().wants('/app/requirements-prod.txt', e)).toBe(true);
    expect(pythonCataloger().wants('/app/requirements.in', e)).toBe(false);
  });
});

describe('malformed python input', () => {
  it('warns about bad METADATA, lockfiles and JSON, and keeps going', async () => {
    const sp = '/usr/lib/python3.11/site-packages';
    const view = memView([
      { path: `${sp}/good-1.0.dist-info/METADATA`, data: 'Metadata-Version: 2.1\nName: good\nVersion: 1.0\n' },
      { path: `${sp}/garbage-1.0.dist-info/METADATA`, data: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2]) },
      { path: `${sp}/noversion-1.0.dist-info/METADATA`, data: 'Metadata-Version: 2.1\nName: noversion\n' },
      { path: `${sp}/notheaders-1.0.dist-info/METADATA`, data: 'this is not\nan RFC 822 header block\n' },
      { path: '/app/Pipfile.lock', data: '{"default": ' },
      { path: '/app/poetry.lock', data: '[[package]]\nname = "half"\n' },
      { path: '/app/requirements.txt', data: Buffer.from([0xc3, 0x28]) },
    ]);
    const { packages, warnings } = await runCataloger(pythonCataloger(), view);
    expect(packages.map((p) => p.name)).toEqual(['good']);
    expect(warnings).toEqual([
      { path: '/app/Pipfile.lock', message: expect.stringMatching(/^Pipfile\.lock: bad JSON/) },
      { path: '/app/poetry.lock', message: 'poetry.lock: [[package]] at line 1 has no name or version' },
      { path: '/app/requirements.txt', message: 'requirements.txt: not UTF-8 text' },
      { path: `${sp}/garbage-1.0.dist-info/METADATA`, message: 'python metadata: not RFC 822 style headers' },
      { path: `${sp}/notheaders-1.0.dist-info/METADATA`, message: 'python metadata: not RFC 822 style headers' },
      { path: `${sp}/noversion-1.0.dist-info/METADATA`, message: 'python metadata: no Name or Version' },
    ]);
  });
});

describe('debian-app dist-packages', () => {
  const images = sharedPath('images');
  const tmp = mkdtempSync(path.join(tmpdir(), 'shipshape-py-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it.skipIf(!images)('matches expected-facts.json, python3-requests included', async () => {
    const facts = JSON.parse(readFileSync(path.join(images!, 'expected-facts.json'), 'utf8'));
    const img = facts.images.find((i: { name: string }) => i.name === 'debian-app');
    const blobs = path.join(images!, 'oci/debian-app/blobs/sha256');
    // python3-requests and its dependencies arrive in layer 2.
    const layer = img.layers[1].digest.replace('sha256:', '');
    spawnSync('tar', ['-xzf', path.join(blobs, layer), '-C', tmp, '--wildcards', 'usr/lib/python3/dist-packages/*-info*'], { stdio: 'ignore' });
    const { packages, warnings } = await runCataloger(pythonCataloger(), dirFileView(tmp, img.layers[1].diffId));
    expect(warnings).toEqual([]);
    const want = img.packages.python.map((p: { name: string; version: string; path: string }) => `${p.path} ${p.name}@${p.version}`).sort();
    const got = packages.map((p) => `${p.locations[0]!.path.replace(/\/(PKG-INFO|METADATA)$/, '')} ${p.name}@${p.version}`).sort();
    expect(got).toEqual(want);
    const requests = packages.find((p) => p.name === 'requests')!;
    expect(requests.locations).toEqual([{ layer: img.layers[1].diffId, path: '/usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO' }]);
    expect(requests.purl).toBe('pkg:pypi/requests@2.28.1');
  });
});

// Cases found by the peers' own fixtures (../shared/peer-fixtures): each failed before its fix.
describe('python forms the peers test', () => {
  const got = async (files: Array<{ path: string; data: string | Buffer }>) => {
    const r = await runCataloger(pythonCataloger(), memView(files));
    return { warnings: r.warnings, got: r.packages.map((p) => `${p.name}@${p.version}${p.dev ? ' dev' : ''}`) };
  };

  it('reads UTF-16 requirements files with a byte order mark, as pip does', async () => {
    const text = 'attrs==20.3.0\r\nsix==1.16.0\r\n';
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const be = Buffer.from(le.subarray(2)).swap16();
    const r = await got([
      { path: '/le/requirements.txt', data: le },
      { path: '/be/requirements.txt', data: Buffer.concat([Buffer.from([0xfe, 0xff]), be]) },
    ]);
    expect(r.warnings).toEqual([]);
    expect(r.got).toEqual(['attrs@20.3.0', 'six@1.16.0', 'attrs@20.3.0', 'six@1.16.0']);
  });

  it('finds .DIST-INFO and .EGG-INFO directories in any case, as importlib.metadata does', async () => {
    const site = '/usr/local/lib/python3.11/site-packages';
    const r = await got([
      { path: `${site}/Pygments-2.6.1.DIST-INFO/METADATA`, data: 'Metadata-Version: 2.1\nName: Pygments\nVersion: 2.6.1\n' },
      { path: `${site}/requests-2.22.0-py3.8.EGG-INFO/PKG-INFO`, data: 'Metadata-Version: 1.1\nName: requests\nVersion: 2.22.0\n' },
      // Python reads the METADATA file by its exact name: a lower-case one is not metadata.
      { path: `${site}/other-1.0.dist-info/metadata`, data: 'Name: other\nVersion: 1.0\n' },
    ]);
    expect(r.got).toEqual(['pygments@2.6.1', 'requests@2.22.0']);
  });

  it("marks Pipfile.lock's develop and poetry's dev packages (category, or groups without main) as dev", async () => {
    const pipfile = JSON.stringify({ default: { flask: { version: '==2.0.0' } }, develop: { pytest: { version: '==7.0.0' } } });
    const poetry = [
      '[[package]]\nname = "flask"\nversion = "2.0.0"\ncategory = "main"\n',
      '[[package]]\nname = "pytest"\nversion = "7.0.0"\ncategory = "dev"\n',
      '[[package]]\nname = "click"\nversion = "8.1.8"\ngroups = ["main", "dev"]\n',
      '[[package]]\nname = "py"\nversion = "1.11.0"\ngroups = ["dev"]\n',
    ].join('\n');
    const r = await got([
      { path: '/a/Pipfile.lock', data: pipfile },
      { path: '/b/poetry.lock', data: poetry },
    ]);
    expect(r.got).toEqual(['flask@2.0.0', 'pytest@7.0.0 dev', 'click@8.1.8', 'flask@2.0.0', 'py@1.11.0 dev', 'pytest@7.0.0 dev']);
  });
});
