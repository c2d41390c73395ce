/**
 * The NVD CVE API 2.0 response (https://nvd.nist.gov/developers/vulnerabilities; JSON schema:
 * https://csrc.nist.gov/schema/nvd/api/2.0/cve_api_json_2.0.schema), validated on every read.
 * Only what scoring uses is typed strictly: a page's envelope, and per CVE its id, dates, status
 * and CVSS metrics; everything else (descriptions, configurations, SSVC, …) may be anything.
 */
import { z } from 'zod';

/** The envelope of one page. Records are checked one at a time (`NvdCve`), so one bad record is a warning. */
export const NvdResponse = z
  .object({
    resultsPerPage: z.number().int().nonnegative(),
    startIndex: z.number().int().nonnegative(),
    totalResults: z.number().int().nonnegative(),
    format: z.literal('NVD_CVE'),
    version: z.literal('2.0'),
    timestamp: z.string(),
    vulnerabilities: z.array(z.object({ cve: z.unknown() }).passthrough()),
  })
  .passthrough();
export type NvdResponse = z.infer<typeof NvdResponse>;

const CvssMetric = z
  .object({
    source: z.string().min(1),
    type: z.enum(['Primary', 'Secondary']),
    cvssData: z.object({ version: z.string(), vectorString: z.string().min(1), baseScore: z.number().min(0).max(10) }).passthrough(),
  })
  .passthrough();
export type NvdCvssMetric = z.infer<typeof CvssMetric>;

/** The metric lists that hold CVSS; `ssvcV203` and other kinds are not scores and are ignored. */
export const CVSS_METRIC_KEYS = ['cvssMetricV40', 'cvssMetricV31', 'cvssMetricV30', 'cvssMetricV2'] as const;

export const NvdCve = z
  .object({
    id: z.string().regex(/^CVE-\d{4}-\d{4,}$/, 'not a CVE id'),
    lastModified: z.string().min(1),
    vulnStatus: z.string().optional(),
    metrics: z
      .object(Object.fromEntries(CVSS_METRIC_KEYS.map((k) => [k, z.array(CvssMetric).optional()])) as Record<(typeof CVSS_METRIC_KEYS)[number], z.ZodOptional<z.ZodArray<typeof CvssMetric>>>)
      .passthrough()
      .optional(),
  })
  .passthrough();
export type NvdCve = z.infer<typeof NvdCve>;
