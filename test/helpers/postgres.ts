/**
 * A throw-away PostgreSQL for tests: initdb + pg_ctl (Debian's /usr/lib/postgresql/15/bin) on a
 * temp data dir and a free loopback port, torn down after. As root, the server runs as `nobody`
 * (postgres refuses to run as root). Tests skip with a message when the binaries are absent.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './registry.js';

export const PG_BIN = process.env.SHIPSHAPE_PG_BIN ?? '/usr/lib/postgresql/15/bin';

export interface StartedPostgres {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Why PostgreSQL tests cannot run here, or undefined. */
export function postgresMissing(): string | undefined {
  if (existsSync(path.join(PG_BIN, 'initdb')) && existsSync(path.join(PG_BIN, 'pg_ctl'))) return undefined;
  const msg = `skipping PostgreSQL tests: ${PG_BIN}/initdb not found (apt-get install postgresql)`;
  process.stderr.write(`${msg}\n`);
  return msg;
}

export async function startPostgres(): Promise<StartedPostgres> {
  // initdb's shell redirects to /dev/null as the unprivileged user: say so when something replaced it.
  if (!statSync('/dev/null').isCharacterDevice()) {
    throw new Error('/dev/null is a regular file, not the null device (something renamed a file onto it): initdb cannot run; restore it with mknod -m 666 /dev/null c 1 3');
  }
  const root = process.getuid?.() === 0;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'shipshape-pg-'));
  const data = path.join(dir, 'data');
  const asUser = (cmd: string, args: string[]) => {
    // runuser keeps the environment minimal; postgres must not run as root.
    const full = root ? ['runuser', ['-u', 'nobody', '--', cmd, ...args]] : [cmd, args];
    const r = spawnSync(full[0] as string, full[1] as string[], { encoding: 'utf8', timeout: 120_000, cwd: dir });
    if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${(r.stderr || r.stdout || '').trim()}`);
  };
  if (root) {
    chmodSync(dir, 0o755);
    chownSync(dir, 65534, 65534);
  }
  asUser(path.join(PG_BIN, 'initdb'), ['-D', data, '-U', 'shipshape', '--auth=trust', '-E', 'UTF8', '--no-sync']);
  let port = 0;
  let lastErr: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    port = await freePort();
    try {
      asUser(path.join(PG_BIN, 'pg_ctl'), [
        '-D', data, '-l', path.join(dir, 'log'), '-w', '-t', '60',
        '-o', `-c listen_addresses=127.0.0.1 -c port=${port} -c unix_socket_directories=${dir} -c fsync=off -c max_connections=60`,
        'start',
      ]);
      lastErr = undefined;
      break;
    } catch (err) {
      lastErr = err;
    }
  }
  if (lastErr) {
    rmSync(dir, { recursive: true, force: true });
    throw lastErr;
  }
  const stop = async () => {
    try {
      asUser(path.join(PG_BIN, 'pg_ctl'), ['-D', data, '-m', 'immediate', '-w', 'stop']);
    } catch {
      // already gone
    }
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', () => {
    if (existsSync(data)) spawnSync(root ? 'runuser' : path.join(PG_BIN, 'pg_ctl'), root ? ['-u', 'nobody', '--', path.join(PG_BIN, 'pg_ctl'), '-D', data, '-m', 'immediate', 'stop'] : ['-D', data, '-m', 'immediate', 'stop']);
  });
  return { url: `postgres://shipshape@127.0.0.1:${port}/postgres`, port, stop };
}

/** A fresh database in the server, for one test file or one case. */
export async function createDatabase(pgUrl: string, name: string): Promise<string> {
  const pg = (await import('pg')).default;
  const c = new pg.Client({ connectionString: pgUrl });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name.replace(/[^a-z0-9_]/g, '')}`);
  } finally {
    await c.end();
  }
  const u = new URL(pgUrl);
  u.pathname = `/${name}`;
  return u.toString();
}
