/** Parses one Alpine secdb document (YAML or its JSON twin) into advisories, one per (package, id). */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ShipshapeError } from '../../errors.js';
import type { Advisory } from '../../model/index.js';

export const FEED_ID = 'alpine-secdb';

/*
 * The secdb format: https://secdb.alpinelinux.org/ (generator:
 * https://gitlab.alpinelinux.org/alpine/infra/docker/secdb). Top-level `distroversion` (v3.10),
 * `reponame`, `packages[].pkg.{name, secfixes: {fixed-version: [ids]}}`. Only the outer shape is
 * checked strictly; a malformed package becomes a warning.
 */
const documentSchema = z.object({
  distroversion: z.string().optional(),
  reponame: z.string().optional(),
  // An empty repository has `packages:` with no value (failsafe YAML reads it as '').
  packages: z.union([z.array(z.unknown()), z.literal('')]).nullable().optional(),
});

const packageSchema = z.object({
  pkg: z.object({
    name: z.string().min(1),
    secfixes: z.record(z.union([z.array(z.string().nullable()), z.string(), z.null()])).nullable().optional(),
  }),
});

export interface ParseOptions {
  /** `yaml` or `json`; decides the parser. */
  format: 'yaml' | 'json';
  /** File name for messages. */
  source: string;
  /** Namespace to use when the document has no usable `distroversion` (e.g. from the directory name). */
  namespace?: string;
  onWarning?: (message: string) => void;
  /** The feed id stored with each advisory (default alpine-secdb); Wolfi's secdb has the same shape. */
  feed?: string;
  /** The advisory page of an id (default: Alpine's security tracker for CVEs). */
  url?: (id: string) => string | undefined;
}

/** `v3.10` → `alpine:3.10`; `edge` → `alpine:edge`; anything else → undefined. */
export function alpineNamespace(distroversion: string): string | undefined {
  const v = distroversion.trim();
  const m = /^v?(\d+\.\d+)(?:\.\d+)?$/.exec(v);
  if (m) return `alpine:${m[1]}`;
  return v === 'edge' ? 'alpine:edge' : undefined;
}

// Project ids: CVE-…, XSA-…, TALOS-…, wnpa-sec-… (Wireshark writes its own in lowercase).
const ID = /^[A-Za-z][A-Za-z0-9]*-[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Splits one secfixes entry into ids. Entries hold one id (`CVE-2019-14697`), or a CVE and the
 * project's own id (`CVE-2017-8904 XSA-214`), sometimes with upstream typos (`CVE_2019-2426`,
 * `CVE-2017-17434-1` for part 1 of a fix). The CVE, when there is one, names the advisory.
 */
export function splitEntry(entry: string): { id: string; aliases: string[] } | undefined {
  const ids: string[] = [];
  // `CVE 2018-16859`: a space where the dash should be.
  const text = entry.replace(/\bCVE[ _]+(\d{4}-\d{4,})\b/gi, 'CVE-$1');
  for (let token of text.split(/\s+/)) {
    if (!token) continue;
    token = token.replace(/^CVE_/i, 'CVE-');
    const cve = /^CVE-(\d{4})-(\d{4,})(?:-\d+)?$/i.exec(token);
    if (cve) token = `CVE-${cve[1]}-${cve[2]}`;
    if (!ID.test(token)) continue;
    if (!ids.includes(token)) ids.push(token);
  }
  if (ids.length === 0) return undefined;
  const cve = ids.find((i) => i.startsWith('CVE-'));
  const id = cve ?? ids[0]!;
  return { id, aliases: ids.filter((i) => i !== id) };
}

function advisoryUrl(id: string): string | undefined {
  return id.startsWith('CVE-') ? `https://security.alpinelinux.org/vuln/${id}` : undefined;
}

/** Reads the text of a secdb file; throws ShipshapeError('bad-feed') when it does not parse. */
export function parseSecdbText(text: string, format: 'yaml' | 'json', source: string): unknown {
  try {
    // failsafe: every scalar stays a string, so a version key like `1.10` is not read as the number 1.1.
    return format === 'json' ? JSON.parse(text) : parseYaml(text, { schema: 'failsafe' });
  } catch (err) {
    const first = ((err as Error).message ?? String(err)).split('\n')[0];
    throw new ShipshapeError('bad-feed', `${source}: not valid ${format.toUpperCase()}: ${first}`, { cause: err });
  }
}

/** The advisories of one secdb document, plus the namespace it covers. */
export function parseSecdb(text: string, opts: ParseOptions): { namespace: string; advisories: Advisory[] } {
  const doc = documentSchema.safeParse(parseSecdbText(text, opts.format, opts.source));
  if (!doc.success) {
    const issue = doc.error.issues[0];
    throw new ShipshapeError('bad-feed', `${opts.source}: not an Alpine secdb document (${issue?.path.join('.') || 'top level'}: ${issue?.message})`);
  }
  const fromDoc = doc.data.distroversion ? alpineNamespace(doc.data.distroversion) : undefined;
  const namespace = fromDoc ?? opts.namespace;
  if (!namespace) {
    throw new ShipshapeError('bad-feed', `${opts.source}: no release: distroversion "${doc.data.distroversion ?? ''}" is not vX.Y`);
  }

  const advisories: Advisory[] = [];
  const packages = doc.data.packages || [];
  for (const [i, raw] of packages.entries()) {
    const p = packageSchema.safeParse(raw);
    if (!p.success) {
      opts.onWarning?.(`${opts.source}: packages[${i}] skipped: ${p.error.issues[0]?.message ?? 'malformed'}`);
      continue;
    }
    const { name, secfixes } = p.data.pkg;
    const byId = new Map<string, Advisory>();
    for (const [fixed, entries] of Object.entries(secfixes ?? {})) {
      const version = fixed.trim();
      // Version 0 means the release never shipped an affected version: not an advisory.
      if (version === '0') continue;
      const list = Array.isArray(entries) ? entries : typeof entries === 'string' && entries ? [entries] : [];
      for (const entry of list) {
        if (entry === null) continue;
        const ids = splitEntry(entry);
        if (!ids) {
          opts.onWarning?.(`${opts.source}: ${name} ${version}: no advisory id in "${entry}"`);
          continue;
        }
        const prev = byId.get(ids.id);
        if (prev) {
          // The same id fixed at two versions: keep both; see docs/feeds.md.
          for (const a of ids.aliases) if (!prev.aliases.includes(a)) prev.aliases.push(a);
          if (!prev.ranges.some((r) => r.fixed === version)) prev.ranges.push({ introduced: '0', fixed: version });
          continue;
        }
        const adv: Advisory = {
          id: ids.id,
          aliases: ids.aliases,
          feed: opts.feed ?? FEED_ID,
          namespace,
          package: name,
          scheme: 'apk',
          severity: 'unknown',
          ranges: [{ introduced: '0', fixed: version }],
        };
        const url = (opts.url ?? advisoryUrl)(ids.id);
        if (url) adv.url = url;
        byId.set(ids.id, adv);
        advisories.push(adv);
      }
    }
  }
  return { namespace, advisories };
}
