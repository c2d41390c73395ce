/**
 * What an NVD download keeps between runs, so the next one asks only for what changed: every
 * CVE's CVSS metrics and the end of the last window fetched. One JSON file, written atomically;
 * a file that does not read back is discarded (the next fetch is a full one), never trusted.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { StoredCve } from './parse.js';

const FORMAT = 'shipshape-nvd-state';
const VERSION = 1;

export interface NvdState {
  /** The API URL the records came from: another source means another data set, fetched whole. */
  source: string;
  /** Records last modified up to this instant (ISO 8601) are in `cves`. */
  lastModEnd: string;
  cves: Map<string, StoredCve>;
}

export function statePath(cacheDir: string): string {
  return path.join(cacheDir, 'nvd', 'state.json');
}

type Row = [id: string, lastModified: string, metrics: Array<[string, 'Primary' | 'Secondary', string, string, number]>];

/** The state for `source`, or undefined (with a warning when a file was there but unusable). */
export async function loadState(file: string, source: string, warn: (m: string) => void): Promise<NvdState | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const doc = JSON.parse(text) as { format: string; version: number; source: string; lastModEnd: string; cves: Row[] };
    if (doc.format !== FORMAT || doc.version !== VERSION || Number.isNaN(Date.parse(doc.lastModEnd)) || !Array.isArray(doc.cves)) {
      throw new Error('not a state file of this version');
    }
    if (doc.source !== source) return undefined;
    const cves = new Map<string, StoredCve>();
    for (const [id, lastModified, metrics] of doc.cves) {
      cves.set(id, { id, lastModified, metrics: metrics.map(([s, type, version, vector, score]) => ({ source: s, type, version, vector, score })) });
    }
    return { source, lastModEnd: doc.lastModEnd, cves };
  } catch (err) {
    warn(`${file} is unreadable (${(err as Error).message}): downloading every CVE again`);
    return undefined;
  }
}

/** Writes the state to a temp file beside it, then renames it into place. */
export async function saveState(file: string, state: NvdState): Promise<void> {
  const rows: Row[] = [...state.cves.values()]
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((c) => [c.id, c.lastModified, c.metrics.map((m) => [m.source, m.type, m.version, m.vector, m.score])]);
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(tmp, JSON.stringify({ format: FORMAT, version: VERSION, source: state.source, lastModEnd: state.lastModEnd, cves: rows }));
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}
