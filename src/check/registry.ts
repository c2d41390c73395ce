/** Every image check, in one typed list (the Dockerfile linter lives in ./dockerfile). */
import { eolOs } from './eol-os.js';
import { outdatedBase } from './outdated-base.js';
import { packageManagerPresent } from './package-manager-present.js';
import { latestTag, notPinned } from './pinning.js';
import { rootUser } from './root-user.js';
import { secretInConfig } from './secret-in-config.js';
import { secretInLayers } from './secret-in-layers.js';
import { setuidFiles } from './setuid-files.js';
import { shellPresent } from './shell-present.js';
import { staleImage } from './stale-image.js';
import type { Check } from './types.js';

export const checks: readonly Check[] = [
  rootUser,
  shellPresent,
  packageManagerPresent,
  setuidFiles,
  secretInConfig,
  secretInLayers,
  eolOs,
  outdatedBase,
  staleImage,
  notPinned,
  latestTag,
];
