/** `shell-present`: a shell in the final filesystem (sh, bash, ash, dash, zsh, or busybox with shell applets). */
import type { FileView } from '../image/types.js';
import { checkFinding } from './finding.js';
import type { Check } from './types.js';

const SHELLS = ['sh', 'bash', 'ash', 'dash', 'zsh', 'ksh', 'mksh', 'busybox'];
const DIRS = ['/bin', '/usr/bin', '/sbin', '/usr/sbin', '/usr/local/bin'];

/**
 * Candidate paths that exist, as a user would type them: the directory may be a symlink (usrmerge
 * makes /bin a link to usr/bin), the entry itself may be a symlink (busybox applets), even dangling.
 */
export function present(files: FileView, dirs: string[], names: string[]): Array<{ path: string; layer: string }> {
  const hits: Array<{ path: string; layer: string }> = [];
  for (const d of dirs) {
    const dir = files.resolve(d);
    if (!dir) continue;
    for (const n of names) {
      const e = files.stat(`${dir === '/' ? '' : dir}/${n}`);
      if (e) hits.push({ path: `${d}/${n}`, layer: e.layer });
    }
  }
  return hits;
}

export const shellPresent: Check = {
  id: 'shell-present',
  severity: 'medium',
  title: 'A shell is present',
  remediation: 'Build the runtime stage from a distroless or scratch base, without a shell.',
  url: 'https://github.com/GoogleContainerTools/distroless#why-should-i-use-distroless-images',
  run(img) {
    const hits = present(img.files, DIRS, SHELLS);
    if (!hits.length) return [];
    return [checkFinding(this, `shells: ${hits.map((h) => h.path).join(', ')}`, hits)];
  },
};
