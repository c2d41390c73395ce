/** planOutputs: repeated --format values become (reporter, file) pairs; clashes are usage errors. */
import { describe, expect, it } from 'vitest';
import { isShipshapeError } from '../errors.js';
import { getReporter } from './index.js';
import { planOutputs } from './outputs.js';

const plan = (specs: string[] | undefined, output?: string) => planOutputs(specs, output, getReporter).map((o) => [o.reporter.format, o.file]);

function usage(f: () => unknown): string {
  try {
    f();
  } catch (err) {
    if (isShipshapeError(err) && err.code === 'usage') return err.message;
    throw err;
  }
  throw new Error('no error');
}

describe('planOutputs', () => {
  it('defaults to the table on stdout, or in --output', () => {
    expect(plan(undefined)).toEqual([['table', undefined]]);
    expect(plan([], 'r.txt')).toEqual([['table', 'r.txt']]);
  });

  it('writes FORMAT=FILE to its file and a bare format to stdout or --output', () => {
    expect(plan(['sarif=out.sarif', 'table', 'cyclonedx=sbom.cdx.json'])).toEqual([
      ['sarif', 'out.sarif'],
      ['table', undefined],
      ['cyclonedx', 'sbom.cdx.json'],
    ]);
    expect(plan(['json', 'junit=a=b.xml'], 'r.json')).toEqual([
      ['json', 'r.json'],
      ['junit', 'a=b.xml'],
    ]);
    expect(plan(['markdown=-'])).toEqual([['markdown', undefined]]);
  });

  it('refuses two formats on stdout, two on one file, an empty file and an unknown format', () => {
    expect(usage(() => plan(['table', 'json']))).toMatch(/only one format can go to stdout \(table, json\)/);
    expect(usage(() => plan(['sarif=x', 'json=./x']))).toMatch(/two formats would write/);
    expect(usage(() => plan(['sarif=']))).toMatch(/no file after "="/);
    expect(usage(() => plan(['html=x.html']))).toMatch(/unknown format "html"/);
  });
});
