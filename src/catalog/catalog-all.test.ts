/** catalogAll merges what every cataloger found, at any size: no argument spreading proportional to input. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Package } from '../model/index.js';
import { memView } from './fixtures/mem-view.js';
import { catalogAll } from './index.js';
import type { Cataloger } from './types.js';

describe('catalogAll', () => {
  afterEach(() => vi.unstubAllEnvs());
  it('merges 300,000 packages from one cataloger (push(...packages) overflowed the stack at ~125,000)', async () => {
    vi.stubEnv('SHIPSHAPE_MAX_PACKAGES', '1000000');
    const many: Package[] = Array.from({ length: 300_000 }, (_, i) => ({ name: `p${i}`, version: '1.0.0', type: 'npm', locations: [{ layer: 'sha256:1', path: '/app/package-lock.json' }] }));
    const big: Cataloger = { id: 'big', version: 1, wants: () => false, catalog: () => ({ packages: many, warnings: [{ message: 'w' }] }) };
    const r = await catalogAll(memView([]), null, [big]);
    expect(r.packages).toHaveLength(300_000);
    expect(r.warnings).toEqual([{ message: 'w' }]);
  });

  describe('the package limit', () => {
    it('more packages than SHIPSHAPE_MAX_PACKAGES: too-large naming the cataloger, the file and the limit', async () => {
      vi.stubEnv('SHIPSHAPE_MAX_PACKAGES', '1000');
      const pkgs: Package[] = Array.from({ length: 1500 }, (_, i) => ({ name: `p${i}`, version: '1', type: 'npm', locations: [{ layer: 'sha256:1', path: i < 100 ? '/a/package-lock.json' : '/b/yarn.lock' }] }));
      const c: Cataloger = { id: 'npm', version: 1, wants: () => false, catalog: () => ({ packages: pkgs, warnings: [] }) };
      await expect(catalogAll(memView([]), null, [c])).rejects.toMatchObject({
        code: 'too-large',
        message: 'npm: /b/yarn.lock lists 1400 packages; the image has more than 1000 (limit; set SHIPSHAPE_MAX_PACKAGES to raise it)',
      });
      vi.stubEnv('SHIPSHAPE_MAX_PACKAGES', '2000');
      expect((await catalogAll(memView([]), null, [c])).packages).toHaveLength(1500);
    });
  });
});
