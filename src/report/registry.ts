/** Every output format, in one typed list. */
import { cyclonedxReporter } from './cyclonedx/index.js';
import { jsonReporter } from './json/index.js';
import { junitReporter } from './junit/index.js';
import { markdownReporter } from './markdown/index.js';
import { sarifReporter } from './sarif/index.js';
import { spdxReporter } from './spdx/index.js';
import { tableReporter } from './table/index.js';
import type { Reporter } from './types.js';

export const reporters: readonly Reporter[] = [
  tableReporter,
  jsonReporter,
  sarifReporter,
  cyclonedxReporter,
  spdxReporter,
  junitReporter,
  markdownReporter,
];
