/** What an SBOM gives the scanner in place of an image: packages, the OS, and what it describes. */
import type { OsInfo, Package, Warning } from '../model/index.js';

export interface SbomContents {
  format: 'cyclonedx' | 'spdx';
  /** `1.6` for CycloneDX, `SPDX-2.3` for SPDX. */
  specVersion: string;
  /** The image the SBOM describes, when it says: its name and manifest digest. */
  subject: { name?: string; digest?: string };
  os: OsInfo | null;
  packages: Package[];
  warnings: Warning[];
}
