#!/usr/bin/env node
/** Bundles the CLI into one file, dist/bundle/shipshape.cjs (`npm run build`, after tsc); bin/shipshape runs it. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const outfile = path.join(root, 'dist', 'bundle', 'shipshape.cjs');

// One entry point: every command src/cli/main.ts registers is in the bundle, with no list here.
// CommonJS rather than ESM so that bin/shipshape can compile it with a V8 code cache (vm.Script);
// modules the source loads with `await import()` stay in the file but are only evaluated when used.
// `import.meta.url` becomes the bundle's own URL (passed in by bin/shipshape); the bundle sits two
// directories below the package root, as src/cli/main.ts does, so `../../package.json` still
// finds the package's version. Native addons stay outside: they are loaded from node_modules.
// commander requires node:child_process at its top (for executable subcommands, which shipshape
// has none of); child_process pulls in net, dgram and more, ~3 ms of every start. commander gets
// a stand-in that loads the real module on first use.
const lazyChildProcess = {
  name: 'lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) => (/[\\/]commander[\\/]/.test(args.importer) ? { path: 'lazy-child-process', namespace: 'lazy' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'lazy' }, () => ({
      contents: "let real; module.exports = new Proxy({}, { get: (_, key) => (real ??= require('node:child_process'))[key] });",
      loader: 'js',
    }));
  },
};

await build({
  entryPoints: [path.join(root, 'src', 'cli', 'main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['better-sqlite3', 'zstd-napi'],
  define: { 'import.meta.url': '__shipshapeBundleUrl' },
  // Less source for V8 to read at each start; names are kept so stack traces stay readable.
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  sourcemap: 'linked',
  logLevel: 'warning',
  plugins: [lazyChildProcess],
});

// A dynamic import() that esbuild could not resolve into the bundle (a node: builtin, a computed
// path) stays a real one, and a real one fails inside bin/shipshape's vm.Script with
// ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING, only when that command path runs: refuse it here.
const real = [...readFileSync(outfile, 'utf8').matchAll(/(?<![\w$.])import\(\s*[^)]{0,60}\)/g)].map((m) => m[0]);
if (real.length) {
  console.error(`bundle check failed: ${real.length} dynamic import() left in the bundle (${[...new Set(real)].join(', ')}): import node: builtins statically`);
  process.exit(1);
}

// bin/shipshape reads the bundle as Latin-1 (cheaper than decoding UTF-8): esbuild's default
// `charset: 'ascii'` escapes every other character; refuse a bundle where one slipped through.
const nonAscii = readFileSync(outfile).findIndex((b) => b > 0x7f);
if (nonAscii >= 0) {
  console.error(`bundle check failed: byte ${nonAscii} of ${outfile} is not ASCII; bin/shipshape reads the bundle as Latin-1`);
  process.exit(1);
}

// The version must come from package.json, read at run time: check the bundle finds it.
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const r = spawnSync(process.execPath, [path.join(root, 'bin', 'shipshape'), '--version'], { encoding: 'utf8', env: { ...process.env, SHIPSHAPE_CODE_CACHE: '0' } });
if (r.status !== 0 || r.stdout.trim() !== pkg.version) {
  console.error(`bundle check failed: bin/shipshape --version printed "${r.stdout.trim()}" (exit ${r.status}), package.json says ${pkg.version}\n${r.stderr}`);
  process.exit(1);
}
