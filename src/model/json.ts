/** Nesting depth of parsed JSON, measured without recursion: deep documents are refused before recursive code (schemas, walks) meets them. */

/** Most JSON levels accepted in a document from outside: a CycloneDX SBOM nests a few components deep, a VEX less. */
export const MAX_JSON_DEPTH = 128;

/** Whether `value` nests arrays/objects more than `limit` levels deep; an explicit stack, so any depth is safe. */
export function nestedDeeperThan(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
  }
  return false;
}
