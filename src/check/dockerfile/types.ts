/** Types of the Dockerfile parser (stages, instructions, base images) and of the lint rules. */
import type { Severity } from '../../model/index.js';

/** A `--name=value` (or bare `--name`) flag of an instruction, e.g. `--from=build`, `--mount=type=cache,...`. */
export interface Flag {
  name: string;
  value: string | undefined;
}

/** A heredoc attached to RUN, COPY or ADD (`<<EOF`, `<<-EOF`, `<<"EOF"`). */
export interface Heredoc {
  /** Delimiter word with its quotes removed. */
  name: string;
  /** Body lines, each ending in a newline; leading tabs already stripped for `<<-`. */
  content: string;
  /** `<<-`: leading tabs are stripped from the body and the terminator. */
  chomp: boolean;
  /** False when the delimiter was quoted: the body is not variable-expanded. */
  expand: boolean;
  /** File descriptor prefix (`3<<EOF`), 0 when absent. */
  fd: number;
  /** 1-based line of the first body line, and of the terminator (or the last line when unterminated). */
  startLine: number;
  endLine: number;
  terminated: boolean;
}

/** A key/value pair of ENV, LABEL or ARG; `value` is undefined for `ARG NAME` without a default. */
export interface KeyValue {
  key: string;
  /** The value with quotes and escapes processed but no variable expanded. */
  value: string | undefined;
  /** The value as written (quotes kept). */
  rawValue: string | undefined;
}

export interface Instruction {
  /** Upper-cased instruction keyword: RUN, FROM, COPY ... (unknown ones kept as written, upper-cased). */
  keyword: string;
  /** 1-based lines: from the first line of the instruction to its last continuation or heredoc terminator. */
  startLine: number;
  endLine: number;
  /** The source lines startLine..endLine, verbatim, joined with "\n". */
  original: string;
  /** The logical line: continuations joined, comment lines and escapes at line ends removed. */
  value: string;
  flags: Flag[];
  /** Everything after the keyword and the flags. */
  args: string;
  /** Exec (JSON) form arguments, or null for the shell form. */
  json: string[] | null;
  /** Whitespace-separated arguments (FROM, COPY, ADD, VOLUME, EXPOSE ...), or the JSON array for COPY/ADD. */
  words: string[];
  /** ENV, LABEL and ARG pairs. */
  pairs: KeyValue[];
  heredocs: Heredoc[];
  /** The instruction an ONBUILD wraps. */
  onbuild: Instruction | null;
  /** Index of the stage it belongs to; -1 before the first FROM. */
  stage: number;
}

/** A parsed image reference (distribution reference grammar, Docker Hub defaults). */
export interface ImageReference {
  /** docker.io, ghcr.io, 127.0.0.1:5000 */
  registry: string;
  /** library/alpine on Docker Hub */
  repository: string;
  tag: string | undefined;
  digest: string | undefined;
  /** registry/repository, e.g. docker.io/library/alpine */
  name: string;
}

/** What a FROM (or COPY --from) points at. `raw` is as written, `resolved` after ARG substitution. */
export type BaseImage =
  | ({ kind: 'image'; raw: string; resolved: string } & ImageReference)
  | { kind: 'scratch'; raw: string; resolved: string }
  | { kind: 'stage'; raw: string; resolved: string; stage: number; name: string | undefined }
  /** Depends on a build argument with no default: cannot be judged statically. */
  | { kind: 'unresolved'; raw: string; resolved: string; variables: string[] }
  | { kind: 'invalid'; raw: string; resolved: string; reason: string };

export interface Stage {
  index: number;
  /** Lower-cased `AS` name (BuildKit matches stage names case-insensitively). */
  name: string | undefined;
  base: BaseImage;
  platform: string | undefined;
  /** Line of the FROM instruction. */
  line: number;
  /** The FROM instruction first, then every instruction up to the next FROM. */
  instructions: Instruction[];
  /** COPY --from sources, resolved like a FROM. */
  copyFrom: Array<{ line: number; source: BaseImage }>;
  /** `RUN --mount=...,from=<source>` sources (bind and cache mounts), resolved like COPY --from. */
  mountFrom: Array<{ line: number; source: BaseImage }>;
}

export interface ParseWarning {
  line: number;
  message: string;
}

export interface ParseResult {
  /** Parser directives found at the top: escape, syntax, check. */
  directives: Record<string, string>;
  escape: '\\' | '`';
  /** Every instruction in order, including the ARGs before the first FROM. */
  instructions: Instruction[];
  /** ARGs declared before the first FROM, with their defaults (undefined when none). */
  globalArgs: Record<string, string | undefined>;
  stages: Stage[];
  warnings: ParseWarning[];
}

/** One simple command of a shell script (a RUN line or a heredoc script), words unquoted. */
export interface ShellCommand {
  words: string[];
  /** The command as written, for substring checks. */
  raw: string;
  /** Commands joined by `|` share a pipeline number; `pipePos` is the position inside it. */
  pipeline: number;
  pipePos: number;
  /** 1-based line in the Dockerfile. */
  line: number;
}

/** A RUN (or ONBUILD RUN) with its shell commands, as the rules see it. */
export interface RunInfo {
  instruction: Instruction;
  /** Stage index; -1 for ONBUILD triggers, which run in another build. */
  stage: number;
  onbuild: boolean;
  commands: ShellCommand[];
  /** The RUN's own text plus heredoc scripts, for substring checks. */
  text: string;
}

export interface LintOptions {
  /** The Dockerfile path, used in finding locations. */
  path?: string;
  /** Registries FROM images may come from (docker.io, ghcr.io, *.example.com); unset or empty = any. */
  allowedRegistries?: string[];
  /** Extra minimal bases the final stage may use (globs: `myorg/base`, `registry.example.com/base/*`). */
  allowedBaseImages?: string[];
  /** Rule ids (or Hadolint codes) to skip. */
  disabled?: string[];
}

/** What every rule gets: the parse, the RUN commands, and the options. */
export interface RuleContext {
  parse: ParseResult;
  runs: RunInfo[];
  /** Stage indexes the final image is built from: the last stage and the stages it inherits via FROM. */
  finalLineage: number[];
  options: LintOptions;
}

export interface RuleHit {
  line: number;
  /** What was found, in words; never a secret value. */
  message: string;
  /** Overrides the rule's severity for this hit. */
  severity?: Severity;
}

export interface Rule {
  /** kebab-case id, used as the finding id and in `disabled`. */
  id: string;
  /** The Hadolint code when the rule truly matches one. */
  hadolint?: string;
  severity: Severity;
  title: string;
  remediation: string;
  url: string;
  check(ctx: RuleContext): RuleHit[];
}
