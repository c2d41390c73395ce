/**
 * Reads `shipshape.yaml`: parses the YAML, validates it against the policy JSON Schema, and turns
 * the first problem into one line naming file:line:column; then reads the VEX documents it lists.
 */
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type Ajv2020Module from 'ajv/dist/2020.js';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import type addFormatsModule from 'ajv-formats';
import type { Document } from 'yaml';
import { ShipshapeError } from '../errors.js';
import { parseSeverity } from '../model/index.js';
import { durationMs } from './duration.js';
import { policySchema } from './schema.js';
import { emptyPolicy, type IgnoreRule, type NoDataAction, type Policy } from './types.js';
import { parseVex } from './vex.js';
import { nodeAt, parseYamlChecked } from './yaml-checked.js';

// yaml and ajv (both CommonJS) are loaded on first use: every scan imports this module to look
// for ./shipshape.yaml, and loading them costs a warm scan more than node's own start-up
// (docs/performance.md).
const requireCjs = createRequire(import.meta.url);

/** The file a scan picks up from the working directory when no --policy is given. */
export const POLICY_FILE = 'shipshape.yaml';

// Compiled on first use: a scan without a policy file never pays for ajv's code generation
// (a noticeable part of a warm scan's start-up, docs/performance.md).
let policyValidator: ValidateFunction | undefined;
function validatePolicy(): ValidateFunction {
  if (!policyValidator) {
    const Ajv2020 = (requireCjs('ajv/dist/2020.js') as typeof Ajv2020Module).default;
    const addFormats = (requireCjs('ajv-formats') as typeof addFormatsModule).default;
    const ajv = new Ajv2020({ allErrors: false, strict: true, verbose: true });
    addFormats(ajv, ['date']);
    policyValidator = ajv.compile(policySchema);
  }
  return policyValidator;
}

/** The policy file in `dir` (the working directory), or undefined when there is none. */
export function findPolicy(dir: string): string | undefined {
  const p = path.join(dir, POLICY_FILE);
  try {
    return statSync(p).isFile() ? p : undefined;
  } catch {
    return undefined;
  }
}

export interface ParseOptions {
  /** Reads a VEX document (path already resolved against the policy file); default: the file system. */
  readVex?: (file: string) => string;
}

/** Reads and validates a policy file and the VEX documents it names. */
export function loadPolicy(file: string): Policy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ShipshapeError('bad-policy', `cannot read policy file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { cause: err });
  }
  return parsePolicy(text, file);
}

/** Parses policy text; `file` names it in messages and anchors relative VEX paths. */
export function parsePolicy(text: string, file: string, opts: ParseOptions = {}): Policy {
  const { data, doc, at } = parseYamlChecked(text, file, validatePolicy(), 'the policy');
  return normalise(data as PolicyFile, doc, file, at, opts);
}

/** The file as the schema allows it. */
interface PolicyFile {
  failOn?: string;
  failOnUnknown?: boolean;
  ignoreUnfixed?: boolean;
  maxDbAge?: string;
  noData?: NoDataAction;
  checks?: Record<string, boolean | string>;
  allowedRegistries?: string[];
  allowedBaseImages?: string[];
  ignore?: Array<Omit<IgnoreRule, 'where'>>;
  vex?: string[];
}

function normalise(f: PolicyFile, doc: Document, file: string, at: (offset: number) => string, opts: ParseOptions): Policy {
  const p = emptyPolicy();
  p.source = file;
  if (f.failOn !== undefined) p.failOn = parseSeverity(f.failOn)!;
  if (f.failOnUnknown !== undefined) p.failOnUnknown = f.failOnUnknown;
  if (f.ignoreUnfixed !== undefined) p.ignoreUnfixed = f.ignoreUnfixed;
  if (f.maxDbAge !== undefined) p.maxDbAgeMs = durationMs(f.maxDbAge)!;
  if (f.noData !== undefined) p.noData = f.noData;
  for (const [k, v] of Object.entries(f.checks ?? {})) {
    if (k === 'requireMinimal') p.checks.requireMinimal = v as boolean;
    else if (k === 'maxImageAge') p.checks.maxImageAgeMs = durationMs(v as string)!;
    else p.checks.enabled[k] = v as boolean;
  }
  p.allowedRegistries = f.allowedRegistries ?? [];
  p.allowedBaseImages = f.allowedBaseImages ?? [];
  p.ignore = (f.ignore ?? []).map((r, i) => ({ ...r, where: at(nodeAt(doc, ['ignore', String(i)])?.range?.[0] ?? 0) }));
  const dir = path.dirname(file);
  const read = opts.readVex ?? ((f: string) => readFileSync(f, 'utf8'));
  p.vex = (f.vex ?? []).flatMap((rel, i) => {
    const where = at(nodeAt(doc, ['vex', String(i)])?.range?.[0] ?? 0);
    const abs = path.resolve(dir, rel);
    let text: string;
    try {
      text = read(abs);
    } catch (err) {
      throw new ShipshapeError('bad-policy', `${where}: cannot read VEX document ${rel}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
        cause: err,
      });
    }
    try {
      return parseVex(text, rel);
    } catch (err) {
      if (err instanceof ShipshapeError) throw new ShipshapeError('bad-policy', `${where}: ${err.message}`, { cause: err });
      throw err;
    }
  });
  return p;
}

