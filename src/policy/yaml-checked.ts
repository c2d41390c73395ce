/**
 * YAML documents checked against a JSON Schema (ajv): parses with positions, validates, and turns
 * the first problem into one line naming file:line:column. Shared by `shipshape.yaml` and `admission.yaml`.
 */
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import type * as YamlLib from 'yaml';
import type { Document, Node } from 'yaml';
import { ShipshapeError } from '../errors.js';

// yaml (CommonJS) is loaded on first use: a scan without a policy file never pays for it (docs/performance.md).
const requireCjs = createRequire(import.meta.url);
let yamlLib: typeof YamlLib | undefined;
const yaml = (): typeof YamlLib => (yamlLib ??= requireCjs('yaml') as typeof YamlLib);

export interface CheckedYaml {
  data: unknown;
  doc: Document;
  /** `file:line:column` of an offset in the text. */
  at: (offset: number) => string;
}

/** Parses `text` and validates it; throws bad-policy with one line; `whole` names the document in messages ("the policy"). */
export function parseYamlChecked(text: string, file: string, validate: ValidateFunction, whole: string): CheckedYaml {
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
    let msg = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    // The yaml parser recurses per nesting level: say what is wrong with the file, not with the stack.
    if (/Maximum call stack size exceeded/.test(msg)) msg = 'nested too deeply (thousands of levels)';
    throw new ShipshapeError('bad-policy', `${where}: invalid YAML: ${msg}`);
  }
  const data: unknown = doc.contents === null ? {} : doc.toJS();
  if (!validate(data)) {
    const e = validate.errors![0]!;
    throw new ShipshapeError('bad-policy', `${at(offsetOf(doc, e))}: ${describe(e, whole)}`);
  }
  return { data, doc, at };
}

/** The YAML node at a JSON-pointer-like path of keys and indexes, or undefined. */
export function nodeAt(doc: Document, segments: string[]): Node | undefined {
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
function label(instancePath: string, whole: string): string {
  const segs = segmentsOf(instancePath);
  if (segs.length === 0) return whole;
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
function describe(e: ErrorObject, whole: string): string {
  const where = label(e.instancePath, whole);
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
      if (allowed.includes('critical')) {
        return `${where}: unknown severity ${JSON.stringify(value)} (one of: ${allowed.filter((a) => a === a.toLowerCase()).join(', ')})`;
      }
      return `${where} must be one of ${allowed.join(', ')}, not ${shown(value)}`;
    }
    case 'format':
      return `${where}: invalid date ${JSON.stringify(value)} (expected a real date as YYYY-MM-DD)`;
    case 'pattern':
      return `${where}: invalid duration ${JSON.stringify(value)} (a number and a unit: 90m, 36h, 7d, 2w)`;
    case 'required':
      return `${where}: missing "${(e.params as { missingProperty: string }).missingProperty}"${e.instancePath.startsWith('/ignore/') ? ' (every ignore entry needs an id and a reason)' : ''}`;
    case 'minLength':
      return `${where} must not be empty`;
    default:
      return `${where} ${e.message ?? 'is invalid'}`;
  }
}
