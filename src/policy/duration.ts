/** Durations in the policy file: a number and a unit, as the schema's DURATION_PATTERN allows. */

const UNIT_MS = { s: 1e3, m: 60e3, h: 3600e3, d: 86400e3, w: 7 * 86400e3 } as const;

/** `90m`, `36h`, `7d`, `2w` → milliseconds; undefined for anything else. */
export function durationMs(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d|w)$/.exec(s.trim());
  return m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : undefined;
}
