/** `package-manager-present`: package manager binaries (not just their databases) in the final filesystem. */
import { checkFinding } from './finding.js';
import { present } from './shell-present.js';
import type { Check } from './types.js';

const MANAGERS = ['apk', 'apt', 'apt-get', 'dpkg', 'yum', 'dnf', 'microdnf', 'rpm', 'zypper', 'pip', 'pip3', 'npm', 'yarn', 'gem'];
const DIRS = ['/sbin', '/bin', '/usr/bin', '/usr/sbin', '/usr/local/bin'];

export const packageManagerPresent: Check = {
  id: 'package-manager-present',
  severity: 'medium',
  title: 'A package manager is present',
  remediation: 'Install packages in a build stage and copy only the results into a minimal runtime stage.',
  url: 'https://docs.docker.com/build/building/multi-stage/',
  run(img) {
    const hits = present(img.files, DIRS, MANAGERS);
    if (!hits.length) return [];
    return [checkFinding(this, `package managers: ${hits.map((h) => h.path).join(', ')}`, hits)];
  },
};
