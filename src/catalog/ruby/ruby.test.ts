/** Tests of the ruby cataloger: installed gemspecs and Gemfile.lock fixtures, malformed input. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { dirFileView } from '../../image/dir-view.js';
import { memView, runCataloger } from '../fixtures/mem-view.js';
import { parseGemspec, rubyCataloger, stripPlatform } from './ruby.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

describe('ruby', () => {
  it('reads installed gemspecs and Gemfile.lock sections', async () => {
    const { packages, warnings } = await runCataloger(rubyCataloger(), dirFileView(path.join(fixtures, 'image'), 'sha256:rb'));
    expect(warnings).toEqual([]);
    expect(packages.map((p) => [p.locations[0]!.path, p.name, p.version, p.purl, p.licenses, p.local ?? false])).toEqual([
      ['/srv/app/Gemfile.lock', 'billing', '0.1.0', 'pkg:gem/billing@0.1.0', undefined, true],
      ['/srv/app/Gemfile.lock', 'nokogiri', '1.13.10', 'pkg:gem/nokogiri@1.13.10', undefined, false],
      ['/srv/app/Gemfile.lock', 'racc', '1.6.2', 'pkg:gem/racc@1.6.2', undefined, false],
      ['/srv/app/Gemfile.lock', 'rack', '2.2.4', 'pkg:gem/rack@2.2.4', undefined, false],
      ['/srv/app/Gemfile.lock', 'sidekiq-cron', '1.9.1', 'pkg:gem/sidekiq-cron@1.9.1', undefined, false],
      ['/usr/local/bundle/specifications/nokogiri-1.13.10-x86_64-linux.gemspec', 'nokogiri', '1.13.10', 'pkg:gem/nokogiri@1.13.10', ['MIT'], false],
      ['/usr/local/bundle/specifications/rack-2.2.4.gemspec', 'rack', '2.2.4', 'pkg:gem/rack@2.2.4', ['MIT'], false],
    ]);
  });

  it('parses the gemspec forms RubyGems has written', () => {
    expect(parseGemspec(`Gem::Specification.new do |s|\n  s.name = 'json'\n  s.version = Gem::Version.create('2.6.1')\n  s.licenses = ["Ruby".freeze, "BSD-2-Clause".freeze]\nend\n`)).toEqual({
      name: 'json',
      version: '2.6.1',
      licenses: ['Ruby', 'BSD-2-Clause'],
    });
    expect(parseGemspec('s.rubygems_version = "3.3.26".freeze\ns.name = "x"\n').version).toBeUndefined();
    expect(stripPlatform('1.13.10-x86_64-linux')).toBe('1.13.10');
    expect(stripPlatform('1.15.4-aarch64-linux-gnu')).toBe('1.15.4');
    expect(stripPlatform('9.4.3.0-java')).toBe('9.4.3.0');
    expect(stripPlatform('2.0.0.pre.1')).toBe('2.0.0.pre.1');
  });

  it('ignores the Gemfile.lock files gems ship', () => {
    const c = rubyCataloger();
    const e = { path: '', type: 'file' as const, mode: 0o644, size: 10, uid: 0, gid: 0 };
    expect(c.wants('/usr/local/bundle/gems/rack-2.2.4/Gemfile.lock', e)).toBe(false);
    expect(c.wants('/usr/local/bundle/bundler/gems/sidekiq-cron-2b1a8c2f7e4d/Gemfile.lock', e)).toBe(false);
    expect(c.wants('/srv/gems/myapp/Gemfile.lock', e)).toBe(true);
    expect(c.wants('/srv/app/Gemfile.lock', e)).toBe(true);
  });

  it('warns about gemspecs and lockfiles it cannot read', async () => {
    const view = memView([
      { path: '/gems/specifications/bad-1.0.gemspec', data: 'Gem::Specification.new do |s|\n  s.summary = "no name"\nend\n' },
      { path: '/gems/specifications/bin-1.0.gemspec', data: Buffer.from([0, 1, 2, 0xff]) },
      { path: '/app/Gemfile.lock', data: 'random words\nwithout sections\n' },
    ]);
    const { packages, warnings } = await runCataloger(rubyCataloger(), view);
    expect(packages).toEqual([]);
    expect(warnings).toEqual([
      { path: '/app/Gemfile.lock', message: 'Gemfile.lock: no GEM, GIT or PATH section' },
      { path: '/gems/specifications/bad-1.0.gemspec', message: 'gemspec: no name or version assignment' },
      { path: '/gems/specifications/bin-1.0.gemspec', message: 'gemspec: not UTF-8 text' },
    ]);
  });
});

describe('Gemfile.lock forms the peers test', () => {
  it('ends a section at any unindented line: entries of an unknown section (BAD-SECTION) are not gems', async () => {
    const lock = 'GEM\n  remote: https://rubygems.org/\n  specs:\n    rack (2.2.4)\n\nBAD-SECTION\n    bad-entry (5.5.5)\n      bad-rack\n\nPLATFORMS\n  ruby\n';
    const r = await runCataloger(rubyCataloger(), memView([{ path: '/app/Gemfile.lock', data: lock }]));
    expect(r.packages.map((p) => `${p.name}@${p.version}`)).toEqual(['rack@2.2.4']);
  });
});
