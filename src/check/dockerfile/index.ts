/** Public surface of the Dockerfile linter: lint, parse, the rule list and their types. */
export { lintDockerfile, type LintResult } from './lint.js';
export { parseDockerfile } from './parser.js';
export { parseImageRef } from './image-ref.js';
export { RULES } from './rules/registry.js';
export type {
  BaseImage,
  Flag,
  Heredoc,
  ImageReference,
  Instruction,
  KeyValue,
  LintOptions,
  ParseResult,
  ParseWarning,
  Rule,
  RuleContext,
  RuleHit,
  RunInfo,
  ShellCommand,
  Stage,
} from './types.js';
