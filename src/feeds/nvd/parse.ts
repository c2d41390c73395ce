/**
 * NVD records → CVE scores: reads one API page (plain or gzip JSON), keeps of each CVE only its
 * CVSS metrics, and picks the one score a CVE gets (NVD's own Primary score first).
 */
import { gunzipSync } from 'node:zlib';
import { ShipshapeError } from '../../errors.js';
import type { CveScore } from '../../model/index.js';
import { cvssScore, severityFromScore } from '../cvss/index.js';
import { CVSS_METRIC_KEYS, NvdCve, NvdResponse } from './schema.js';

/** NVD's own analysts; their Primary score is the one NVD shows first. */
export const NVD_SOURCE = 'nvd@nist.gov';
export const FEED_ID = 'nvd';

/** A page holds at most 2,000 CVEs of a few KB each: far below this, which stops a gzip bomb. */
const MAX_PAGE_BYTES = 512 * 1024 * 1024;

/** One CVSS metric as kept between runs: what choosing a score needs, nothing else. */
export interface StoredMetric {
  source: string;
  type: 'Primary' | 'Secondary';
  version: string;
  vector: string;
  score: number;
}

/** A CVE as kept between runs (docs/feeds.md, "NVD"): its last change and its CVSS metrics. */
export interface StoredCve {
  id: string;
  lastModified: string;
  metrics: StoredMetric[];
}

/** Parses one response page; `name` (a file or URL) names it in errors. Gzip is detected by its magic bytes. */
export function readPage(data: Buffer, name: string): NvdResponse {
  let text: string;
  try {
    const raw = data.length >= 2 && data[0] === 0x1f && data[1] === 0x8b ? gunzipSync(data, { maxOutputLength: MAX_PAGE_BYTES }) : data;
    text = raw.toString('utf8');
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? `larger than ${MAX_PAGE_BYTES} bytes once decompressed` : 'truncated or corrupt gzip';
    throw new ShipshapeError('bad-feed', `nvd: ${name}: ${why}`, { cause: err });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ShipshapeError('bad-feed', `nvd: ${name}: not JSON (${(err as Error).message})`, { cause: err });
  }
  const parsed = NvdResponse.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : 'the document';
    throw new ShipshapeError('bad-feed', `nvd: ${name}: not an NVD CVE API 2.0 response: ${where}: ${issue.message}`);
  }
  return parsed.data;
}

/** A CVE NVD rejected: an update drops what was kept of it. */
export interface RejectedCve {
  id: string;
  rejected: true;
}

/**
 * A CVE record trimmed to what is kept, or the rejection of one; undefined after a warning when
 * the record is malformed. A metric whose vector does not parse is left out; one whose published
 * score differs from our calculation of its vector (src/feeds/cvss) is kept, with a warning.
 */
export function trimCve(raw: unknown, warn: (message: string) => void): StoredCve | RejectedCve | undefined {
  const parsed = NvdCve.safeParse(raw);
  if (!parsed.success) {
    const id = typeof (raw as { id?: unknown } | null)?.id === 'string' ? (raw as { id: string }).id : '?';
    const issue = parsed.error.issues[0]!;
    warn(`record ${id} skipped: ${issue.path.join('.') || 'cve'}: ${issue.message}`);
    return undefined;
  }
  const cve = parsed.data;
  if (cve.vulnStatus === 'Rejected') return { id: cve.id, rejected: true };
  const metrics: StoredMetric[] = [];
  for (const key of CVSS_METRIC_KEYS) {
    for (const m of cve.metrics?.[key] ?? []) {
      const vector = m.cvssData.vectorString;
      const computed = cvssScore(vector);
      if (!computed) {
        warn(`${cve.id}: CVSS vector "${vector}" from ${m.source} does not parse: skipped`);
        continue;
      }
      // The published base score is kept; our own calculation only checks it.
      if (Math.abs(computed.score - m.cvssData.baseScore) > 0.05) {
        warn(`${cve.id}: ${m.source} gives ${m.cvssData.baseScore} for ${vector}, which scores ${computed.score}: the published score is kept`);
      }
      metrics.push({ source: m.source, type: m.type, version: computed.version, vector, score: m.cvssData.baseScore });
    }
  }
  return { id: cve.id, lastModified: cve.lastModified, metrics };
}

const VERSION_ORDER = ['4.0', '3.1', '3.0', '2.0'];

/** NVD's Primary score, then another Primary, then a Secondary (a CNA's); the newest CVSS version within each. */
function rank(m: StoredMetric): number {
  const who = m.type === 'Primary' ? (m.source === NVD_SOURCE ? 0 : 1) : 2;
  return who * VERSION_ORDER.length + VERSION_ORDER.indexOf(m.version);
}

/** The score a CVE gets, or undefined when it has none: the best-ranked of its metrics. */
export function scoreOf(cve: StoredCve): CveScore | undefined {
  let best: StoredMetric | undefined;
  for (const m of cve.metrics) if (!best || rank(m) < rank(best)) best = m;
  if (!best) return undefined;
  return {
    id: cve.id,
    cvss: { vector: best.vector, score: best.score, version: best.version, source: best.source },
    severity: severityFromScore(best.score, best.version),
    feed: FEED_ID,
  };
}
