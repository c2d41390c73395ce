/** The policy as the rest of shipshape sees it: the `shipshape.yaml` file, validated and normalised, with flags merged in. */
import type { Severity } from '../model/index.js';

/** What to do when the database holds no advisories for the image's OS release. */
export type NoDataAction = 'warn' | 'fail';

/** One `ignore:` entry: suppresses the findings it matches until it expires. */
export interface IgnoreRule {
  /** Advisory id or alias (CVE-…, GHSA-…), or a check id (root-user). */
  id: string;
  /** Package name; absent = any package. */
  package?: string;
  /** Glob on the finding's location path (`*`, `**`, `?`); absent = anywhere. */
  path?: string;
  reason: string;
  owner?: string;
  /** YYYY-MM-DD: the entry applies until the END of that day, UTC. */
  expires?: string;
  /** Where the entry was written, for messages: `file:line:column`. */
  where?: string;
}

/** VEX statuses, OpenVEX's words; CycloneDX analysis states are mapped onto them. */
export type VexStatus = 'not_affected' | 'fixed' | 'affected' | 'under_investigation';

/** A product a VEX statement speaks about: the image (by digest) or a package (by purl), with optional subcomponents. */
export interface VexProduct {
  /** The identifier as written (@id, purl or digest). */
  id: string;
  /** sha256:… when the product names an image by digest. */
  digest?: string;
  /** purl when the product is a package. */
  purl?: string;
  /** Package purls inside the product the statement is limited to; empty = the whole product. */
  subcomponents: string[];
}

/** One VEX statement, from an OpenVEX document or a CycloneDX BOM's vulnerabilities, normalised. */
export interface VexStatement {
  vulnerability: string;
  aliases: string[];
  products: VexProduct[];
  status: VexStatus;
  /** The format's own status word (CycloneDX: resolved, false_positive …). */
  originalStatus: string;
  justification?: string;
  /** impact_statement / status_notes (OpenVEX), detail (CycloneDX). */
  statement?: string;
  /** ISO 8601; when two statements speak about the same finding, the latest wins. */
  timestamp?: string;
  /** The VEX file it came from. */
  source: string;
}

/** Per-check switches and check settings (`checks:` in the file). */
export interface CheckPolicy {
  /** check id → on/off; checks not listed are on. */
  enabled: Record<string, boolean>;
  requireMinimal?: boolean;
  /** stale-image: images created longer ago than this fail. */
  maxImageAgeMs?: number;
}

export interface Policy {
  /** The policy file, when there is one (relative VEX paths are resolved against it). */
  source?: string;
  /** Lowest severity that fails the verdict; absent = findings never fail it. */
  failOn?: Severity;
  /** Fail the verdict on vulnerabilities whose severity is unknown (no vendor severity, no CVSS score). */
  failOnUnknown?: boolean;
  ignoreUnfixed?: boolean;
  /** Refuse to scan with a database older than this. */
  maxDbAgeMs?: number;
  noData?: NoDataAction;
  checks: CheckPolicy;
  /** Registries images (and Dockerfile base images) may come from: host[:port][/path prefix]. */
  allowedRegistries: string[];
  /** Base images a Dockerfile may build FROM (references, `*` globs allowed). */
  allowedBaseImages: string[];
  ignore: IgnoreRule[];
  vex: VexStatement[];
  /** Report only these severities (Trivy's --severity; flag only, not in the file). */
  severities?: Severity[];
}

/** A policy with nothing in it: the behaviour without a file. */
export function emptyPolicy(): Policy {
  return { checks: { enabled: {} }, allowedRegistries: [], allowedBaseImages: [], ignore: [], vex: [] };
}
