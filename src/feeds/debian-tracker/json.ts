/** Parses the security tracker's JSON export (tracker/data/json): source package → issue → release → status. */
import { z } from 'zod';
import { ShipshapeError } from '../../errors.js';

/*
 * https://security-tracker.debian.org/tracker/data/json has no published schema; this is the shape
 * the tracker serves (and vunnel's fixture shows): { srcpkg: { "CVE-…": { description?, scope?,
 * debianbug?, releases: { codename: { status: resolved|open|undetermined, repositories,
 * fixed_version?, urgency, nodsa?, nodsa_reason? } } } } }. An empty `releases` is sometimes `[]`.
 */
const releaseSchema = z.object({
  status: z.string(),
  fixed_version: z.string().optional(),
  urgency: z.string().optional(),
  nodsa: z.string().optional(),
  nodsa_reason: z.string().optional(),
});

const issueSchema = z.object({
  description: z.string().optional(),
  releases: z.union([z.record(z.unknown()), z.array(z.unknown())]).optional(),
});

export interface JsonRecord {
  package: string;
  id: string;
  release: string;
  status: string;
  fixedVersion?: string;
  urgency?: string;
  nodsa?: string;
  nodsaReason?: string;
  description?: string;
}

/** Flattens the export into one record per (package, issue, release). Malformed issues become warnings. */
export function parseTrackerJson(text: string, source: string, onWarning?: (m: string) => void): JsonRecord[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ShipshapeError('bad-feed', `${source}: not valid JSON: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    throw new ShipshapeError('bad-feed', `${source}: not a security tracker JSON export (expected an object of source packages)`);
  }
  const out: JsonRecord[] = [];
  let bad = 0;
  for (const [pkg, issues] of Object.entries(doc as Record<string, unknown>)) {
    if (typeof issues !== 'object' || issues === null || Array.isArray(issues)) {
      bad++;
      continue;
    }
    for (const [id, rawIssue] of Object.entries(issues as Record<string, unknown>)) {
      const issue = issueSchema.safeParse(rawIssue);
      if (!issue.success) {
        bad++;
        continue;
      }
      const releases = issue.data.releases;
      if (!releases || Array.isArray(releases)) continue;
      for (const [release, rawRel] of Object.entries(releases)) {
        const rel = releaseSchema.safeParse(rawRel);
        if (!rel.success) {
          bad++;
          continue;
        }
        const r: JsonRecord = { package: pkg, id, release, status: rel.data.status };
        if (rel.data.fixed_version !== undefined) r.fixedVersion = rel.data.fixed_version;
        if (rel.data.urgency !== undefined) r.urgency = rel.data.urgency;
        if (rel.data.nodsa !== undefined) r.nodsa = rel.data.nodsa;
        if (rel.data.nodsa_reason !== undefined) r.nodsaReason = rel.data.nodsa_reason;
        if (issue.data.description) r.description = issue.data.description;
        out.push(r);
      }
    }
  }
  if (bad > 0) onWarning?.(`${source}: ${bad} malformed package, issue or release record(s) skipped`);
  return out;
}
