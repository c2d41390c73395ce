/** The fast line reader against the full YAML parse: the same advisories on every shared file, and a fallback on any doubt. */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { sharedPath } from '../../../test/helpers/shared.js';
import { readAdvisoriesFast } from './fast-reader.js';
import { parseAdvisoriesYaml } from './parse.js';

const SIMPLE = `schema-version: 2.0.2

package:
  name: curl

advisories:
  - id: CGA-1111-2222-3333
    aliases:
      - CVE-2023-38545
    events:
      - timestamp: 2023-10-10T18:25:22Z
        type: fixed
        data:
          fixed-version: 8.4.0-r0
`;

describe('readAdvisoriesFast', () => {
  it('reads the wolfictl layout, skipping fields the feed does not use', () => {
    const text = SIMPLE.replace('        type: fixed\n', '        type: fixed\n        note: >-\n          a folded\n          note\n').replace(
      '          fixed-version: 8.4.0-r0\n',
      '          fixed-version: "8.4.0-r0"\n          data:\n            scanner: grype\n',
    );
    expect(readAdvisoriesFast(text)).toEqual({
      'schema-version': '2.0.2',
      package: { name: 'curl' },
      advisories: [{ id: 'CGA-1111-2222-3333', aliases: ['CVE-2023-38545'], events: [{ timestamp: '2023-10-10T18:25:22Z', type: 'fixed', data: { 'fixed-version': '8.4.0-r0' } }] }],
    });
  });

  it.each([
    ['flow style', SIMPLE.replace('    aliases:\n      - CVE-2023-38545\n', '    aliases: [CVE-2023-38545]\n')],
    ['an anchor', SIMPLE.replace('fixed-version: 8.4.0-r0', 'fixed-version: &v 8.4.0-r0')],
    ['a comment', SIMPLE.replace('package:', '# hi\npackage:')],
    ['a tab', SIMPLE.replace('    events:', '\tevents:')],
    ['another indentation', SIMPLE.replace('      - CVE-2023-38545', '    - CVE-2023-38545')],
    ['a multi-line value in a field the feed reads', SIMPLE.replace('        type: fixed\n', '        type: fixed\n          continued\n')],
    ['an escaped quoted value', SIMPLE.replace('fixed-version: 8.4.0-r0', 'fixed-version: "8.4\\u0030"')],
    ['an unknown top-level key', `${SIMPLE}extra: 1\n`],
    ['a block scalar in a field the feed reads', SIMPLE.replace('type: fixed', 'type: |\n          fixed')],
  ])('gives up on %s (the full parser decides)', (_what, text) => {
    expect(readAdvisoriesFast(text)).toBeUndefined();
  });
});

const dir = sharedPath('vulndata/wolfi-advisories');

describe.skipIf(!dir)('fast reader = full YAML parse on every shared advisories file', () => {
  it('yields the same advisories and warnings for all 1,278 files, most of them without the full parser', () => {
    const files = readdirSync(dir!).filter((f) => f.endsWith('.advisories.yaml'));
    expect(files.length).toBe(1278);
    let fast = 0;
    for (const f of files) {
      const text = readFileSync(path.join(dir!, f), 'utf8');
      if (readAdvisoriesFast(text)) fast++;
      const w1: string[] = [];
      const w2: string[] = [];
      const a = parseAdvisoriesYaml(text, { source: f, onWarning: (m) => w1.push(m) });
      const b = parseAdvisoriesYaml(text, { source: f, fullYaml: true, onWarning: (m) => w2.push(m) });
      expect(a, f).toEqual(b);
      expect(w1, f).toEqual(w2);
    }
    process.stdout.write(`fast reader: ${fast}/${files.length} files without the full YAML parser\n`);
    expect(fast / files.length).toBeGreaterThan(0.95);
  });
});
