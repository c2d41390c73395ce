/** Shared by root-user and missing-user: the USER in effect in the final image. */
import type { Instruction, RuleContext } from '../types.js';
import { finalInstructions } from './helpers.js';

/** The last USER of the final stage, else of the stages it inherits through `FROM <stage>`. */
export function effectiveUser(ctx: RuleContext): Instruction | undefined {
  for (const instructions of finalInstructions(ctx)) {
    for (let k = instructions.length - 1; k >= 0; k--) if (instructions[k]!.keyword === 'USER') return instructions[k];
  }
  return undefined;
}

/** `root`, `0`, `root:group`, `0:0`: the user part decides. Variables cannot be judged and count as non-root. */
export function isRootUser(spec: string): boolean {
  const word = spec.trim().split(/[ \t]+/)[0] ?? '';
  const user = word.split(':')[0];
  return user === 'root' || user === '0';
}
