/**
 * Reads `shipshape.yaml`: parses the YAML, validates it against the policy JSON Schema, and turns
 * the first problem into one line naming file:line:column; then reads the VEX documents it lists.
 */
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type Ajv2020Module from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import type addFormatsModule from 'ajv-formats';
import type * as YamlLib from 'yaml';
import type { Document, Node } from 'yaml';
import { ShipshapeError } from '../errors.js';
import { parseSeverity } from '../model/index.js';
import { durationMs } from './duration.js';
import { policySchema } from './schema.js';
import { emptyPolicy, type IgnoreRule, type NoDataAction, type Policy } from './types.js';
import { parseVex } from './vex.js';

// yaml and ajv (both CommonJS) are loaded on first use: every scan imports this module to look
// for ./shipshape.yaml, and loading them costs a warm scan more than node's own start-up
// (docs/performance.md).
const requireCjs = createRequire(import.meta.url);
let yamlLib: typeof YamlLib | undefined;
const yaml = (): typeof YamlLib => (yamlLib ??= requireCjs('yaml') as typeof YamlLib);

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
  const lc = new (yaml().LineCounter)();
  const doc = yaml().parseDocument(text, { lineCounter: lc, keepSourceTokens: true, prettyErrors: true, uniqueKeys: true });
  const at = (offset: number) => {
    const p = lc.linePos(offset);
    return `${file}:${p.line}:${p.col}`;
  };
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const where = e.linePos ? `${file}:${e.linePos[0].line}:${e.linePos[0].col}` : at(e.pos[0]);
    // yaml's message ends with " at line L, column C:" and a snippet; the position is already in front.
    const msg = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new ShipshapeError('bad-policy', `${where}: invalid YAML: ${msg}`);
  }
  const data: unknown = doc.contents === null ? {} : doc.toJS();
  const validate = validatePolicy();
  if (!validate(data)) {
    const e = validate.errors![0]!;
    throw new ShipshapeError('bad-policy', `${at(offsetOf(doc, e))}: ${describe(e)}`);
  }
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

/** The YAML node at a JSON-pointer-like path of keys and indexes, or undefined. */
function nodeAt(doc: Document, segments: string[]): Node | undefined {
  let node: unknown = doc.contents;
  for (const seg of segments) {
    if (yaml().isMap(node)) {
      const pair = node.items.find((p) => yaml().isScalar(p.key) && String(p.key.value) === seg);
      if (!pair) return undefined;
      node = pair.value ?? pair.key;
    } else if (yaml().isSeq(node)) {
      node = node.items[Number(seg)];
    } else {
      return undefined;
    }
  }
  return node as Node | undefined;
}

function segmentsOf(instancePath: string): string[] {
  return instancePath === '' ? [] : instancePath.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Where an ajv error points in the file: the offending key for unknown keys, else the value. */
function offsetOf(doc: Document, e: ErrorObject): number {
  const segs = segmentsOf(e.instancePath);
  const node = nodeAt(doc, segs);
  if (e.keyword === 'additionalProperties' && yaml().isMap(node)) {
    const key = (e.params as { additionalProperty: string }).additionalProperty;
    const pair = node.items.find((p) => yaml().isScalar(p.key) && String(p.key.value) === key);
    const k = pair?.key as Node | undefined;
    if (k?.range) return k.range[0];
  }
  return node?.range?.[0] ?? 0;
}

/** `ignore[0].expires` for `/ignore/0/expires`. */
function label(instancePath: string): string {
  const segs = segmentsOf(instancePath);
  if (segs.length === 0) return 'the policy';
  return segs.map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

function shown(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return `the string ${JSON.stringify(v)}`;
  return `${typeof v} ${String(v)}`;
}

/** One line saying what is wrong, in the file's terms. */
function describe(e: ErrorObject): string {
  const where = label(e.instancePath);
  const value = e.data;
  switch (e.keyword) {
    case 'additionalProperties': {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      const known = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return `unknown key "${key}"${e.instancePath ? ` in ${where}` : ''} (known: ${known.join(', ')})`;
    }
    case 'type': {
      const t = (e.params as { type: string }).type;
      const want = t === 'object' ? 'a mapping' : t === 'array' ? 'a list' : t === 'integer' ? 'an integer' : `a ${t}`;
      return `${where} must be ${want}, not ${shown(value)}`;
    }
    case 'enum': {
      const allowed = (e.params as { allowedValues: string[] }).allowedValues;
      if (e.schemaPath.includes('failOn')) {
        return `${where}: unknown severity ${JSON.stringify(value)} (one of: ${allowed.filter((a) => a === a.toLowerCase()).join(', ')})`;
      }
      return `${where} must be one of ${allowed.join(', ')}, not ${shown(value)}`;
    }
    case 'format':
      return `${where}: invalid date ${JSON.stringify(value)} (expected a real date as YYYY-MM-DD)`;
    case 'pattern':
      return `${where}: invalid duration ${JSON.stringify(value)} (a number and a unit: 90m, 36h, 7d, 2w)`;
    case 'required':
      return `${where}: missing "${(e.params as { missingProperty: string }).missingProperty}" (every ignore entry needs an id and a reason)`;
    case 'minLength':
      return `${where} must not be empty`;
    default:
      return `${where} ${e.message ?? 'is invalid'}`;
  }
}
