/** Tests of the Go binary cataloger: real binaries built with `go build`, go-static's server, synthetic old-layout ELFs, corrupt input. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test/helpers/shared.js';
import { dirFileView } from '../../image/dir-view.js';
import { memView, runCataloger } from '../fixtures/mem-view.js';
import { parseModinfo, readBuildInfo, type GoBuildInfo } from './buildinfo.js';
import { inlineBuildInfo, makeElf, pointerBuildInfoElf } from './fixtures/make-elf.js';
import { goBinaryCataloger, stdlibVersion } from './go-binary.js';
import { unterminatedSectionNamesElf } from '../../../test/helpers/hostile-inputs.js';

const hasGo = spawnSync('go', ['version']).status === 0;
const tmp = mkdtempSync(path.join(tmpdir(), 'shipshape-go-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Parses `go version -m` output into the shape readBuildInfo returns. */
function goVersionM(file: string): GoBuildInfo {
  const out = execFileSync('go', ['version', '-m', file], { encoding: 'utf8' });
  const [first, ...rest] = out.split('\n');
  const goVersion = first!.slice(first!.indexOf(': ') + 2).trim();
  return parseModinfo(goVersion, rest.map((l) => l.replace(/^\t/, '')).join('\n'));
}

function write(rel: string, text: string) {
  const p = path.join(tmp, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  writeFileSync(p, text);
}

function goBuild(dir: string, out: string, env: Record<string, string> = {}, args: string[] = []) {
  execFileSync('go', ['build', ...args, '-o', out, '.'], {
    cwd: path.join(tmp, dir),
    env: { ...process.env, GOFLAGS: '-mod=mod', GOPROXY: 'off', GOTOOLCHAIN: 'local', CGO_ENABLED: '0', ...env },
    stdio: 'pipe',
  });
}

describe.skipIf(!hasGo)('binaries built by go build, checked against go version -m', () => {
  it('reads a 64-bit program without dependencies', async () => {
    write('hello/go.mod', 'module example.com/hello\n\ngo 1.19\n');
    write('hello/main.go', 'package main\n\nfunc main() { println("hello") }\n');
    const bin = path.join(tmp, 'root/usr/local/bin/hello');
    mkdirSync(path.dirname(bin), { recursive: true });
    goBuild('hello', bin, {}, ['-ldflags=-s -w']); // symbols stripped: build info stays
    const info = readBuildInfo(readFileSync(bin))!;
    expect(info).toEqual(goVersionM(bin));
    expect(info.main).toEqual({ path: 'example.com/hello', version: '(devel)' });

    const { packages, warnings } = await runCataloger(goBinaryCataloger(), dirFileView(path.join(tmp, 'root'), 'sha256:l1'));
    expect(warnings).toEqual([]);
    const goVer = stdlibVersion(info.goVersion);
    expect(packages.map((p) => [p.name, p.version, p.purl])).toEqual([
      ['example.com/hello', '(devel)', 'pkg:golang/example.com/hello@%28devel%29'],
      ['stdlib', goVer, `pkg:golang/stdlib@${goVer}`],
    ]);
    expect(packages[0]!.locations).toEqual([{ layer: 'sha256:l1', path: '/usr/local/bin/hello' }]);
  });

  it('reads a 32-bit program with a replaced dependency', async () => {
    write('withdep/go.mod', 'module example.com/withdep\n\ngo 1.19\n\nrequire example.com/lib v1.2.3\n\nreplace example.com/lib => ./lib\n');
    write('withdep/lib/go.mod', 'module example.com/lib\n\ngo 1.19\n');
    write('withdep/lib/lib.go', 'package lib\n\nfunc Hello() string { return "hi" }\n');
    write('withdep/main.go', 'package main\n\nimport "example.com/lib"\n\nfunc main() { println(lib.Hello()) }\n');
    const bin = path.join(tmp, 'root386/app/withdep');
    mkdirSync(path.dirname(bin), { recursive: true });
    goBuild('withdep', bin, { GOARCH: '386' });
    expect(readFileSync(bin)[4]).toBe(1); // ELFCLASS32
    const info = readBuildInfo(readFileSync(bin))!;
    expect(info).toEqual(goVersionM(bin));
    expect(info.deps).toEqual([{ path: 'example.com/lib', version: 'v1.2.3', replace: { path: './lib', version: '(devel)' } }]);
    expect(info.settings).toContainEqual(['GOARCH', '386']);

    const { packages } = await runCataloger(goBinaryCataloger(), dirFileView(path.join(tmp, 'root386')));
    // The replacement is what was built in.
    expect(packages.map((p) => `${p.name}@${p.version}`)).toContain('./lib@(devel)');
    expect(packages.map((p) => p.name)).not.toContain('example.com/lib');
  });
});

describe('go-static /app/server', () => {
  const oci = sharedPath('images/oci/go-static');
  it.skipIf(!oci)('reports go1.19.8, the (devel) main module and both x/ deps', async () => {
    const index = JSON.parse(readFileSync(path.join(oci!, 'index.json'), 'utf8'));
    const blob = (d: string) => path.join(oci!, 'blobs/sha256', d.replace('sha256:', ''));
    const manifest = JSON.parse(readFileSync(blob(index.manifests[0].digest), 'utf8'));
    const root = path.join(tmp, 'go-static');
    mkdirSync(path.join(root, 'app'), { recursive: true });
    for (const layer of manifest.layers) {
      const r = spawnSync('tar', ['-xzOf', blob(layer.digest), 'app/server'], { maxBuffer: 1 << 28 });
      if (r.status === 0 && r.stdout.length) writeFileSync(path.join(root, 'app/server'), r.stdout, { mode: 0o755 });
    }
    const { packages, warnings } = await runCataloger(goBinaryCataloger(), dirFileView(root, 'sha256:gs'));
    expect(warnings).toEqual([]);
    expect(packages.map((p) => [p.name, p.version, p.purl])).toEqual([
      ['example.com/fixtures/server', '(devel)', 'pkg:golang/example.com/fixtures/server@%28devel%29'],
      ['golang.org/x/net', 'v0.7.0', 'pkg:golang/golang.org/x/net@v0.7.0'],
      ['golang.org/x/text', 'v0.7.0', 'pkg:golang/golang.org/x/text@v0.7.0'],
      ['stdlib', '1.19.8', 'pkg:golang/stdlib@1.19.8'],
    ]);
    expect(packages.every((p) => p.type === 'go-module' && p.locations[0]!.path === '/app/server')).toBe(true);
    const info = readBuildInfo(readFileSync(path.join(root, 'app/server')))!;
    expect(info.settings).toContainEqual(['-trimpath', 'true']);
    if (hasGo) expect(info).toEqual(goVersionM(path.join(root, 'app/server')));
  });
});

const MODINFO =
  'path\texample.com/old\nmod\texample.com/old\tv1.0.0\th1:abc=\ndep\tgithub.com/pkg/errors\tv0.9.1\th1:def=\n' +
  'dep\tgolang.org/x/sys\tv0.0.0-20200212091648-12a6c2dcc1e4\n=>\tgolang.org/x/sys\tv0.1.0\th1:ghi=\nbuild\tGOOS=linux\n';

describe('synthetic build info layouts', () => {
  const expected = ['example.com/old@v1.0.0', 'github.com/pkg/errors@v0.9.1', 'golang.org/x/sys@v0.1.0', 'stdlib@1.16.15'];
  for (const [bits, le] of [
    [64, true],
    [32, true],
    [64, false],
    [32, false],
  ] as const) {
    it(`reads the pre-1.18 pointer layout (${bits}-bit, ${le ? 'little' : 'big'} endian)`, async () => {
      const elf = pointerBuildInfoElf(bits, le, 'go1.16.15', MODINFO);
      const view = memView([{ path: '/bin/old', data: elf, mode: 0o755 }]);
      const { packages, warnings } = await runCataloger(goBinaryCataloger(), view);
      expect(warnings).toEqual([]);
      expect(packages.map((p) => `${p.name}@${p.version}`)).toEqual(expected);
    });
  }

  it('finds inline build info in the writable segment when section headers are gone', async () => {
    const elf = makeElf({
      bits: 64,
      noSectionHeaders: true,
      sections: [
        { name: '.text', data: Buffer.alloc(64, 0x90), addr: 0x401000 },
        { name: '.go.buildinfo', data: inlineBuildInfo('go1.20.1', MODINFO), addr: 0x500000, writable: true },
      ],
    });
    const { packages } = await runCataloger(goBinaryCataloger(), memView([{ path: '/srv', data: elf, mode: 0o700 }]));
    expect(packages.map((p) => `${p.name}@${p.version}`)).toEqual(expected.map((e) => e.replace('1.16.15', '1.20.1')));
  });

  it('reports stdlib alone for a binary built outside module mode', async () => {
    const elf = makeElf({ bits: 64, sections: [{ name: '.go.buildinfo', data: inlineBuildInfo('go1.21.0 X:boringcrypto', ''), addr: 0x500000 }] });
    const { packages } = await runCataloger(goBinaryCataloger(), memView([{ path: '/bin/x', data: elf, mode: 0o755 }]));
    expect(packages.map((p) => p.purl)).toEqual(['pkg:golang/stdlib@1.21.0']);
  });
});

describe('inputs that are not Go binaries', () => {
  const goElf = makeElf({ bits: 64, sections: [{ name: '.go.buildinfo', data: inlineBuildInfo('go1.20.1', MODINFO), addr: 0x500000 }] });

  it('skips scripts, non-Go ELF files and non-executable files quietly', async () => {
    const view = memView([
      { path: '/usr/bin/script', data: '#!/bin/sh\necho hi\n', mode: 0o755 },
      { path: '/usr/bin/c-program', data: makeElf({ bits: 64, sections: [{ name: '.text', data: Buffer.alloc(32), addr: 0x1000 }] }), mode: 0o755 },
      { path: '/usr/share/not-executable', data: goElf, mode: 0o644 },
    ]);
    expect(await runCataloger(goBinaryCataloger(), view)).toEqual({ packages: [], warnings: [] });
  });

  it('warns about a truncated ELF file', async () => {
    for (const cut of [30, 100, goElf.length - 20]) {
      const view = memView([{ path: '/bin/cut', data: goElf.subarray(0, cut), mode: 0o755 }]);
      const { packages, warnings } = await runCataloger(goBinaryCataloger(), view);
      expect(packages).toEqual([]);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({ path: '/bin/cut', message: expect.stringMatching(/truncated/) });
    }
  });

  it('warns when the build info points outside the file', async () => {
    const elf = pointerBuildInfoElf(64, true, 'go1.16', MODINFO);
    // Corrupt the version pointer (offset 16 of the .go.buildinfo blob).
    const at = elf.indexOf(Buffer.from('\xff Go buildinf:', 'latin1'));
    elf.writeBigUInt64LE(0xdead0000n, at + 16);
    const { warnings } = await runCataloger(goBinaryCataloger(), memView([{ path: '/bin/bad', data: elf, mode: 0o755 }]));
    expect(warnings).toEqual([{ path: '/bin/bad', message: 'go build info: build info points outside the file' }]);
  });
});

describe('hostile ELF headers', () => {
  it('names without a NUL are read up to 256 bytes within the string table (was a scan of the whole file per section)', async () => {
    const elf = unterminatedSectionNamesElf();
    expect(readBuildInfo(elf)).toBeUndefined();
    const { packages, warnings } = await runCataloger(goBinaryCataloger(), memView([{ path: '/bin/hostile', data: elf, mode: 0o755 }]));
    expect(packages).toEqual([]);
    expect(warnings).toEqual([]);
  });
});
