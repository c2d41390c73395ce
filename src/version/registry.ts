/** Every versioning scheme shipshape knows: adding one is one line here (plus its folder). */
import { apkComparator, samples as apkSamples } from './apk/index.js';
import { debComparator, samples as debSamples } from './deb/index.js';
import type { Comparator } from './types.js';

/** A comparator and, optionally, sample versions the shared conformance suite runs it over. */
export interface RegisteredComparator {
  comparator: Comparator;
  samples?: readonly string[];
}

export const COMPARATORS: readonly RegisteredComparator[] = [
  { comparator: apkComparator, samples: apkSamples },
  { comparator: debComparator, samples: debSamples },
];
