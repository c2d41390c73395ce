/** Every cataloger a scan runs: adding an ecosystem is one line here (plus its folder). */
import { apkCataloger } from './apk/index.js';
import { dpkgCataloger } from './dpkg/index.js';
import type { Cataloger } from './types.js';

export const CATALOGERS: readonly Cataloger[] = [apkCataloger(), dpkgCataloger()];
