/** Every output format, in one typed list. */
import { jsonReporter } from './json/index.js';
import { tableReporter } from './table/index.js';
import type { Reporter } from './types.js';

export const reporters: readonly Reporter[] = [tableReporter, jsonReporter];
