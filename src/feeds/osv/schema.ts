/**
 * The OSV record schema (https://ossf.github.io/osv-schema/, JSON schema:
 * https://github.com/ossf/osv-schema/blob/main/validation/schema.json), validated on every read.
 * Only what shipshape uses is typed strictly; everything else may be anything, as the spec allows.
 */
import { z } from 'zod';

/** Some producers write `null` for an absent list or object: treat it as absent. */
const opt = <T extends z.ZodTypeAny>(t: T) => t.nullish().transform((v) => v ?? undefined);

/** One event of a range: exactly one of introduced, fixed, last_affected, limit. */
export const OsvEvent = z
  .object({
    introduced: z.string().optional(),
    fixed: z.string().optional(),
    last_affected: z.string().optional(),
    limit: z.string().optional(),
  })
  .refine((e) => [e.introduced, e.fixed, e.last_affected, e.limit].filter((x) => x !== undefined).length === 1, {
    message: 'an event must hold exactly one of introduced, fixed, last_affected, limit',
  });
export type OsvEvent = z.infer<typeof OsvEvent>;

export const OsvRange = z.object({
  type: z.string(), // GIT | SEMVER | ECOSYSTEM (others are unknown to us and skipped)
  repo: opt(z.string()),
  events: z.array(OsvEvent).min(1),
});
export type OsvRange = z.infer<typeof OsvRange>;

export const OsvSeverity = z.object({
  type: z.string(), // CVSS_V2 | CVSS_V3 | CVSS_V4 | Ubuntu
  score: z.string(),
});
export type OsvSeverity = z.infer<typeof OsvSeverity>;

const AnyObject = z.record(z.unknown());

export const OsvAffected = z.object({
  package: opt(
    z.object({
      ecosystem: z.string().min(1),
      name: z.string().min(1),
      purl: opt(z.string()),
    }),
  ),
  severity: opt(z.array(OsvSeverity)),
  ranges: opt(z.array(OsvRange)),
  versions: opt(z.array(z.string())),
  ecosystem_specific: opt(AnyObject),
  database_specific: opt(AnyObject),
});
export type OsvAffected = z.infer<typeof OsvAffected>;

export const OsvRecord = z.object({
  schema_version: opt(z.string()),
  id: z.string().min(1),
  modified: z.string(),
  published: opt(z.string()),
  withdrawn: opt(z.string()),
  aliases: opt(z.array(z.string())),
  related: opt(z.array(z.string())),
  summary: opt(z.string()),
  details: opt(z.string()),
  severity: opt(z.array(OsvSeverity)),
  affected: opt(z.array(OsvAffected)),
  references: opt(z.array(z.object({ type: z.string(), url: z.string() }))),
  database_specific: opt(AnyObject),
});
export type OsvRecord = z.infer<typeof OsvRecord>;
