/** catalogAll merges what every cataloger found, at any size: no argument spreading proportional to input. */
import { describe, expect, it } from 'vitest';
import type { Package } from '../model/index.js';
import { memView } from './fixtures/mem-view.js';
import { catalogAll } from './index.js';
import type { Cataloger } from './types.js';

describe('catalogAll', () => {
  it('merges 300,000 packages from one cataloger (push(...packages) overflowed the stack at ~125,000)', async () => {
    const many: Package[] = Array.from({ length: 300_000 }, (_, i) => ({ name: `p${i}`, version: '1.0.0', type: 'npm', locations: [{ layer: 'sha256:1', path: '/app/package-lock.json' }] }));
    const big: Cataloger = { id: 'big', version: 1, wants: () => false, catalog: () => ({ packages: many, warnings: [{ message: 'w' }] }) };
    const r = await catalogAll(memView([]), null, [big]);
    expect(r.packages).toHaveLength(300_000);
    expect(r.warnings).toEqual([{ message: 'w' }]);
  });
});
