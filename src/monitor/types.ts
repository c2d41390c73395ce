/** Plain types of the monitor: watched references, stored judgements, events, jobs. */
import type { OsInfo, Package, ScanReport, Severity, Suppression } from '../model/index.js';

export type RefSource = 'registry' | 'kubectl' | 'admission';

/** A reference the monitor watches and the digest it last resolved to. */
export interface WatchedRef {
  ref: string; // 127.0.0.1:5000/apps/app:v1 (or …@sha256: for a pod that names a digest)
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
  source: RefSource;
  /** Where it runs: `namespace/pod` (kubectl) or `namespace` (decision log). */
  running?: string[];
}

/** What the store keeps of an image's inventory: shipshape's own SBOM (the packages a CycloneDX SBOM is rendered from). */
export interface StoredSbom {
  schema: 1;
  os: OsInfo | null;
  packages: Package[];
}

/** What the image checks judged each round need from the image config. */
export interface StoredConfig {
  created?: string;
  labels?: Record<string, string>;
}

/** One finding as the monitor keeps it: a vulnerability of one package at one place. */
export interface MonitoredFinding {
  /** id + package + place: what stays equal between rounds for the same finding. */
  fkey: string;
  id: string;
  aliases: string[];
  severity: Severity;
  package?: string;
  version?: string;
  type?: string;
  fixedIn: string | null;
  path?: string;
  url?: string;
  title?: string;
  suppressed: { kind: Suppression['kind']; reason: string; expires?: string } | null;
}

export type Counts = Record<Severity, number>;

/** One image judged against one database: findings (suppressed ones marked), the verdict, counts of active findings. */
export interface Judgement {
  findings: MonitoredFinding[];
  verdict: 'pass' | 'fail';
  reasons: string[];
  counts: Counts;
  db: { digest: string; builtAt: string };
  /** sha256 over the findings (keys, severities, fixes, suppressions): equal sets, equal signatures. */
  signature: string;
  /** The report the judgement was read from (not stored): what a re-attestation signs. */
  report?: ScanReport;
}

export type EventKind = 'scanned' | 'new' | 'fixed' | 'suppressed' | 'expired' | 'verdict' | 'error' | 'attested';

export interface MonitorEvent {
  digest: string;
  kind: EventKind;
  /** The finding's key, or '' for image-level events. */
  fkey: string;
  findingId?: string;
  severity?: Severity;
  detail?: Record<string, unknown>;
}

export type JobKind = 'scan' | 'rematch';

export interface JobSpec {
  /** Idempotency key: enqueueing the same key twice makes one job. */
  key: string;
  kind: JobKind;
  payload: Record<string, unknown>;
  roundId: number;
  maxAttempts?: number;
}

export interface Job extends Required<JobSpec> {
  id: number;
  attempts: number;
}
