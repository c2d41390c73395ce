/** Runs the comparator conformance suite over every registered scheme, plus the registry's own contract. */
import { describe, expect, it } from 'vitest';
import { isShipshapeError } from '../errors.js';
import { comparatorConformance } from './conformance.case.js';
import { COMPARATORS, compareVersions, getComparator, schemes } from './index.js';

/** The `samples` a scheme's module (its folder is named as the scheme) exports, if any. */
async function samplesOf(scheme: string): Promise<readonly string[]> {
  try {
    // A computed specifier, so the bundler does not try to resolve it statically.
    const url = new URL(`./${scheme}/index.ts`, import.meta.url).href;
    const mod = (await import(/* @vite-ignore */ url)) as { samples?: unknown };
    return Array.isArray(mod.samples) ? mod.samples.filter((s): s is string => typeof s === 'string') : [];
  } catch {
    return [];
  }
}

const registered = await Promise.all(COMPARATORS.map(async (c) => ({ comparator: c, samples: await samplesOf(c.scheme) })));

for (const { comparator, samples } of registered) {
  describe(`comparator conformance: ${comparator.scheme}`, () => {
    comparatorConformance(comparator, samples);
  });
}

describe('version registry', () => {
  it('finds the samples each scheme exports', () => {
    for (const r of registered.filter((x) => ['apk', 'deb'].includes(x.comparator.scheme))) expect(r.samples.length).toBeGreaterThan(10);
  });

  it('has unique scheme ids and finds each one', () => {
    expect(new Set(schemes()).size).toBe(COMPARATORS.length);
    for (const s of schemes()) expect(getComparator(s)?.scheme).toBe(s);
    expect(schemes()).toEqual(expect.arrayContaining(['apk', 'deb']));
  });

  it('compares by scheme', () => {
    expect(compareVersions('apk', '1.1.22-r2', '1.1.22-r3')).toBe(-1);
    expect(compareVersions('deb', '1:1.0', '2.0')).toBe(1);
  });

  it('throws a usage error for an unknown scheme', () => {
    let err: unknown;
    try {
      compareVersions('nope', '1', '2');
    } catch (e) {
      err = e;
    }
    expect(isShipshapeError(err) && err.code === 'usage' && err.message).toBe('unknown version scheme nope');
    expect(getComparator('nope')).toBeUndefined();
  });
});
