/** The Dockerfile lint rules that run, in one typed list: adding a rule is one file and one line here. */
import type { Rule } from '../types.js';
import { addLocalFile } from './add-local-file.js';
import { addRemoteUrl } from './add-remote-url.js';
import { apkNoCache } from './apk-no-cache.js';
import { apkUnpinned } from './apk-unpinned.js';
import { aptListsNotRemoved } from './apt-lists-not-removed.js';
import { aptNoInstallRecommends } from './apt-no-install-recommends.js';
import { aptUnpinned } from './apt-unpinned.js';
import { copyFromMissingStage } from './copy-from-missing-stage.js';
import { curlPipeShell } from './curl-pipe-shell.js';
import { dockerfileParse } from './dockerfile-parse.js';
import { hardcodedSecret } from './hardcoded-secret.js';
import { imageNotPinnedByDigest } from './image-not-pinned-by-digest.js';
import { latestTag } from './latest-tag.js';
import { missingUser } from './missing-user.js';
import { nonMinimalBase } from './non-minimal-base.js';
import { pipefailMissing } from './pipefail-missing.js';
import { relativeWorkdir } from './relative-workdir.js';
import { rootUser } from './root-user.js';
import { shellFormCmd } from './shell-form-cmd.js';
import { shellInFinalStage } from './shell-in-final-stage.js';
import { sudoUsage } from './sudo.js';
import { untaggedImage } from './untagged-image.js';
import { untrustedRegistry } from './untrusted-registry.js';

export const RULES: readonly Rule[] = [
  dockerfileParse,
  untaggedImage,
  latestTag,
  imageNotPinnedByDigest,
  untrustedRegistry,
  nonMinimalBase,
  shellInFinalStage,
  rootUser,
  missingUser,
  sudoUsage,
  aptNoInstallRecommends,
  aptListsNotRemoved,
  apkNoCache,
  curlPipeShell,
  addRemoteUrl,
  hardcodedSecret,
  aptUnpinned,
  apkUnpinned,
  pipefailMissing,
  addLocalFile,
  shellFormCmd,
  relativeWorkdir,
  copyFromMissingStage,
];
