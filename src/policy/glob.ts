/** Path globs for ignore entries: `*` (within one path segment), `**` (any depth), `?` (one character), matched in linear time. */

/** A compiled glob: `test(path)` runs in O(path length × glob length), whatever the pattern. */
export interface Glob {
  readonly source: string;
  test(path: string): boolean;
}

/**
 * One NFA state: a literal character, `?`, a loop (`*` stays in a segment, `**` crosses them), or
 * the entry of an optional `**\/` (goes on into it, or past it to `skip`, without consuming).
 */
type State = { kind: 'char'; c: string } | { kind: 'one' } | { kind: 'star' } | { kind: 'globstar' } | { kind: 'opt'; skip: number };

/** Longest glob accepted in a policy: real ones are a path with a few wildcards. */
export const MAX_GLOB_LENGTH = 1024;

/**
 * Compiles a glob over absolute image paths. A pattern without a leading `/` or `*` is taken from
 * the root (`usr/lib/**` = `/usr/lib/**`); `**\/` also matches no directory. Matching simulates the
 * pattern's NFA over a set of states (no backtracking): a RegExp built from `*.*.*…` patterns took
 * exponential time on long paths.
 */
export function compileGlob(glob: string): Glob {
  const g = glob.startsWith('/') || glob.startsWith('*') ? glob : `/${glob}`;
  const states: State[] = [];
  for (let i = 0; i < g.length; i++) {
    const c = g[i]!;
    if (c === '*') {
      if (g[i + 1] === '*') {
        i++;
        if (g[i + 1] === '/') {
          i++;
          // `**/` = (any characters then `/`) or nothing.
          states.push({ kind: 'opt', skip: states.length + 3 }, { kind: 'globstar' }, { kind: 'char', c: '/' });
        } else {
          states.push({ kind: 'globstar' });
        }
      } else {
        states.push({ kind: 'star' });
      }
    } else if (c === '?') {
      states.push({ kind: 'one' });
    } else {
      states.push({ kind: 'char', c });
    }
  }
  const n = states.length;

  /** Adds state `s` and what it reaches without consuming a character (a worklist, no recursion). */
  const close = (set: Uint8Array, from: number): void => {
    const todo = [from];
    while (todo.length) {
      let s = todo.pop()!;
      while (s <= n && !set[s]) {
        set[s] = 1;
        const st = states[s];
        if (st?.kind === 'opt') todo.push(st.skip);
        if (st && (st.kind === 'star' || st.kind === 'globstar' || st.kind === 'opt')) s++;
        else break;
      }
    }
  };

  return {
    source: glob,
    test(path: string): boolean {
      let cur = new Uint8Array(n + 1);
      let next = new Uint8Array(n + 1);
      close(cur, 0);
      for (let i = 0; i < path.length; i++) {
        const c = path[i]!;
        next.fill(0);
        let any = false;
        for (let s = 0; s < n; s++) {
          if (!cur[s]) continue;
          const st = states[s]!;
          switch (st.kind) {
            case 'char':
              if (st.c === c) close(next, s + 1), (any = true);
              break;
            case 'one':
              if (c !== '/') close(next, s + 1), (any = true);
              break;
            case 'star':
              if (c !== '/') close(next, s), (any = true);
              break;
            case 'globstar':
              close(next, s), (any = true);
              break;
            case 'opt':
              break;
          }
        }
        if (!any) return false;
        [cur, next] = [next, cur];
      }
      return cur[n] === 1;
    },
  };
}
