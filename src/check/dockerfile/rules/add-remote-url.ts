/** ADD <url> fetches content at build time with no integrity check unless --checksum pins it. */
import type { Rule, RuleHit } from '../types.js';

function remote(src: string): URL | undefined {
  const lower = src.toLowerCase();
  if (!lower.startsWith('http://') && !lower.startsWith('https://') && !lower.startsWith('ftp://')) return undefined;
  try {
    return new URL(src);
  } catch {
    return undefined;
  }
}

export const addRemoteUrl: Rule = {
  id: 'add-remote-url',
  severity: 'medium',
  title: 'ADD downloads a URL without a checksum',
  remediation: 'Add --checksum=sha256:<digest> to the ADD, or download with curl in a RUN and verify the checksum there.',
  url: 'https://docs.docker.com/reference/dockerfile/#add---checksum',
  check(ctx) {
    const hits: RuleHit[] = [];
    for (const stage of ctx.parse.stages) {
      for (const top of stage.instructions) {
        const ins = top.keyword === 'ONBUILD' ? top.onbuild : top;
        if (!ins || ins.keyword !== 'ADD') continue;
        if (ins.flags.some((f) => f.name.toLowerCase() === 'checksum' && f.value)) continue;
        const sources = ins.words.slice(0, -1);
        for (const src of sources) {
          const url = remote(src);
          // Only scheme and host are shown: URLs may carry credentials or tokens.
          if (url) hits.push({ line: ins.startLine, message: `ADD downloads from ${url.protocol}//${url.host} without --checksum` });
        }
      }
    }
    return hits;
  },
};
