/** Every versioning scheme shipshape knows: adding one is one line here (plus its folder). */
import { apkComparator, samples as apkSamples } from './apk/index.js';
import { debComparator, samples as debSamples } from './deb/index.js';
import { cargoComparator, samples as cargoSamples } from './cargo/index.js';
import { composerComparator, samples as composerSamples } from './composer/index.js';
import { gemComparator, samples as gemSamples } from './gem/index.js';
import { goComparator, samples as goSamples } from './go/index.js';
import { mavenComparator, samples as mavenSamples } from './maven/index.js';
import { nugetComparator, samples as nugetSamples } from './nuget/index.js';
import { pep440Comparator, samples as pep440Samples } from './pep440/index.js';
import { semverComparator, samples as semverSamples } from './semver/index.js';
import type { Comparator } from './types.js';

/** A comparator and, optionally, sample versions the shared conformance suite runs it over. */
export interface RegisteredComparator {
  comparator: Comparator;
  samples?: readonly string[];
}

export const COMPARATORS: readonly RegisteredComparator[] = [
  { comparator: apkComparator, samples: apkSamples },
  { comparator: debComparator, samples: debSamples },
  { comparator: semverComparator, samples: semverSamples },
  { comparator: pep440Comparator, samples: pep440Samples },
  { comparator: mavenComparator, samples: mavenSamples },
  { comparator: goComparator, samples: goSamples },
  { comparator: gemComparator, samples: gemSamples },
  { comparator: cargoComparator, samples: cargoSamples },
  { comparator: composerComparator, samples: composerSamples },
  { comparator: nugetComparator, samples: nugetSamples },
];
