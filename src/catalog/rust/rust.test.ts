/** Tests of the rust cataloger: Cargo.lock fixtures, cargo-auditable data in synthetic ELF files, corrupt input. */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { dirFileView } from '../../image/dir-view.js';
import { memView, runCataloger } from '../fixtures/mem-view.js';
import { makeElf } from '../go-binary/fixtures/make-elf.js';
import { rustCataloger } from './rust.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** An ELF with cargo-auditable's `.dep-v0` section holding `json` compressed with zlib. */
function auditable(json: unknown, raw?: Buffer): Buffer {
  const data = raw ?? deflateSync(Buffer.from(JSON.stringify(json)));
  return makeElf({ bits: 64, sections: [{ name: '.text', data: Buffer.alloc(16), addr: 0x1000 }, { name: '.dep-v0', data }] });
}

const AUDIT = {
  packages: [
    { name: 'myapp', version: '0.1.0', source: 'local', dependencies: [1, 2, 3], root: true },
    { name: 'serde', version: '1.0.152', source: 'crates.io', dependencies: [] },
    { name: 'cc', version: '1.0.79', source: 'crates.io', kind: 'build' },
    { name: 'time', version: '0.1.45', source: 'crates.io', kind: 'runtime' },
  ],
};

describe('rust', () => {
  it('reads Cargo.lock, marking crates without a source as local', async () => {
    const { packages, warnings } = await runCataloger(rustCataloger(), dirFileView(path.join(fixtures, 'project'), 'sha256:rs'));
    expect(warnings).toEqual([]);
    expect(packages.map((p) => [p.name, p.version, p.purl, p.local ?? false])).toEqual([
      ['app', '0.1.0', 'pkg:cargo/app@0.1.0', true],
      ['memchr', '2.5.0', 'pkg:cargo/memchr@2.5.0', false],
      ['regex', '1.7.1', 'pkg:cargo/regex@1.7.1', false],
      ['shared-utils', '0.2.0', 'pkg:cargo/shared-utils@0.2.0', true],
      ['tokio-forked', '1.25.0', 'pkg:cargo/tokio-forked@1.25.0', false],
    ]);
    expect(packages[0]!.locations).toEqual([{ layer: 'sha256:rs', path: '/src/app/Cargo.lock' }]);
  });

  it('reads cargo-auditable data from executables, leaving out build-only crates', async () => {
    const view = memView([{ path: '/usr/local/bin/myapp', data: auditable(AUDIT), mode: 0o755 }]);
    const { packages, warnings } = await runCataloger(rustCataloger(), view);
    expect(warnings).toEqual([]);
    expect(packages.map((p) => `${p.name}@${p.version}${p.local ? ' (local)' : ''}`)).toEqual(['myapp@0.1.0 (local)', 'serde@1.0.152', 'time@0.1.45']);
    expect(packages.every((p) => p.type === 'cargo' && p.locations[0]!.path === '/usr/local/bin/myapp')).toBe(true);
  });

  it("ignores the Cargo.lock files of crate sources in cargo's cache", () => {
    const e = { path: '', type: 'file' as const, mode: 0o644, size: 10, uid: 0, gid: 0 };
    expect(rustCataloger().wants('/root/.cargo/registry/src/index.crates.io-6f17d22bba15001f/regex-1.7.1/Cargo.lock', e)).toBe(false);
    expect(rustCataloger().wants('/src/app/Cargo.lock', e)).toBe(true);
  });

  it('skips executables without audit data quietly and warns about corrupt data', async () => {
    const view = memView([
      { path: '/bin/plain', data: makeElf({ bits: 64, sections: [{ name: '.text', data: Buffer.alloc(8), addr: 0x1000 }] }), mode: 0o755 },
      { path: '/bin/script', data: '#!/bin/sh\n', mode: 0o755 },
      { path: '/bin/not-zlib', data: auditable(null, Buffer.from('not zlib at all')), mode: 0o755 },
      { path: '/bin/not-json', data: auditable(null, deflateSync('{"packages": [')), mode: 0o755 },
      { path: '/bin/truncated', data: auditable(AUDIT).subarray(0, 200), mode: 0o755 },
      { path: '/src/Cargo.lock', data: 'this is not toml\n' },
    ]);
    const { packages, warnings } = await runCataloger(rustCataloger(), view);
    expect(packages).toEqual([]);
    expect(warnings.map((w) => w.path)).toEqual(['/bin/not-json', '/bin/not-zlib', '/bin/truncated', '/src/Cargo.lock']);
    expect(warnings[2]!.message).toMatch(/truncated/);
  });
});

describe('Cargo.lock forms the peers test', () => {
  it('reads TOML multi-line strings, and never takes their lines for table headers', async () => {
    const lock = [
      '[[package]]',
      'name = "url"',
      'version = """1.7.2"""',
      'source = "registry+https://github.com/rust-lang/crates.io-index"',
      '',
      '[[package]]',
      'name = "odd"',
      "description = '''",
      '[[package]]',
      "name = \"not-a-package\"'''",
      'version = "0.1.0"',
      'source = "registry+https://github.com/rust-lang/crates.io-index"',
    ].join('\n');
    const r = await runCataloger(rustCataloger(), memView([{ path: '/app/Cargo.lock', data: lock }]));
    expect(r.warnings).toEqual([]);
    expect(r.packages.map((p) => `${p.name}@${p.version}`)).toEqual(['odd@0.1.0', 'url@1.7.2']);
  });
});

describe('Cargo.lock on hostile input', () => {
  it('an unclosed multi-line string over many lines is read in one pass', async () => {
    const lock = `[[package]]\nname = "a"\nversion = "1.0.0"\ndescription = """\n${'x\n'.repeat(300_000)}`;
    const r = await runCataloger(rustCataloger(), memView([{ path: '/app/Cargo.lock', data: lock }]));
    expect(r.packages.map((p) => `${p.name}@${p.version}`)).toEqual(['a@1.0.0']);
  });
});
