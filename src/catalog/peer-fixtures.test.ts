/** The peers' own cataloger fixtures (Syft, Trivy; ../shared/peer-fixtures) fed to our catalogers as a scan sees them, compared to the packages their tests expect. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../test/helpers/shared.js';
import { makeZip, type ZipEntrySpec } from '../../test/helpers/zip.js';
import type { FileView } from '../image/types.js';
import type { Package, PackageType } from '../model/index.js';
import { withoutOsOwned } from '../scan/index.js';
import { memView, onlyKept, type MemFile } from './fixtures/mem-view.js';
import { catalogAll, catalogers, detectOs, keptBy, wantedBy } from './index.js';

/** One entry of fixtures.json (see ../shared/peer-fixtures/README.md). */
interface Fixture {
  id: string;
  peer: 'syft' | 'trivy';
  ecosystem: string;
  /** Where each file sits in the image: copied from `src`, or `zipdir` zipped into an archive. */
  files: Array<{ dest: string; src?: string; zipdir?: string }>;
  /** What the peer's test expects; `dev` where the peer marks a development dependency. */
  expected: Array<{ name: string; version: string; purl?: string; dev?: boolean }>;
  /** Development dependencies (name@version) of the lockfile that the peer's test leaves out. */
  lock_dev?: string[];
  notes: string;
  source: { repo: string; commit: string; test: string };
}

/** The fixture's ecosystem → the package type our catalogers give it; other types found are not compared. */
const TYPE_OF: Record<string, PackageType> = {
  npm: 'npm',
  python: 'python',
  maven: 'maven',
  deb: 'deb',
  apk: 'apk',
  nuget: 'nuget',
  gem: 'gem',
  cargo: 'cargo',
  composer: 'composer',
};

/**
 * Both sides spelled alike before comparing: the same package, whatever the tool's spelling.
 * Python names PEP 503 normalised (Trivy keeps `Flask`), NuGet ids case-insensitive, Composer's
 * leading `v` dropped (we drop it, as advisories do).
 */
function keyOf(ecosystem: string, name: string, version: string): string {
  let n = name;
  let v = version;
  if (ecosystem === 'python') n = n.toLowerCase().replace(/[-_.]+/g, '-');
  if (ecosystem === 'nuget') n = n.toLowerCase();
  if (ecosystem === 'composer' && /^v\d/.test(v)) v = v.slice(1);
  return `${n}@${v}`;
}

/** A difference we keep on purpose: `missing` the peer reports it and we do not, `extra` the reverse. */
interface Documented {
  kind: 'missing' | 'extra';
  /** `name@version` (spelled as keyOf spells it after normalising). */
  pkg: string;
  why: string;
}

// Why each documented difference is there (docs/language-packages.md, "Against the peers' fixtures").
const ROOT = "the peer reports the lockfile's root project (the application itself) as a package; we report what it depends on";
const WORKSPACE = "workspace member (link / local directory): the project's own code, no registry release to match";
const YARN_URL = 'yarn classic entry whose resolved URL names another package: Syft names it from the URL, we (like Trivy) from the entry key';
const PATCHED = 'yarn berry `patch:` entry: Trivy skips it, we report the patched package (its advisories still apply)';
const LOCAL_DEP = '`file:` dependency: Trivy skips it or keeps it without a version, we report it only with a version';
const GIT_DEP = "git dependency: Trivy skips it, we report it with the lockfile's version";
const PNPM_TRUNCATED = 'truncated fixture: Syft also takes root `dependencies:` entries that have no `packages:` entry; we read `packages:`';
const PNPM_ENV = "pnpm's environment lockfile document (the pnpm the project pins): build tooling, so we mark it dev; Syft reports it";
const NO_VERSION = 'entry without a version: the peer keeps it with an empty version, we skip it with a warning (nothing to match)';
const POETRY_DEV = 'poetry `category = "dev"`: Syft reports it as production, we mark it dev (matched with --include-dev-deps)';
const REQ_HASH = '`Jinja2==3.0.0#comment`: pip takes `#` as a comment only after whitespace, so this is no clean pin; Trivy strips it, we skip the line';
const DOTNET_PROJECT = 'deps.json library of type `project` (the application or a project reference): its own code; we report `package` and `runtimepack` libraries';
const DOTNET_NO_ASSETS = 'library with no runtime assets in the target (meta or compile-only package): Trivy leaves it out, we report every `package` library';
const NEW_RELIC = 'New Relic instrumentation jar (Weave-Classes in MANIFEST.MF): Syft drops it on purpose, we report it from the file name';
const POM_OUTSIDE =
  'pom.properties outside META-INF/maven/: Maven writes them only there, elsewhere they are resources (test data, archetype templates) naming nothing inside; Trivy reads any';
const GUESSED_GROUP = 'manifest-only jar: the peer guesses the group (offline from the title, or a Maven Central search); we never guess or search, so no group';

const m = (pkg: string, why: string): Documented => ({ kind: 'missing', pkg, why });
const x = (pkg: string, why: string): Documented => ({ kind: 'extra', pkg, why });

/** Every documented difference, by fixture. Any other difference fails the test; so does an entry that no longer differs. */
const DOCUMENTED: Record<string, Documented[]> = {
  'syft/npm/pkg-lock-v2': [m('npm@6.14.6', ROOT)],
  'syft/npm/pkg-lock-v3': [m('lock-v3-fixture@1.0.0', ROOT)],
  'syft/npm/pkg-lock-alias-v2': [m('alias-check@1.0.0', ROOT)],
  'syft/npm/pkg-lock-array-license': [m('tmp@1.0.0', ROOT)],
  'trivy/yarn/analyzer-happy': [m('90@1.0.0', ROOT)],
  'trivy/yarn/analyzer-alias': [m('test@1.0.0', ROOT)],
  'trivy/yarn/analyzer-yarn-berry-node-modules': [m('work@1.0.0', ROOT)],
  'syft/yarn/berry': [m('c0n-fab_u.laTION@7.7.7', ROOT)],
  'trivy/npm/package-lock_v3_with_workspace': [m('function1@', WORKSPACE), m('nested_func@1.0.0', WORKSPACE)],
  'trivy/npm/package-lock_v3_with_workspace_as_object': [m('testapp@1.0.0', WORKSPACE)],
  'trivy/npm/package-lock_v3_without_root_deps_field': [m('func1@1.0.0', WORKSPACE)],
  'syft/yarn/classic': [m('something-i-made-up@7.7.7', YARN_URL), x('c0n-fab_u.laTION@7.7.7', YARN_URL)],
  'syft/yarn/classic-v1-deps': [m('something-i-made-up@7.7.7', YARN_URL), x('c0n-fab_u.laTION@7.7.7', YARN_URL)],
  'syft/yarn/classic-dups': [m('@4lolo/resize-observer-polyfill@1.5.2', YARN_URL), x('resize-observer-polyfill@1.5.2', YARN_URL)],
  'trivy/yarn/yarn_v2_happy': [x('fsevents@2.1.3', PATCHED)],
  'trivy/yarn/yarn_with_local': [x('local-package@0.0.1', LOCAL_DEP)],
  'trivy/yarn/yarn_with_git': [x('mapbox-gl-feature-drag-and-drop@1.1.1', GIT_DEP)],
  'syft/pnpm/v5': [m('nanoid@3.3.4', PNPM_TRUNCATED), m('picocolors@1.0.0', PNPM_TRUNCATED), m('source-map-js@1.0.2', PNPM_TRUNCATED)],
  'syft/pnpm/multi-doc': [m('@pnpm/exe.linux-x64@12.0.0-rc.3', PNPM_ENV), m('pnpm@12.0.0-rc.3', PNPM_ENV)],
  'trivy/pnpm/pnpm-lock_v9': [m('package1@', LOCAL_DEP)],
  'syft/python/poetry-dev-deps': [
    m('added-value@0.14.2', POETRY_DEV),
    m('alabaster@0.7.12', POETRY_DEV),
    m('appnope@0.1.0', POETRY_DEV),
    m('asciitree@0.3.3', POETRY_DEV),
  ],
  'trivy/python/requirements_comments': [m('jinja2@3.0.0', REQ_HASH)],
  'syft/python/installed-egg-info-no-version': [m('no-version@', NO_VERSION)],
  'syft/dpkg/status.d-multiple': [m('no-version@', NO_VERSION)],
  'syft/dotnet/dir-example-1': [m('testcommon@1.0.0', DOTNET_PROJECT), m('testlibrary@1.0.0', DOTNET_PROJECT)],
  'trivy/dotnet/happy': [m('exampleapp1@1.0.0', DOTNET_PROJECT)],
  'trivy/dotnet/missing-target': [m('exampleapp1@1.0.0', DOTNET_PROJECT)],
  'trivy/dotnet/self-contained': [m('exampleapp1@1.0.0', DOTNET_PROJECT)],
  'trivy/dotnet/multi-project': [m('api@1.0.0', DOTNET_PROJECT), m('data@1.0.0', DOTNET_PROJECT), m('web@1.0.0', DOTNET_PROJECT)],
  'trivy/dotnet/ambiguous-root': [m('web@1.0.0', DOTNET_PROJECT), m('worker@1.0.0', DOTNET_PROJECT)],
  'trivy/dotnet/analyzer-datacollector': [m('microsoft.visualstudio.testplatform.common@17.2.0-release-20220408-11', DOTNET_PROJECT)],
  'trivy/dotnet/without-runtime': [
    m('hello2@1.0.0', DOTNET_PROJECT),
    x('microsoft.netcore.app@1.1.2', DOTNET_NO_ASSETS),
    x('microsoft.netcore.platforms@1.1.0', DOTNET_NO_ASSETS),
    x('netstandard.library@1.6.0', DOTNET_NO_ASSETS),
    x('system.net.http@4.1.0', DOTNET_NO_ASSETS),
  ],
  'syft/java/spring-instrumentation-4.3.0-1.0': [x('spring-instrumentation-4.3.0@1.0', NEW_RELIC)],
  'trivy/java/nested.jar': [m('test:nested@0.0.1', POM_OUTSIDE), m('test:nested2@0.0.2', POM_OUTSIDE), m('test:nested3@0.0.3', POM_OUTSIDE)],
  'trivy/java/io.quarkus.gizmo.gizmo-1.1.jar': [
    m('com.fasterxml.jackson.core:jackson-databind@2.12.3', POM_OUTSIDE),
    m('com.fasterxml.jackson.core:jackson-databind@2.13.4', POM_OUTSIDE),
  ],
  'trivy/java/test.jar': [m('org.springframework:Spring Framework@2.5.6.SEC03', GUESSED_GROUP), x('Spring Framework@2.5.6.SEC03', GUESSED_GROUP)],
  'trivy/java/heuristic-1.0.0-SNAPSHOT.jar': [m('com.example:heuristic@1.0.0-SNAPSHOT', GUESSED_GROUP), x('heuristic@1.0.0-SNAPSHOT', GUESSED_GROUP)],
};

/** A directory of a peer's testdata zipped into an archive, as the peer's Makefile does. */
function zipDir(dir: string): Buffer {
  const entries: ZipEntrySpec[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(path.join(dir, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (statSync(path.join(dir, r)).isDirectory()) walk(r);
      else entries.push({ name: r, data: readFileSync(path.join(dir, r)) });
    }
  };
  walk('');
  return makeZip(entries);
}

/** Only the files some cataloger (or OS detection) wants and keeps are readable, as after a layer pass. */
function asScanned(view: FileView): FileView {
  const want = wantedBy(catalogers);
  const keep = keptBy(catalogers);
  return onlyKept(view, (p, e) => e.type === 'file' && want(p, e) && keep(p, e, view.read(p)!));
}

/** The fixture's files placed in an image filesystem, every cataloger run, OS-owned packages dropped: what a scan reports. */
async function inventoryOf(root: string, f: Fixture): Promise<Package[]> {
  const files: MemFile[] = f.files.map((file) => ({
    path: file.dest,
    data: file.zipdir ? zipDir(path.join(root, 'files', file.zipdir)) : readFileSync(path.join(root, 'files', file.src!)),
  }));
  const view = asScanned(memView(files));
  const r = await catalogAll(view, detectOs(view), catalogers);
  return withoutOsOwned(r.packages, r.ownedFiles);
}

/**
 * `name@version`, or `name@version (dev)` for a development dependency; a release that is also in
 * the production tree counts as production (what matching sees by default).
 */
function keySet(ecosystem: string, pkgs: Array<{ name: string; version: string; dev?: boolean }>): Set<string> {
  const plain = new Set(pkgs.filter((p) => !p.dev).map((p) => keyOf(ecosystem, p.name, p.version)));
  const dev = pkgs.filter((p) => p.dev).map((p) => keyOf(ecosystem, p.name, p.version)).filter((k) => !plain.has(k));
  return new Set([...plain, ...dev.map((k) => `${k} (dev)`)]);
}

const splitAt = (s: string) => ({ name: s.slice(0, s.lastIndexOf('@')), version: s.slice(s.lastIndexOf('@') + 1) });

/**
 * What differs in what a default scan matches, as `missing X` / `extra X` lines: production
 * packages either side lacks (`extra X`: we match it, the peer does not), and development
 * dependencies the peer names that we do not report at all. Our dev packages that a peer leaves
 * out without a trace (Syft drops Pipfile.lock's `develop`) are no difference: neither side
 * matches them by default.
 */
function differences(f: Fixture, ours: Package[]): string[] {
  const type = TYPE_OF[f.ecosystem];
  const got = keySet(f.ecosystem, ours.filter((p) => p.type === type));
  const want = keySet(f.ecosystem, [...f.expected, ...(f.lock_dev ?? []).map((s) => ({ ...splitAt(s), dev: true }))]);
  const has = (set: Set<string>, k: string) => set.has(k) || set.has(k.replace(/ \(dev\)$/, ''));
  return [
    ...[...want].filter((k) => !has(got, k)).map((k) => `missing ${k}`),
    ...[...got].filter((k) => !k.endsWith(' (dev)') && !want.has(k)).map((k) => `extra ${k}`),
  ].sort();
}

const root = sharedPath('peer-fixtures');
const fixtures: Fixture[] = root ? (JSON.parse(readFileSync(path.join(root, 'fixtures.json'), 'utf8')) as { fixtures: Fixture[] }).fixtures : [];

describe.skipIf(!root)('peer fixtures (../shared/peer-fixtures)', () => {
  const tally = { exact: 0, documented: 0, other: 0 };

  it('the table names only fixtures of the set', () => {
    const ids = new Set(fixtures.map((f) => f.id));
    expect(Object.keys(DOCUMENTED).filter((id) => !ids.has(id))).toEqual([]);
  });

  for (const f of fixtures) {
    it(`${f.id} (${f.source.repo} ${f.source.test})`, async () => {
      const diffs = differences(f, await inventoryOf(root!, f));
      const documented = (DOCUMENTED[f.id] ?? []).map((d) => {
        const { name, version } = splitAt(d.pkg);
        return `${d.kind} ${keyOf(f.ecosystem, name, version)}`;
      });
      if (diffs.length === 0) tally.exact++;
      else if (diffs.every((d) => documented.includes(d))) tally.documented++;
      else tally.other++;
      expect(diffs).toEqual([...documented].sort());
    });
  }

  afterAll(() => {
    process.stderr.write(`peer fixtures: ${tally.exact} exact, ${tally.documented} differ by a documented choice, ${tally.other} other (of ${fixtures.length})\n`);
  });
});
