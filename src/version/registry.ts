/** Every versioning scheme shipshape knows: adding one is one line here (plus its folder, named as its scheme). */
import { apkComparator } from './apk/index.js';
import { debComparator } from './deb/index.js';
import { cargoComparator } from './cargo/index.js';
import { composerComparator } from './composer/index.js';
import { gemComparator } from './gem/index.js';
import { goComparator } from './go/index.js';
import { mavenComparator } from './maven/index.js';
import { nugetComparator } from './nuget/index.js';
import { pep440Comparator } from './pep440/index.js';
import { semverComparator } from './semver/index.js';
import type { Comparator } from './types.js';

export const COMPARATORS: readonly Comparator[] = [
  apkComparator,
  debComparator,
  semverComparator,
  pep440Comparator,
  mavenComparator,
  goComparator,
  gemComparator,
  cargoComparator,
  composerComparator,
  nugetComparator,
];
