/** Parses the security tracker's `data/DSA/list` and `data/DLA/list` text files into advisory entries. */
import { ShipshapeError } from '../../errors.js';

/*
 * Format (https://salsa.debian.org/security-tracker-team/security-tracker/-/tree/master/data):
 *   [07 Feb 2023] DSA-5343-1 openssl - security update
 *   	{CVE-2022-2097 CVE-2022-4304}
 *   	[bullseye] - openssl 1.1.1n-0+deb11u4
 *   	[woody] - mantis <not-affected> (Vulnerable code not present)
 *   	[sarge] - zlib 1:1.2.2-4.sarge.2 (bug #123; medium)
 *   	NOTE: fixed in testing at time of DSA
 */

export interface ListFix {
  release: string; // codename: bullseye
  package: string; // source package
  /** The fixed version, or absent when a marker (<unfixed>, <not-affected>, ...) stands instead. */
  version?: string;
  marker?: string; // not-affected, unfixed, end-of-life, no-dsa, ...
  urgency?: string; // low, medium, high from the trailing "(...)"
  line: number;
}

export interface ListEntry {
  id: string; // DSA-5343-1, DLA-3380-1, DSA-141
  date: string; // ISO date, 2023-02-07
  /** The header after the date: "DSA-5343-1 openssl - security update". */
  header: string;
  ids: string[]; // CVE ids (and the odd other id) in braces
  fixes: ListFix[];
  line: number;
}

const MONTHS: Record<string, string> = {
  jan: '01', feb: '02', mar: '03', apr: '04', may: '05', jun: '06',
  jul: '07', aug: '08', sep: '09', oct: '10', nov: '11', dec: '12',
};

const HEADER = /^\[(\d{1,2}) ([A-Za-z]{3}) (\d{4})\]\s+([A-Z]+-\d+(?:-\d+)?)\b\s*(.*)$/;
const IDS = /^\s+\{(.*)\}\s*$/;
const FIX = /^\s+\[([a-z][a-z0-9-]*)\]\s+-\s+(\S+)(?:\s+(\S+))?(?:\s+\((.*)\))?\s*$/;
const URGENCIES = new Set(['unimportant', 'low', 'medium', 'high']);

function urgencyOf(note: string | undefined): string | undefined {
  if (!note) return undefined;
  for (const part of note.split(/[;,]/)) {
    const u = part.trim().toLowerCase().replace(/\*+$/, '');
    if (URGENCIES.has(u)) return u;
  }
  return undefined;
}

/**
 * Parses a whole list. Unknown lines become warnings; a non-empty file without a single
 * advisory header is not a tracker list at all: ShipshapeError('bad-feed').
 */
export function parseDsaList(text: string, source: string, onWarning?: (m: string) => void): ListEntry[] {
  const entries: ListEntry[] = [];
  let current: ListEntry | undefined;
  const lines = text.split('\n');
  let odd = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const h = HEADER.exec(line);
    if (h) {
      const month = MONTHS[h[2]!.toLowerCase()];
      if (!month) {
        onWarning?.(`${source}:${i + 1}: bad date in "${line}"`);
      }
      current = {
        id: h[4]!,
        date: `${h[3]}-${month ?? '00'}-${h[1]!.padStart(2, '0')}`,
        header: `${h[4]} ${h[5]!.trim()}`.trim(),
        ids: [],
        fixes: [],
        line: i + 1,
      };
      entries.push(current);
      continue;
    }
    if (/^\s+NOTE:/.test(line)) continue;
    if (!current) {
      odd++;
      continue;
    }
    const ids = IDS.exec(line);
    if (ids) {
      for (const id of ids[1]!.split(/\s+/)) if (id && !current.ids.includes(id)) current.ids.push(id);
      continue;
    }
    const fix = FIX.exec(line);
    if (fix) {
      const [, release, pkg, ver, note] = fix;
      if (!ver) {
        onWarning?.(`${source}:${i + 1}: ${current.id}: no version for ${pkg} in ${release}`);
        continue;
      }
      const marker = /^<([a-z-]+)>$/.exec(ver);
      const f: ListFix = { release: release!, package: pkg!, line: i + 1 };
      if (marker) f.marker = marker[1]!;
      else f.version = ver;
      const urgency = urgencyOf(note);
      if (urgency) f.urgency = urgency;
      current.fixes.push(f);
      continue;
    }
    onWarning?.(`${source}:${i + 1}: ${current.id}: line not understood: ${line.trim().slice(0, 80)}`);
  }
  if (entries.length === 0 && (odd > 0 || text.trim() !== '')) {
    throw new ShipshapeError('bad-feed', `${source}: not a security tracker DSA/DLA list (no "[date] DSA-..." header)`);
  }
  if (odd > 0) onWarning?.(`${source}: ${odd} line(s) before the first advisory ignored`);
  return entries;
}
