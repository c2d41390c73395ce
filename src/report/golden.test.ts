/**
 * Golden files: every reporter's output for real scans of ../shared images (OCI layout), compared
 * byte for byte. Refresh with `UPDATE_GOLDEN=1 npx vitest run src/report` and review the diff.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as CDX from '@cyclonedx/cyclonedx-library';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, sharedPath } from '../../test/helpers/shared.js';
import { buildDb } from '../db/index.js';
import type { ScanReport } from '../model/index.js';
import { applyPolicy, emptyPolicy } from '../policy/index.js';
import { scanImage } from '../scan/index.js';
import { getReporter, reporters } from './index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const images = sharedPath('images/oci');
const vulndata = sharedPath('vulndata');
const UPDATE = process.env.UPDATE_GOLDEN === '1';
const multitool = path.join(repoRoot, 'node_modules/.bin/sarif-multitool');
const spdxSchema = sharedPath('schemas/spdx-2.3.schema.json');
const hasXmllint = spawnSync('xmllint', ['--version']).status === 0;

const GOLDEN_IMAGES = ['alpine-3.7', 'debian-app'] as const;
const EXT: Record<string, string> = {
  table: 'txt',
  json: 'json',
  sarif: 'sarif',
  cyclonedx: 'cdx.json',
  spdx: 'spdx.json',
  junit: 'xml',
  markdown: 'md',
};

/** The scan's clock: checks judging age (stale-image, eol-os) and createdAt must not move with the calendar. */
const NOW = new Date('2026-06-01T12:00:00.000Z');

/**
 * What may differ between two builds of ../shared or of the database without a change in what
 * is found: where the checkout lives (the reference), the database's build time and digest.
 */
function pinned(r: ScanReport, name: string): ScanReport {
  return {
    ...r,
    image: { ...r.image, reference: `oci:images/oci/${name}:latest` },
    db: r.db ? { ...r.db, builtAt: '2026-06-01T00:00:00.000Z', digest: `sha256:${'0'.repeat(64)}` } : null,
  };
}

/**
 * Layer and image digests change whenever ../shared/images is rebuilt, even with the same
 * packages: replace each (hex, wherever it appears) by a named placeholder taken from the report,
 * and the serial number CycloneDX derives from them.
 */
function placeholders(text: string, r: ScanReport): string {
  const names = new Map<string, string>();
  const hex = (d: string | undefined) => /^sha256:([0-9a-f]{64})$/.exec(d ?? '')?.[1];
  const add = (d: string | undefined, label: string) => {
    const h = hex(d);
    if (h && !names.has(h)) names.set(h, label);
  };
  add(r.image.digest, 'IMAGE-DIGEST');
  add(r.image.configDigest, 'CONFIG-DIGEST');
  r.image.layers.forEach((l, i) => add(l, `LAYER-${i}-DIGEST`));
  for (const p of r.packages) for (const l of p.locations) add(l.layer, `LAYER-${r.image.layers.indexOf(l.layer)}-DIGEST`);
  let out = text;
  for (const [h, label] of names) out = out.split(h).join(`<${label}>`);
  return out.replace(/"serialNumber": "urn:uuid:[0-9a-f-]+"/, '"serialNumber": "urn:uuid:<SERIAL>"');
}

describe.skipIf(!images || !vulndata)('golden reports of the shared images', () => {
  let tmp = '';
  let db = '';
  const reports = new Map<string, ScanReport>();

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-golden-'));
    db = path.join(tmp, 'db.sqlite');
    await buildDb({ path: db, from: vulndata!, cacheDir: tmp });
    for (const name of GOLDEN_IMAGES) {
      const r = await scanImage(`oci:${path.join(images!, name)}:latest`, { dbPath: db, cacheDir: null, now: () => NOW });
      reports.set(name, r);
    }
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('the scan sets createdAt from its clock', () => {
    expect(reports.get('alpine-3.7')!.createdAt).toBe(NOW.toISOString());
  });

  for (const name of GOLDEN_IMAGES) {
    for (const reporter of reporters) {
      const file = path.join(here, reporter.format, 'golden', `${name}.${EXT[reporter.format] ?? reporter.format}`);
      it(`${reporter.format} of ${name} matches ${path.relative(here, file)}`, () => {
        const r = reports.get(name)!;
        const text = placeholders(reporter.render(pinned(r, name)), r);
        if (UPDATE || !existsSync(file)) {
          if (!UPDATE) throw new Error(`${file} is missing: run UPDATE_GOLDEN=1 npx vitest run src/report`);
          mkdirSync(path.dirname(file), { recursive: true });
          writeFileSync(file, text);
        }
        expect(text).toBe(readFileSync(file, 'utf8'));
      });
    }
  }

  /**
   * The alpine report judged by a policy, as `scan --policy` does: an ignore entry for musl-utils
   * and the root-user check, and a VEX statement about the image for the rest (musl). The goldens
   * stay without a policy; this one is validated below, beside them.
   */
  function judged(): ScanReport {
    const r = reports.get('alpine-3.7')!;
    const policy = {
      ...emptyPolicy(),
      source: 'shipshape.yaml',
      ignore: [
        { id: 'CVE-2019-14697', package: 'musl-utils', reason: 'ldd is not run', owner: 'platform', expires: '2026-12-31' },
        { id: 'root-user', reason: 'base image, checked downstream' },
      ],
      vex: [
        {
          vulnerability: 'CVE-2019-14697',
          aliases: [],
          products: [{ id: r.image.digest, digest: r.image.digest, subcomponents: [] }],
          status: 'not_affected' as const,
          originalStatus: 'not_affected',
          justification: 'vulnerable_code_not_in_execute_path',
          statement: 'no x87 code calls iconv',
          source: 'vex/alpine.openvex.json',
        },
      ],
    };
    const out = applyPolicy(r, policy, { now: NOW });
    expect(out.suppressed?.map((f) => `${f.id}/${f.package?.name ?? '-'}/${f.suppression.kind}`).sort()).toEqual([
      'CVE-2019-14697/musl-utils/ignore',
      'CVE-2019-14697/musl/vex',
      'root-user/-/ignore',
    ]);
    return out;
  }

  // The in-code samples are validated beside each reporter; these are real images' reports, real licenses and all.
  it.skipIf(!existsSync(multitool))('real sarif passes the SARIF multitool with no error', () => {
    const files = GOLDEN_IMAGES.map((name) => {
      const f = path.join(tmp, `${name}.sarif`);
      writeFileSync(f, getReporter('sarif').render(reports.get(name)!));
      return f;
    });
    const withPolicy = path.join(tmp, 'alpine-3.7-policy.sarif');
    writeFileSync(withPolicy, getReporter('sarif').render(judged()));
    expect((readFileSync(withPolicy, 'utf8').match(/"suppressions"/g) ?? []).length).toBe(3);
    files.push(withPolicy);
    const out = path.join(tmp, 'validation.sarif');
    execFileSync(multitool, ['validate', ...files, '-o', out, '--log', 'ForceOverwrite', '--quiet'], { stdio: 'pipe', timeout: 120_000 });
    const results = (JSON.parse(readFileSync(out, 'utf8')) as { runs: { results?: { ruleId: string; level?: string }[] }[] }).runs.flatMap((r) => r.results ?? []);
    expect(results.filter((r) => r.level === 'error')).toEqual([]);
  });

  it('real cyclonedx is valid CycloneDX 1.6 (strict)', async () => {
    const validator = new CDX.Validation.JsonStrictValidator(CDX.Spec.Version.v1dot6);
    for (const name of GOLDEN_IMAGES) expect(await validator.validate(getReporter('cyclonedx').render(reports.get(name)!))).toBeNull();
    const withPolicy = getReporter('cyclonedx').render(judged());
    expect(await validator.validate(withPolicy)).toBeNull();
    expect(withPolicy).toContain('"state": "not_affected"');
    expect(withPolicy).toContain('"state": "exploitable"');
  });

  it.skipIf(!spdxSchema)('real spdx is valid SPDX 2.3', () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    (addFormats as unknown as (a: Ajv) => void)(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync(spdxSchema!, 'utf8')) as object);
    for (const name of GOLDEN_IMAGES) {
      validate(JSON.parse(getReporter('spdx').render(reports.get(name)!)));
      expect(validate.errors ?? []).toEqual([]);
    }
  });

  it.skipIf(!hasXmllint)('real junit is well-formed XML', () => {
    const judgedXml = getReporter('junit').render(judged());
    expect(judgedXml.match(/<skipped /g)).toHaveLength(3);
    for (const xml of [...GOLDEN_IMAGES.map((name) => getReporter('junit').render(reports.get(name)!)), judgedXml]) {
      const r = spawnSync('xmllint', ['--noout', '-'], { input: xml, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    }
  });
});
