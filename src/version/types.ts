/** The Comparator interface: one implementation per versioning scheme. */

export interface Comparator {
  /** Scheme id, as stored with advisories: apk, deb, ... */
  scheme: string;
  /** -1, 0 or 1. Invalid versions compare as the scheme's own tool would, never throw. */
  compare(a: string, b: string): -1 | 0 | 1;
  /** Whether `v` is a well-formed version of the scheme. */
  valid(v: string): boolean;
  /**
   * Whether `version` meets a requirement in the ecosystem's own syntax (npm ranges, Gem
   * requirements), for feeds that publish requirements instead of OSV events. Optional.
   */
  satisfies?(version: string, requirement: string): boolean;
}
