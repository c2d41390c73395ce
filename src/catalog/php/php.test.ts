/** Tests of the php cataloger: Composer 1 and 2 installed.json, composer.lock, malformed input. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dirFileView } from '../../image/dir-view.js';
import { memView, runCataloger } from '../fixtures/mem-view.js';
import { phpCataloger } from './php.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

describe('php', () => {
  it('reads installed.json of Composer 1 and 2 and composer.lock with dev packages', async () => {
    const { packages, warnings } = await runCataloger(phpCataloger(), dirFileView(path.join(fixtures, 'image'), 'sha256:php'));
    expect(warnings).toEqual([]);
    expect(packages.map((p) => [p.locations[0]!.path, p.name, p.version, p.purl, p.licenses])).toEqual([
      ['/var/www/html/composer.lock', 'guzzlehttp/guzzle', '7.5.0', 'pkg:composer/guzzlehttp/guzzle@7.5.0', ['MIT']],
      ['/var/www/html/composer.lock', 'phpunit/phpunit', '9.6.3', 'pkg:composer/phpunit/phpunit@9.6.3', ['BSD-3-Clause']],
      ['/var/www/html/vendor/composer/installed.json', 'guzzlehttp/guzzle', '7.5.0', 'pkg:composer/guzzlehttp/guzzle@7.5.0', ['MIT']],
      // The tag's `v` is dropped: advisories name versions without it.
      ['/var/www/html/vendor/composer/installed.json', 'symfony/http-foundation', '5.4.20', 'pkg:composer/symfony/http-foundation@5.4.20', ['MIT']],
      ['/var/www/legacy/vendor/composer/installed.json', 'monolog/monolog', '1.25.1', 'pkg:composer/monolog/monolog@1.25.1', ['MIT']],
    ]);
  });

  it('ignores composer.lock files shipped inside vendor/', () => {
    const e = { path: '', type: 'file' as const, mode: 0o644, size: 10, uid: 0, gid: 0 };
    expect(phpCataloger().wants('/var/www/html/vendor/guzzlehttp/guzzle/composer.lock', e)).toBe(false);
    expect(phpCataloger().wants('/var/www/html/composer.lock', e)).toBe(true);
  });

  it('warns about bad JSON and documents without packages', async () => {
    const view = memView([
      { path: '/a/vendor/composer/installed.json', data: '{"packages": [' },
      { path: '/b/composer.lock', data: '{"content-hash": "x"}' },
      { path: '/c/vendor/composer/installed.json', data: '{"packages": [{"name": "ok/ok", "version": "1.0.0"}, {"name": 3}, null]}' },
    ]);
    const { packages, warnings } = await runCataloger(phpCataloger(), view);
    expect(packages.map((p) => p.name)).toEqual(['ok/ok']);
    expect(warnings).toEqual([
      { path: '/a/vendor/composer/installed.json', message: expect.stringMatching(/^installed\.json: bad JSON/) },
      { path: '/b/composer.lock', message: 'composer.lock: no packages list' },
    ]);
  });
});

describe('composer development packages', () => {
  it("marks composer.lock's packages-dev as dev, not installed.json's dev-package-names (installed in vendor/)", async () => {
    const lock = JSON.stringify({ packages: [{ name: 'psr/log', version: '1.1.4' }], 'packages-dev': [{ name: 'pear/log', version: '1.13.3' }] });
    const installed = JSON.stringify({
      packages: [
        { name: 'psr/log', version: '1.1.4' },
        { name: 'phpunit/phpunit', version: '9.6.0' },
      ],
      dev: true,
      'dev-package-names': ['phpunit/phpunit'],
    });
    const r = await runCataloger(phpCataloger(), memView([
      { path: '/app/composer.lock', data: lock },
      { path: '/srv/vendor/composer/installed.json', data: installed },
    ]));
    expect(r.packages.map((p) => `${p.locations[0]!.path} ${p.name}@${p.version}${p.dev ? ' dev' : ''}`)).toEqual([
      '/app/composer.lock pear/log@1.13.3 dev',
      '/app/composer.lock psr/log@1.1.4',
      '/srv/vendor/composer/installed.json phpunit/phpunit@9.6.0',
      '/srv/vendor/composer/installed.json psr/log@1.1.4',
    ]);
  });
});
