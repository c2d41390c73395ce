/** `setuid-files`: regular files with the setuid or setgid bit in the final filesystem. */
import { entriesAtHand } from '../catalog/lang-support.js';
import type { FileEntry, FileView } from '../image/types.js';
import { checkFinding } from './finding.js';
import type { Check } from './types.js';

export const setuidFiles: Check = {
  id: 'setuid-files',
  severity: 'medium',
  title: 'Setuid or setgid files',
  remediation: 'Remove the files or clear the bits (`chmod u-s,g-s`) in the image build.',
  url: 'https://github.com/goodwithtech/dockle/blob/master/CHECKPOINT.md#cis-di-0008',
  run(img) {
    // A scan of images on a shared base has them at hand (the base's, patched with the top layer's).
    const hits = entriesAtHand(img.files, setuidOrSetgid) ?? walk(img.files);
    if (!hits.length) return [];
    return [checkFinding(this, `${hits.length} setuid/setgid file(s): ${hits.join(', ')}`, hits.map((p) => ({ layer: img.files.stat(p)!.layer, path: p })))];
  },
};

function setuidOrSetgid(_path: string, e: FileEntry): boolean {
  return (e.mode & 0o6000) !== 0;
}

function walk(files: FileView): string[] {
  const hits: string[] = [];
  for (const p of files.paths()) {
    const e = files.stat(p)!;
    if ((e.type === 'file' || e.type === 'hardlink') && setuidOrSetgid(p, e)) hits.push(p);
  }
  return hits.sort();
}
