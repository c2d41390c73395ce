/** Advisory databases kept open between the scans of one process, each tied to its file's identity. */
import { statSync } from 'node:fs';
import path from 'node:path';
import { openDb, type AdvisoryDb } from '../db/open.js';
import type { DbStatus } from '../db/status.js';

interface Held {
  db: AdvisoryDb;
  /** Its status, read once: the file is the same as long as it is held. */
  status?: DbStatus;
  stamp: string;
  users: number;
  /** Replaced by a newer file (or dropped): closed once its last user is done. */
  retired: boolean;
}

/** Database files kept open at once (the least recently opened idle one closed first). */
export const MAX_OPEN_DATABASES = 2;

const held = new Map<string, Held>();

/** A file's identity (inode, size, modification and change times, in ns), or undefined when it cannot be read. */
function stampOf(file: string): string | undefined {
  try {
    const st = statSync(file, { bigint: true });
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  } catch {
    return undefined;
  }
}

function retire(key: string, h: Held): void {
  h.retired = true;
  if (held.get(key) === h) held.delete(key);
  if (h.users === 0) h.db.close();
}

/**
 * The database at `file`, open: the one a scan before opened when the file is still the same
 * (a rebuilt or updated database is a new file: opened afresh, and the old one closed once no scan
 * uses it), else opened and checked by openDb (whose errors it throws). Call `release` when done.
 */
export function acquireDb(file: string): { db: AdvisoryDb; status: () => DbStatus; release: () => void } {
  const key = path.resolve(file);
  const stamp = stampOf(key);
  let h = held.get(key);
  if (h && h.stamp !== stamp) {
    retire(key, h);
    h = undefined;
  }
  if (!h || stamp === undefined) {
    const db = openDb(file);
    if (stamp === undefined) return { db, status: () => db.status(), release: () => db.close() };
    h = { db, stamp, users: 0, retired: false };
    held.set(key, h);
    for (const [k, other] of held) {
      if (held.size <= MAX_OPEN_DATABASES) break;
      if (other.users === 0 && other !== h) retire(k, other);
    }
  } else {
    // Most recently used last.
    held.delete(key);
    held.set(key, h);
  }
  const mine = h;
  mine.users++;
  let released = false;
  return {
    db: mine.db,
    status: () => (mine.status ??= mine.db.status()),
    release: () => {
      if (released) return;
      released = true;
      mine.users--;
      if (mine.retired && mine.users === 0) mine.db.close();
    },
  };
}

/** Closes every database no scan is using (tests; a process that wants its file handles back). */
export function closeIdleDbs(): void {
  for (const [k, h] of [...held]) if (h.users === 0) retire(k, h);
}

/** How many database files are open now. */
export function openDbCount(): number {
  return held.size;
}
