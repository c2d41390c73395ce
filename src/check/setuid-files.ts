/** `setuid-files`: regular files with the setuid or setgid bit in the final filesystem. */
import { checkFinding } from './finding.js';
import type { Check } from './types.js';

export const setuidFiles: Check = {
  id: 'setuid-files',
  severity: 'medium',
  title: 'Setuid or setgid files',
  remediation: 'Remove the files or clear the bits (`chmod u-s,g-s`) in the image build.',
  url: 'https://github.com/goodwithtech/dockle/blob/master/CHECKPOINT.md#cis-di-0008',
  run(img) {
    const hits: string[] = [];
    for (const p of img.files.paths()) {
      const e = img.files.stat(p)!;
      if ((e.type === 'file' || e.type === 'hardlink') && e.mode & 0o6000) hits.push(p);
    }
    hits.sort();
    if (!hits.length) return [];
    return [checkFinding(this, `${hits.length} setuid/setgid file(s): ${hits.join(', ')}`, hits.map((p) => ({ layer: img.files.stat(p)!.layer, path: p })))];
  },
};
