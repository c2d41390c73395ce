/** The Check interface: hygiene checks on the image itself (config and filesystem), not its packages. */
import type { EntryMeta, FileView, ImageConfig, ImageRef, LayerIndex } from '../image/types.js';
import type { Finding, OsInfo, Package, Severity } from '../model/index.js';

export interface CheckOptions {
  /** `stale-image`: images created longer ago than this many days fail (default 90). */
  maxImageAgeDays: number;
}

/** Everything a check may look at; gathered in the scan's single pass over the layers. */
export interface ImageFacts {
  ref: ImageRef;
  config: ImageConfig;
  files: FileView;
  /** Per-layer indexes, in order: files deleted by a later layer are still in them. */
  layers: LayerIndex[];
  os: OsInfo | null;
  packages: Package[];
  now: Date;
  options: CheckOptions;
  /** With --check-registry: the tags of the repository the image names as its base. */
  baseTags?: { base: string; tags: string[] };
}

export interface Check {
  /** kebab-case id, shown in output and used in --checks and policy switches. */
  id: string;
  severity: Severity;
  title: string;
  remediation: string;
  url: string;
  /** Paths whose content the check needs kept during the layer pass (optional). */
  wants?(path: string, entry: EntryMeta): boolean;
  run(img: ImageFacts): Finding[];
}
