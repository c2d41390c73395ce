/** Every cataloger a scan runs: adding an ecosystem is one line here (plus its folder). */
import { apkCataloger } from './apk/index.js';
import { dotnetCataloger } from './dotnet/index.js';
import { dpkgCataloger } from './dpkg/index.js';
import { goBinaryCataloger } from './go-binary/index.js';
import { javaCataloger } from './java/index.js';
import { npmCataloger } from './npm/index.js';
import { phpCataloger } from './php/index.js';
import { pythonCataloger } from './python/index.js';
import { rubyCataloger } from './ruby/index.js';
import { rustCataloger } from './rust/index.js';
import type { Cataloger } from './types.js';

export const CATALOGERS: readonly Cataloger[] = [
  apkCataloger(),
  dpkgCataloger(),
  npmCataloger(),
  pythonCataloger(),
  goBinaryCataloger(),
  javaCataloger(),
  rustCataloger(),
  rubyCataloger(),
  phpCataloger(),
  dotnetCataloger(),
];
