/** Tests of the Java archive cataloger: pom.properties, manifests, file names, nesting, zip bombs, debian-app's log4j jar. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test/helpers/shared.js';
import { dirFileView } from '../../image/dir-view.js';
import { memView, runCataloger } from '../fixtures/mem-view.js';
import { makeZip, pomProperties } from '../../../test/helpers/zip.js';
import { artifactFromFileName, javaCataloger, parseFileName, parseManifest } from './java.js';

const names = (r: { packages: Array<{ name: string; version: string }> }) => r.packages.map((p) => `${p.name}@${p.version}`);

describe('java archives', () => {
  it('reports every pom.properties of a shaded jar, with group:artifact names and maven purls', async () => {
    const jar = makeZip([
      { name: 'META-INF/MANIFEST.MF', data: 'Manifest-Version: 1.0\r\nImplementation-Title: ignored\r\nImplementation-Version: 9.9\r\n' },
      pomProperties('com.example', 'app', '1.0.0'),
      pomProperties('com.google.guava', 'guava', '31.1-jre'),
      { name: 'com/example/App.class', data: Buffer.alloc(100, 0xca) },
    ]);
    const r = await runCataloger(javaCataloger(), memView([{ path: '/opt/app/app-1.0.0.jar', data: jar }], 'sha256:l7'));
    expect(r.warnings).toEqual([]);
    expect(r.packages).toEqual([
      { name: 'com.example:app', version: '1.0.0', type: 'maven', purl: 'pkg:maven/com.example/app@1.0.0', locations: [{ layer: 'sha256:l7', path: '/opt/app/app-1.0.0.jar' }] },
      { name: 'com.google.guava:guava', version: '31.1-jre', type: 'maven', purl: 'pkg:maven/com.google.guava/guava@31.1-jre', locations: [{ layer: 'sha256:l7', path: '/opt/app/app-1.0.0.jar' }] },
    ]);
  });

  it('falls back to the manifest, then to the file name', async () => {
    const withManifest = makeZip([
      {
        name: 'META-INF/MANIFEST.MF',
        data: 'Manifest-Version: 1.0\nImplementation-Title: Commons Lang\nImplementation-Vendor-Id: org.apache.commons\nImplementation-Version: 3.12.0\nBundle-SymbolicName: org.apache.commons.lang3\n\nName: org/x/\nImplementation-Version: 0.0.1\n',
      },
    ]);
    const bare = makeZip([{ name: 'x.txt', data: 'x' }]);
    const view = memView([
      { path: '/lib/commons-lang3-3.12.0.jar', data: withManifest },
      { path: '/lib/plain-lib-2.4.1.war', data: bare },
      { path: '/lib/noversion.jar', data: bare },
    ]);
    const r = await runCataloger(javaCataloger(), view);
    expect(r.warnings).toEqual([]);
    expect(r.packages.map((p) => [p.name, p.version, p.purl, p.locations[0]!.path])).toEqual([
      ['org.apache.commons:commons-lang3', '3.12.0', 'pkg:maven/org.apache.commons/commons-lang3@3.12.0', '/lib/commons-lang3-3.12.0.jar'],
      ['plain-lib', '2.4.1', 'pkg:maven/plain-lib@2.4.1', '/lib/plain-lib-2.4.1.war'],
    ]);
  });

  it('reads jars nested in wars and Spring Boot jars, reporting them at the outer file', async () => {
    const inner = makeZip([pomProperties('org.yaml', 'snakeyaml', '1.30')]);
    const inner2 = makeZip([{ name: 'META-INF/MANIFEST.MF', data: 'Bundle-SymbolicName: org.slf4j.api\nBundle-Version: 1.7.36\n' }]);
    const war = makeZip([
      pomProperties('com.example', 'web', '2.0'),
      { name: 'WEB-INF/lib/snakeyaml-1.30.jar', data: inner, store: true },
      { name: 'WEB-INF/lib/slf4j-api-1.7.36.jar', data: inner2 },
    ]);
    const boot = makeZip([{ name: 'BOOT-INF/lib/snakeyaml-1.30.jar', data: inner, store: true }]);
    const r = await runCataloger(javaCataloger(), memView([{ path: '/srv/web.war', data: war }, { path: '/srv/boot.jar', data: boot }]));
    expect(r.warnings).toEqual([]);
    expect(r.packages.map((p) => `${p.locations[0]!.path} ${p.name}@${p.version}`)).toEqual([
      '/srv/boot.jar org.yaml:snakeyaml@1.30',
      '/srv/web.war com.example:web@2.0',
      '/srv/web.war org.yaml:snakeyaml@1.30',
      '/srv/web.war slf4j-api@1.7.36',
    ]);
  });

  it('stops at the nesting depth cap with a warning', async () => {
    let z = makeZip([pomProperties('g', 'deepest', '1')]);
    for (let i = 0; i < 3; i++) z = makeZip([pomProperties('g', `level${i}`, '1'), { name: `lib/l${i}.jar`, data: z }]);
    const r = await runCataloger(javaCataloger({ maxDepth: 2 }), memView([{ path: '/a.jar', data: z }]));
    expect(names(r)).toEqual(['g:level0@1', 'g:level1@1', 'g:level2@1']);
    expect(r.warnings).toEqual([{ path: '/a.jar', message: 'lib/l2.jar!lib/l1.jar: archives nested deeper than 2 not read' }]);
  });

  it('warns about a bad zip, a truncated zip and a pom.properties without version', async () => {
    const good = makeZip([pomProperties('g', 'a', '1')]);
    const noVersion = makeZip([{ name: 'META-INF/maven/g/b/pom.properties', data: 'groupId=g\nartifactId=b\n' }]);
    const r = await runCataloger(
      javaCataloger(),
      memView([
        { path: '/garbage.jar', data: Buffer.from('PK\x03\x04 this is not a zip at all') },
        { path: '/cut.jar', data: good.subarray(0, good.length - 30) },
        { path: '/nover.jar', data: noVersion },
      ]),
    );
    expect(r.packages).toEqual([]);
    expect(r.warnings.map((w) => w.path)).toEqual(['/cut.jar', '/garbage.jar', '/nover.jar']);
    expect(r.warnings[0]!.message).toMatch(/^bad zip: /);
    expect(r.warnings[1]!.message).toMatch(/^bad zip: /);
    expect(r.warnings[2]!.message).toBe('META-INF/maven/g/b/pom.properties: no artifactId or version');
  });
});

describe('zip bomb limits', () => {
  const big = Buffer.alloc(200_000, 0x41); // deflates to a few hundred bytes

  it('refuses an entry whose declared size is over the cap', async () => {
    const z = makeZip([{ name: 'META-INF/MANIFEST.MF', data: big }]);
    const r = await runCataloger(javaCataloger({ maxTextBytes: 100_000 }), memView([{ path: '/bomb-1.0.jar', data: z }]));
    expect(r.warnings).toEqual([{ path: '/bomb-1.0.jar', message: 'META-INF/MANIFEST.MF: 200000 bytes uncompressed, over the 100000-byte limit' }]);
    // The file name still gives a package.
    expect(names(r)).toEqual(['bomb@1.0']);
  });

  it('stops reading an entry whose headers understate its size', async () => {
    const z = makeZip([{ name: 'lib/inner.jar', data: big, declaredSize: 10 }]);
    const r = await runCataloger(javaCataloger({ maxNestedBytes: 50_000 }), memView([{ path: '/liar.jar', data: z }]));
    expect(r.packages).toEqual([]);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]!.message).toMatch(/^lib\/inner\.jar: /);
  });

  it('caps the total bytes read across nested archives', async () => {
    const inner = makeZip([{ name: 'pad.bin', data: big }, pomProperties('g', 'inner', '1')]);
    const outer = makeZip([1, 2, 3, 4].map((i) => ({ name: `lib/i${i}.jar`, data: inner })));
    const r = await runCataloger(javaCataloger({ maxArchiveBytes: 2 * inner.length + 500 }), memView([{ path: '/o.jar', data: outer }]));
    expect(r.warnings.length).toBeGreaterThanOrEqual(1);
    expect(r.warnings.every((w) => /read budget/.test(w.message))).toBe(true);
    expect(names(r)).toEqual(['g:inner@1']);
  });

  it('refuses an archive with too many entries', async () => {
    const z = makeZip(Array.from({ length: 50 }, (_, i) => ({ name: `f${i}`, data: 'x' })));
    const r = await runCataloger(javaCataloger({ maxEntries: 20 }), memView([{ path: '/many.jar', data: z }]));
    expect(r).toEqual({ packages: [], warnings: [{ path: '/many.jar', message: 'bad zip: more than 20 entries (50)' }] });
  });

  it('does not keep archives over the file size cap', () => {
    const c = javaCataloger({ maxArchiveFile: 1000 });
    const entry = { path: '/x.jar', type: 'file' as const, mode: 0o644, uid: 0, gid: 0 };
    expect(c.wants('/x.jar', { ...entry, size: 999 })).toBe(true);
    expect(c.wants('/x.jar', { ...entry, size: 1001 })).toBe(false);
    expect(c.wants('/x.txt', { ...entry, size: 10 })).toBe(false);
  });
});

describe("Debian's maven-repo links", () => {
  const mf = makeZip([{ name: 'META-INF/MANIFEST.MF', data: 'Bundle-SymbolicName: org.apache.commons.io\nBundle-Version: 2.11.0\n' }]);
  const withPom = makeZip([pomProperties('org.example', 'real', '2.11.0')]);

  it('give the group and artifact of a jar that lacks pom.properties, when the version matches', async () => {
    const view = memView([
      { path: '/usr/share/java/commons-io.jar', data: mf },
      { path: '/usr/share/maven-repo/commons-io/commons-io/2.11.0/commons-io-2.11.0.jar', type: 'symlink', linkname: '../../../../java/commons-io.jar' },
      { path: '/usr/share/maven-repo/commons-io/commons-io/debian/commons-io-debian.jar', type: 'symlink', linkname: '../../../../java/commons-io.jar' },
      { path: '/usr/share/java/other.jar', data: mf },
      { path: '/usr/share/maven-repo/org/other/other/9.9/other-9.9.jar', type: 'symlink', linkname: '/usr/share/java/other.jar' },
      { path: '/usr/share/java/pom.jar', data: withPom },
      { path: '/usr/share/maven-repo/org/wrong/wrong/2.11.0/wrong-2.11.0.jar', type: 'symlink', linkname: '/usr/share/java/pom.jar' },
    ]);
    const r = await runCataloger(javaCataloger(), view);
    expect(r.warnings).toEqual([]);
    expect(r.packages.map((p) => `${p.locations[0]!.path} ${p.purl}`)).toEqual([
      '/usr/share/java/commons-io.jar pkg:maven/commons-io/commons-io@2.11.0',
      // The link's version differs from the jar's: not trusted.
      '/usr/share/java/other.jar pkg:maven/org.apache.commons.io@2.11.0',
      // pom.properties beats any link.
      '/usr/share/java/pom.jar pkg:maven/org.example/real@2.11.0',
    ]);
  });
});

describe('names from files and manifests', () => {
  it.each([
    ['commons-lang3-3.12.0.jar', { name: 'commons-lang3', version: '3.12.0' }],
    ['guava-31.1-jre.jar', { name: 'guava', version: '31.1-jre' }],
    ['app.jar', { name: 'app' }],
  ])('parseFileName(%s)', (f, want) => expect(parseFileName(f)).toEqual(want));

  it('drops a Debian API suffix that prefixes the version', () => {
    expect(artifactFromFileName('/usr/share/java/log4j-1.2-1.2.17.jar', '1.2.17')).toBe('log4j');
    expect(artifactFromFileName('/x/jackson-core-2.13.4.jar', '2.13.4')).toBe('jackson-core');
    expect(artifactFromFileName('/x/foo-2-1.0.jar', '1.0')).toBe('foo-2');
    expect(artifactFromFileName('/x/foo.jar', '1.0')).toBeUndefined();
  });

  it('joins manifest continuation lines and stops at the first section', () => {
    const m = parseManifest('A: one\n two\nB: x\n\nName: y\nB: z\n');
    expect([...m]).toEqual([
      ['A', 'onetwo'],
      ['B', 'x'],
    ]);
  });
});

describe('debian-app log4j jar', () => {
  const blob = sharedPath('images/oci/debian-app/blobs/sha256');
  const tmp = mkdtempSync(path.join(tmpdir(), 'shipshape-java-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it.skipIf(!blob)('reports log4j:log4j 1.2.17 once, at the jar file, its group from the maven-repo link', async () => {
    const facts = JSON.parse(readFileSync(sharedPath('images/expected-facts.json')!, 'utf8'));
    const img = facts.images.find((i: { name: string }) => i.name === 'debian-app');
    const want = img.packages.java[0];
    const wanted = [
      'usr/share/java/log4j-1.2-1.2.17.jar',
      'usr/share/java/log4j-1.2.jar',
      'usr/share/maven-repo/log4j/log4j/1.2.17/log4j-1.2.17.jar',
      'usr/share/maven-repo/log4j/log4j/1.2.x/log4j-1.2.x.jar',
    ];
    for (const layer of img.layers) {
      spawnSync('tar', ['-xzf', path.join(blob!, layer.digest.replace('sha256:', '')), '-C', tmp, ...wanted], { stdio: 'ignore' });
    }
    const r = await runCataloger(javaCataloger(), dirFileView(tmp, 'sha256:layer2'));
    expect(r.warnings).toEqual([]);
    expect(r.packages).toEqual([
      {
        name: 'log4j:log4j',
        version: want.version,
        type: 'maven',
        purl: `pkg:maven/log4j/log4j@${want.version}`,
        locations: [{ layer: 'sha256:layer2', path: want.jar }],
      },
    ]);
  });
});

describe('java archive forms the peers test', () => {
  const one = async (file: string, manifest: string) => {
    const jar = makeZip([{ name: 'META-INF/MANIFEST.MF', data: manifest }]);
    const r = await runCataloger(javaCataloger(), memView([{ path: file, data: jar }]));
    return r.packages.map((p) => `${p.purl}`);
  };

  it('does not repeat the manifest group in the artifact of a <group>.<artifact>-<version>.jar', async () => {
    const mf = 'Manifest-Version: 1.0\r\nBundle-SymbolicName: com.fasterxml.jackson.core.jackson-core\r\nImplementation-Vendor-Id: com.fasterxml.jackson.core\r\nImplementation-Title: Jackson-core\r\nImplementation-Version: 2.15.2\r\n';
    expect(await one('/app/lib/com.fasterxml.jackson.core.jackson-core-2.15.2.jar', mf)).toEqual(['pkg:maven/com.fasterxml.jackson.core/jackson-core@2.15.2']);
  });

  it('names a Jenkins plugin from Group-Id, Short-Name and Plugin-Version', async () => {
    const mf = 'Manifest-Version: 1.0\r\nGroup-Id: org.jenkins-ci.plugins\r\nShort-Name: gradle\r\nExtension-Name: gradle\r\nLong-Name: Gradle Plugin\r\nPlugin-Version: 2.11\r\n';
    expect(await one('/var/jenkins_home/plugins/gradle.hpi', mf)).toEqual(['pkg:maven/org.jenkins-ci.plugins/gradle@2.11']);
  });
});

describe('jars with a pom.xml and no pom.properties', () => {
  it('are named from the pom.xml path, versioned by the pom (own, else parent), else the manifest', async () => {
    const own = makeZip([
      { name: 'META-INF/MANIFEST.MF', data: 'Manifest-Version: 1.0\r\nImplementation-Version: 4.9.11\r\nImplementation-Title: Micronaut Core\r\n' },
      { name: 'META-INF/maven/io.micronaut/micronaut-aop/pom.xml', data: '<project><!-- <version>0</version> --><modelVersion>4.0.0</modelVersion><groupId>io.micronaut</groupId><artifactId>micronaut-aop</artifactId><version>4.9.11</version><dependencies><dependency><version>9.9</version></dependency></dependencies></project>' },
    ]);
    const inherited = makeZip([
      { name: 'META-INF/maven/org.example/child/pom.xml', data: '<project><parent><groupId>org.example</groupId><artifactId>parent</artifactId><version>2.0.1</version></parent><artifactId>child</artifactId></project>' },
    ]);
    const property = makeZip([
      { name: 'META-INF/MANIFEST.MF', data: 'Manifest-Version: 1.0\r\nImplementation-Version: 3.1\r\n' },
      { name: 'META-INF/maven/org.example/prop/pom.xml', data: '<project><artifactId>prop</artifactId><version>${revision}</version></project>' },
    ]);
    const r = await runCataloger(javaCataloger(), memView([
      { path: '/app/lib/micronaut-aop-4.9.11.jar', data: own },
      { path: '/app/lib/child.jar', data: inherited },
      { path: '/app/lib/prop.jar', data: property },
    ]));
    expect(r.warnings).toEqual([]);
    expect(r.packages.map((p) => p.purl)).toEqual([
      'pkg:maven/org.example/child@2.0.1',
      'pkg:maven/io.micronaut/micronaut-aop@4.9.11',
      'pkg:maven/org.example/prop@3.1',
    ]);
  });
});

describe('pom.xml reading on hostile input', () => {
  it('stays linear on unclosed comments and sections (no backtracking over the whole text per opening)', async () => {
    const { pomXmlVersion } = await import('./java.js');
    expect(pomXmlVersion(`<project>${'<build>'.repeat(150_000)}<version>1</version></project>`)).toBeUndefined();
    expect(pomXmlVersion(`<project>${'<!--'.repeat(250_000)}`)).toBeUndefined();
    expect(pomXmlVersion('<project><!-- a --><version>1.2</version><build><version>9</version></build></project>')).toBe('1.2');
  });
});
