/** Where the advisory database lives by default. */
import os from 'node:os';
import path from 'node:path';

/** `$XDG_CACHE_HOME/shipshape/db/shipshape.db`, default `~/.cache/shipshape/db/shipshape.db`. */
export function defaultDbPath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'shipshape', 'db', 'shipshape.db');
}
