/** The Debian security tracker feed: DSA/DLA lists and the JSON export, one advisory per CVE and source package. */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { ShipshapeError } from '../../errors.js';
import type { Advisory, Severity } from '../../model/index.js';
import { download, feedDownloadOptions } from '../http.js';
import type { Feed, FeedFetchOptions } from '../types.js';
import { parseDsaList, type ListEntry } from './dsa-list.js';
import { parseTrackerJson, type JsonRecord } from './json.js';
import { debianNamespace, trackerUrl, urgencyToSeverity } from './releases.js';
import { feedRuns, type Report } from '../runs.js';

export { parseDsaList, type ListEntry, type ListFix } from './dsa-list.js';
export { parseTrackerJson, type JsonRecord } from './json.js';
export { DEBIAN_RELEASES, debianNamespace, urgencyToSeverity } from './releases.js';

export const FEED_ID = 'debian-tracker';

const SALSA_RAW = 'https://salsa.debian.org/security-tracker-team/security-tracker/-/raw/master';
export const DEBIAN_TRACKER_URLS = {
  dsa: `${SALSA_RAW}/data/DSA/list`,
  dla: `${SALSA_RAW}/data/DLA/list`,
  json: 'https://security-tracker.debian.org/tracker/data/json',
};

/** Where each file may sit in a local copy: the upstream repository layout first, vunnel's fixture names after. */
const LOCAL_FILES = {
  dsa: ['data/DSA/list', 'DSA'],
  dla: ['data/DLA/list', 'DLA'],
  json: ['tracker/data/json', 'data/json', 'debian.json', 'json'],
} as const;

export interface DebianTrackerOptions {
  /** Upstream URLs, to point at another tracker instance. */
  urls?: Partial<typeof DEBIAN_TRACKER_URLS>;
  /** Download the JSON export too (large: tens of MB). Default true. */
  json?: boolean;
}

/** Advisories keyed by (namespace, package, id), with the date of the list entry that set them. */
class Merger {
  readonly byKey = new Map<string, { adv: Advisory; date: string; fromJson: boolean }>();
  readonly namespaces = new Set<string>();
  private unknownReleases = new Set<string>();

  constructor(private readonly onWarning?: (m: string) => void) {}

  namespaceOf(release: string, source: string): string | undefined {
    const ns = debianNamespace(release);
    if (ns === undefined && !this.unknownReleases.has(release)) {
      this.unknownReleases.add(release);
      this.onWarning?.(`${source}: unknown Debian release "${release}": its records are skipped`);
    }
    if (ns) this.namespaces.add(ns);
    return ns ?? undefined;
  }

  /** A DSA/DLA list entry: per fix line, one advisory per CVE (or the DSA id when it names none). */
  addListEntry(e: ListEntry, source: string): void {
    const cves = e.ids.filter((i) => /^[A-Z]+-\d/.test(i));
    for (const fix of e.fixes) {
      const namespace = this.namespaceOf(fix.release, source);
      if (!namespace) continue;
      if (fix.marker === 'not-affected') continue;
      const severity: Severity = urgencyToSeverity(fix.urgency);
      for (const id of cves.length ? cves : [e.id]) {
        const adv: Advisory = {
          id,
          aliases: id === e.id ? [] : [e.id],
          feed: FEED_ID,
          namespace,
          package: fix.package,
          scheme: 'deb',
          severity,
          ranges: fix.version !== undefined ? [{ introduced: '0', fixed: fix.version }] : [{ introduced: '0' }],
          title: e.header,
          url: trackerUrl(id),
        };
        if (fix.marker) adv.status = fix.marker;
        this.put(adv, e.date, false);
      }
    }
  }

  addJson(r: JsonRecord, source: string): void {
    const namespace = this.namespaceOf(r.release, source);
    if (!namespace) return;
    let ranges: Advisory['ranges'];
    let status: string | undefined;
    if (r.status === 'resolved') {
      // Fixed in version 0: the release never had the flaw.
      if (r.fixedVersion === undefined || r.fixedVersion === '0') return;
      ranges = [{ introduced: '0', fixed: r.fixedVersion }];
    } else if (r.status === 'open') {
      ranges = [{ introduced: '0' }];
      const reason = r.nodsaReason?.trim().toLowerCase();
      if (reason === 'postponed' || reason === 'ignored') status = reason;
      else if (r.nodsa !== undefined) status = 'no-dsa';
      else if (r.urgency === 'end-of-life') status = 'end-of-life';
      else status = 'unfixed';
    } else if (r.status === 'undetermined') {
      ranges = [{ introduced: '0' }];
      status = 'undetermined';
    } else {
      this.onWarning?.(`${source}: ${r.package} ${r.id} ${r.release}: unknown status "${r.status}" skipped`);
      return;
    }
    const adv: Advisory = {
      id: r.id,
      aliases: [],
      feed: FEED_ID,
      namespace,
      package: r.package,
      scheme: 'deb',
      severity: urgencyToSeverity(r.urgency),
      ranges,
      url: trackerUrl(r.id),
    };
    if (status) adv.status = status;
    if (r.description) adv.title = shortTitle(r.description);
    this.put(adv, '', true);
  }

  /**
   * Same key twice: aliases are united. Between list entries the newest (by date, then id) wins,
   * since a later DSA for the same flaw supersedes an incomplete fix; the JSON export wins over lists.
   */
  private put(adv: Advisory, date: string, fromJson: boolean): void {
    const key = `${adv.namespace}\0${adv.package}\0${adv.id}`;
    const prev = this.byKey.get(key);
    if (!prev) {
      this.byKey.set(key, { adv, date, fromJson });
      return;
    }
    const aliases = [...prev.adv.aliases];
    for (const a of adv.aliases) if (!aliases.includes(a)) aliases.push(a);
    let wins: boolean;
    if (fromJson !== prev.fromJson) wins = fromJson;
    else if (fromJson) wins = false;
    else wins = date > prev.date || (date === prev.date && compareListIds(adv.aliases[0] ?? adv.id, prev.adv.aliases[0] ?? prev.adv.id) > 0);
    if (wins) {
      // The JSON export has no DSA title; keep the list's when the export has no description.
      if (!adv.title && prev.adv.title) adv.title = prev.adv.title;
      this.byKey.set(key, { adv: { ...adv, aliases }, date: fromJson ? prev.date : date, fromJson: fromJson || prev.fromJson });
    } else {
      prev.adv.aliases = aliases;
      if (!prev.adv.title && adv.title) prev.adv.title = adv.title;
    }
  }
}

/** DSA-5343-1 vs DSA-5356-2: by kind, number, then revision. */
function compareListIds(a: string, b: string): number {
  const pa = a.split('-');
  const pb = b.split('-');
  if (pa[0] !== pb[0]) return (pa[0] ?? '') < (pb[0] ?? '') ? -1 : 1;
  return Number(pa[1] ?? 0) - Number(pb[1] ?? 0) || Number(pa[2] ?? 0) - Number(pb[2] ?? 0);
}

/** The first sentence of a CVE description, at most 200 characters: a title, not the whole text. */
function shortTitle(description: string): string {
  const oneLine = description.replace(/\s+/g, ' ').trim();
  const sentence = /^(.{20,}?[.!?])\s/.exec(oneLine)?.[1] ?? oneLine;
  return sentence.length > 200 ? `${sentence.slice(0, 199)}…` : sentence;
}

async function firstExisting(dir: string, candidates: readonly string[]): Promise<string | undefined> {
  for (const c of candidates) {
    const p = path.join(dir, c);
    const st = await stat(p).catch(() => undefined);
    if (st?.isFile()) return p;
  }
  return undefined;
}

export function debianTrackerFeed(options: DebianTrackerOptions = {}): Feed {
  const urls = { ...DEBIAN_TRACKER_URLS, ...options.urls };
  const withJson = options.json ?? true;
  async function* run(opts: FeedFetchOptions, report: Report): AsyncGenerator<Advisory> {
    const merger = new Merger(opts.onWarning);
    const sources: string[] = [];
    if (opts.dir) {
      const files = {
        dsa: await firstExisting(opts.dir, LOCAL_FILES.dsa),
        dla: await firstExisting(opts.dir, LOCAL_FILES.dla),
        json: await firstExisting(opts.dir, LOCAL_FILES.json),
      };
      if (!files.dsa && !files.dla && !files.json) {
        throw new ShipshapeError('bad-feed', `${opts.dir}: no data/DSA/list, data/DLA/list or tracker/data/json (Debian security tracker layout)`);
      }
      for (const kind of ['dsa', 'dla'] as const) {
        const f = files[kind];
        if (!f) continue;
        opts.signal?.throwIfAborted();
        for (const e of parseDsaList(await readFile(f, 'utf8'), f, opts.onWarning)) merger.addListEntry(e, f);
      }
      if (files.json) {
        for (const r of parseTrackerJson(await readFile(files.json, 'utf8'), files.json, opts.onWarning)) merger.addJson(r, files.json);
      }
      sources.push(opts.dir);
    } else {
      const dl = feedDownloadOptions(opts);
      for (const kind of ['dsa', 'dla'] as const) {
        const r = await download(urls[kind], dl);
        for (const e of parseDsaList((await r.read()).toString('utf8'), urls[kind], opts.onWarning)) merger.addListEntry(e, urls[kind]);
        sources.push(urls[kind]);
      }
      if (withJson) {
        const r = await download(urls.json, dl);
        for (const rec of parseTrackerJson((await r.read()).toString('utf8'), urls.json, opts.onWarning)) merger.addJson(rec, urls.json);
        sources.push(urls.json);
      }
      if (opts.mirror) sources.push(`via ${opts.mirror}`);
    }
    report({ source: sources.join(' '), namespaces: [...merger.namespaces].sort(new Intl.Collator('en', { numeric: true }).compare) });
    for (const { adv } of merger.byKey.values()) yield adv;
  }

  return {
    id: FEED_ID,
    dirName: 'debian-security-tracker',
    // One reader for both: the local files and the downloads merge the same way.
    ...feedRuns({ fromDir: (_dir, opts, report) => run(opts, report), fromUpstream: run, upstream: urls.dsa }),
  };
}
