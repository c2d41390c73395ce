/** DL3020: ADD of a local file or folder does what COPY does, plus surprises (archives unpacked); COPY says what it means. */
import type { Instruction, Rule, RuleHit } from '../types.js';

/** Local archives ADD unpacks (by content; these are the names Hadolint accepts): ADD is the right tool for them. */
const ARCHIVES = ['.tar', '.gz', '.tgz', '.bz2', '.tbz', '.tbz2', '.tb2', '.xz', '.txz', '.zst', '.tzst', '.z', '.tz', '.lz', '.lzma', '.tlz'];

function remoteOrArchive(src: string): boolean {
  const s = src.replace(/^["']|["']$/g, '').toLowerCase();
  if (s.startsWith('http://') || s.startsWith('https://') || s.startsWith('git@') || s.startsWith('ftp://')) return true;
  return ARCHIVES.some((ext) => s.endsWith(ext));
}

function localSources(ins: Instruction): string[] {
  // Variables cannot be judged; heredoc sources are inline text (COPY takes them too, but either is fine).
  return ins.words.slice(0, -1).filter((w) => !w.includes('$') && !w.startsWith('<<') && !remoteOrArchive(w));
}

export const addLocalFile: Rule = {
  id: 'add-local-file',
  hadolint: 'DL3020',
  severity: 'low',
  title: 'ADD used for local files',
  remediation: 'Use COPY for local files and folders; keep ADD for local tar archives it should unpack and for URLs with --checksum.',
  url: 'https://github.com/hadolint/hadolint/wiki/DL3020',
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const top of ctx.parse.instructions) {
      const ins = top.keyword === 'ONBUILD' ? top.onbuild : top;
      if (!ins || ins.keyword !== 'ADD') continue;
      const local = localSources(ins);
      if (local.length > 0) hits.push({ line: ins.startLine, message: `ADD copies local ${local.length === 1 ? 'source' : 'sources'} ${local.slice(0, 3).map((s) => s.slice(0, 60)).join(', ')}` });
    }
    return hits;
  },
};
