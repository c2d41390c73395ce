/** Version comparison by scheme: the public surface of src/version. */
import { ShipshapeError } from '../errors.js';
import { COMPARATORS } from './registry.js';
import type { Comparator } from './types.js';

export type { Comparator } from './types.js';
export { COMPARATORS } from './registry.js';
export { apkComparator, compareApk, validApk } from './apk/index.js';
export { compareDeb, debComparator, parseDebVersion, validDeb, type DebVersion } from './deb/index.js';

let byScheme: Map<string, Comparator> | undefined;

function index(): Map<string, Comparator> {
  byScheme ??= new Map(COMPARATORS.map((c) => [c.scheme, c]));
  return byScheme;
}

/** The comparator of a scheme, or undefined when there is none. */
export function getComparator(scheme: string): Comparator | undefined {
  return index().get(scheme);
}

/** Ids of every registered scheme, in registry order. */
export function schemes(): string[] {
  return COMPARATORS.map((c) => c.scheme);
}

/** Compares two versions of a scheme; throws a `usage` error for a scheme nobody registered. */
export function compareVersions(scheme: string, a: string, b: string): -1 | 0 | 1 {
  const c = getComparator(scheme);
  if (!c) throw new ShipshapeError('usage', `unknown version scheme ${scheme}`);
  return c.compare(a, b);
}
