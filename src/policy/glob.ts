/** Path globs for ignore entries: `*` (within one path segment), `**` (any depth), `?` (one character). */

/**
 * Compiles a glob to an anchored RegExp over absolute image paths. A pattern without a leading
 * `/` or `*` is taken from the root (`usr/lib/**` = `/usr/lib/**`); `**\/` also matches no directory.
 */
export function globToRegExp(glob: string): RegExp {
  const g = glob.startsWith('/') || glob.startsWith('*') ? glob : `/${glob}`;
  let re = '';
  for (let i = 0; i < g.length; i++) {
    const c = g[i]!;
    if (c === '*') {
      if (g[i + 1] === '*') {
        i++;
        if (g[i + 1] === '/') {
          i++;
          re += '(?:.*/)?';
        } else {
          re += '.*';
        }
      } else {
        re += '[^/]*';
      }
    } else if (c === '?') {
      re += '[^/]';
    } else {
      re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
    }
  }
  return new RegExp(`^${re}$`);
}
