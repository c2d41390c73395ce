/**
 * ruby-advisory-db gem advisories, `gems/<gem>/<id>.yml` (https://github.com/rubysec/ruby-advisory-db,
 * schema in its README), → advisories in namespace `rubygems`. `patched_versions` and
 * `unaffected_versions` are lists of Gem::Requirement strings (each a comma-separated
 * conjunction like `~> 5.2.4, >= 5.2.4.3`); a version is affected when it satisfies none of
 * them. The complement of their union is computed with the gem comparator and stored as OSV
 * ranges when it has an OSV form; otherwise the lists are kept as they are in `requirements`
 * and the matcher evaluates them itself.
 */
import { z } from 'zod';
import type { Advisory, Severity } from '../../model/index.js';
import { severityFromScore } from '../cvss/index.js';
import { parseYamlKeepingNumbers } from '../osv/parse.js';
import { requirementsToRanges } from './requirements.js';

export const FEED_ID = 'rubysec';

/** YAML is read with numbers kept as text (so `1.10` stays `1.10`): scores are converted here. */
const score = z
  .union([z.string(), z.number()])
  .nullish()
  .transform((v) => (v === null || v === undefined || v === '' ? undefined : Number(v)))
  .refine((v) => v === undefined || (Number.isFinite(v) && v >= 0 && v <= 10), { message: 'a CVSS score is a number from 0 to 10' });
const text = z.union([z.string(), z.number()]).nullish().transform((v) => (v === null || v === undefined ? undefined : String(v).trim() || undefined));
const requirements = z
  .array(z.union([z.string(), z.number()]).transform((v) => String(v).trim()))
  .nullish()
  .transform((v) => (v ?? []).filter(Boolean));

/** The fields shipshape reads; see the README of ruby-advisory-db for the rest. */
export const RubysecRecord = z.object({
  gem: z.string().min(1),
  cve: text,
  ghsa: text,
  osvdb: text,
  url: text,
  title: text,
  description: text,
  cvss_v2: score,
  cvss_v3: score,
  cvss_v4: score,
  criticality: text,
  platform: text,
  patched_versions: requirements,
  unaffected_versions: requirements,
});
export type RubysecRecord = z.infer<typeof RubysecRecord>;

export interface RubysecParseOptions {
  source: string;
  onWarning?: (message: string) => void;
}

export function parseRubysecRecord(yamlText: string, opts: RubysecParseOptions): Advisory | undefined {
  let raw: unknown;
  try {
    raw = parseYamlKeepingNumbers(yamlText);
  } catch (err) {
    opts.onWarning?.(`${FEED_ID}: ${opts.source}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
    return undefined;
  }
  const parsed = RubysecRecord.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    opts.onWarning?.(`${FEED_ID}: ${opts.source}: not a ruby-advisory-db record: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'schema mismatch'}`);
    return undefined;
  }
  const adv = rubysecToAdvisory(parsed.data, opts.source);
  if (!adv) opts.onWarning?.(`${FEED_ID}: ${opts.source}: every version is patched or unaffected: skipped`);
  return adv;
}

/**
 * The id bundler-audit shows: CVE, else GHSA, else OSVDB, else the file's own name. Undefined
 * when the requirements leave no version affected (the record says nothing is vulnerable, and
 * an advisory without ranges would read as "every version").
 */
export function rubysecToAdvisory(rec: RubysecRecord, source: string): Advisory | undefined {
  const ids = [
    rec.cve ? `CVE-${rec.cve.replace(/^CVE-/i, '')}` : undefined,
    rec.ghsa ? `GHSA-${rec.ghsa.replace(/^GHSA-/i, '')}` : undefined,
    rec.osvdb ? `OSVDB-${rec.osvdb.replace(/^OSVDB-/i, '')}` : undefined,
  ].filter((x): x is string => !!x);
  const fileId = source.split('/').pop()!.replace(/\.ya?ml$/, '');
  const id = ids[0] ?? fileId;
  const adv: Advisory = {
    id,
    aliases: ids.slice(1),
    feed: FEED_ID,
    namespace: 'rubygems',
    package: rec.gem.trim(),
    scheme: 'gem',
    severity: rubysecSeverity(rec),
    ranges: [],
  };
  if (rec.title) adv.title = rec.title;
  if (rec.url) adv.url = rec.url;
  // Affected = satisfying none of the patched and unaffected requirements: as OSV ranges when
  // that complement has an OSV form (nearly always), else the requirement lists as written.
  // No list at all gives [{introduced: '0'}]: every version, said explicitly.
  const ranges = requirementsToRanges([...rec.patched_versions, ...rec.unaffected_versions]);
  if (ranges) {
    if (ranges.length === 0) return undefined;
    adv.ranges = ranges;
  } else {
    adv.requirements = {};
    if (rec.patched_versions.length) adv.requirements.patched = rec.patched_versions;
    if (rec.unaffected_versions.length) adv.requirements.unaffected = rec.unaffected_versions;
  }
  // An advisory for one Ruby platform (jruby) only: the gem comparator cannot see platforms, say so.
  if (rec.platform) adv.title = `${adv.title ?? id} (platform: ${rec.platform})`;
  return adv;
}

/** criticality when given, else the newest CVSS score present (v4, v3, v2). */
function rubysecSeverity(rec: RubysecRecord): Severity {
  const label = rec.criticality?.toLowerCase();
  if (label === 'none') return 'unknown';
  if (label === 'low' || label === 'medium' || label === 'high' || label === 'critical') return label;
  if (rec.cvss_v4 !== undefined) return severityFromScore(rec.cvss_v4, '4.0');
  if (rec.cvss_v3 !== undefined) return severityFromScore(rec.cvss_v3, '3.1');
  if (rec.cvss_v2 !== undefined) return severityFromScore(rec.cvss_v2, '2.0');
  return 'unknown';
}
