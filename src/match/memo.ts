/** What matching found for one package version, remembered per process and per database: images sharing packages are matched once. */
import type { Finding } from '../model/index.js';

/** Package versions remembered per database (the oldest half dropped past it). */
export const MAX_MATCH_MEMO = 100_000;
/** Databases remembered at once (a process that switches databases keeps the newest). */
const MAX_DATABASES = 2;

/**
 * The findings of a package version, without its locations, by everything matching reads of the
 * package (lookup key, name, version, type); one memo per database content (see matchMemoFor).
 */
export class MatchMemo {
  private readonly items = new Map<string, Finding[]>();
  /** The database's namespaces, asked once. */
  namespaces: Set<string> | undefined;

  constructor(readonly max = MAX_MATCH_MEMO) {}

  /** Copies of the findings remembered under `key`, placed at `locations`; undefined when unknown. */
  get(key: string, locations: Finding['locations']): Finding[] | undefined {
    return this.items.get(key)?.map((f) => copyFinding(f, locations));
  }

  set(key: string, findings: readonly Finding[]): void {
    if (this.items.size >= this.max) {
      let drop = this.items.size - Math.floor(this.max / 2);
      for (const k of this.items.keys()) {
        if (drop-- <= 0) break;
        this.items.delete(k);
      }
    }
    this.items.set(key, findings.map((f) => copyFinding(f, [])));
  }

  get size(): number {
    return this.items.size;
  }
}

/** A finding with its own arrays and objects (same keys in the same order), at `locations`. */
function copyFinding(f: Finding, locations: Finding['locations']): Finding {
  const c: Finding = { ...f, aliases: [...f.aliases], locations };
  if (f.package) c.package = { ...f.package };
  if (f.cvss) c.cvss = { ...f.cvss };
  if (f.match) c.match = { ...f.match };
  return c;
}

const memos = new Map<string, MatchMemo>();

/**
 * The memo of one database, by what names its content: digest (of every advisory and score row),
 * build time, schema version and feeds. A rebuilt or updated database gets a new, empty memo.
 */
export function matchMemoFor(db: { digest: string; builtAt: string; schemaVersion: number; feeds: unknown }): MatchMemo {
  const id = JSON.stringify([db.digest, db.builtAt, db.schemaVersion, db.feeds]);
  let m = memos.get(id);
  if (m) {
    memos.delete(id);
  } else {
    m = new MatchMemo();
    while (memos.size >= MAX_DATABASES) memos.delete(memos.keys().next().value!);
  }
  memos.set(id, m);
  return m;
}
