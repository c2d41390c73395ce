/** `shell-present`: a shell in the final filesystem (sh, bash, ash, dash, zsh, or busybox with shell applets). */
import type { FileView } from '../image/types.js';
import { checkFinding } from './finding.js';
import type { Check } from './types.js';

const SHELLS = ['sh', 'bash', 'ash', 'dash', 'zsh', 'ksh', 'mksh', 'busybox'];
const DIRS = ['/bin', '/usr/bin', '/sbin', '/usr/sbin', '/usr/local/bin'];

/** Existing paths (the path itself, symlinks included even if dangling) among the candidates. */
export function present(files: FileView, dirs: string[], names: string[]): string[] {
  const hits: string[] = [];
  for (const d of dirs) for (const n of names) if (files.stat(`${d}/${n}`)) hits.push(`${d}/${n}`);
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
    return [checkFinding(this, `shells: ${hits.join(', ')}`, hits.map((p) => ({ layer: img.files.stat(p)!.layer, path: p })))];
  },
};
