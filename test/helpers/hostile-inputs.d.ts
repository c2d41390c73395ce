/** Types of hostile-inputs.js (plain JavaScript, shared with bench/hostile.js). */
export interface RawHeaderSpec {
  name: string;
  /** Tar type flag: '0' file, '1' hardlink, '2' symlink, '5' dir, 'L' GNU long name, 'x' PAX ... */
  typeflag?: string;
  linkname?: string;
  mode?: number;
}
export function rawHeader(e: RawHeaderSpec, size: number): Buffer;
export function paxRecord(key: string, value: string): string;
export function unterminatedSectionNamesElf(): Buffer;
