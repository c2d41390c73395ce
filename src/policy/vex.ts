/**
 * Reads VEX documents into VexStatements: OpenVEX (https://github.com/openvex/spec, v0.0.1 and
 * v0.2.0 shapes) and CycloneDX VEX (a BOM whose `vulnerabilities[].analysis` says the state,
 * https://cyclonedx.org/docs/1.6/json/#vulnerabilities). Also: purl parsing and matching.
 */
import { createRequire } from 'node:module';
import type Ajv2020Module from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import { ShipshapeError } from '../errors.js';
import { MAX_JSON_DEPTH, nestedDeeperThan } from '../model/index.js';
import type { VexProduct, VexStatement, VexStatus } from './types.js';

const OPENVEX_STATUSES = ['not_affected', 'affected', 'fixed', 'under_investigation'] as const;

/** CycloneDX analysis states in OpenVEX's words: only not_affected and fixed suppress. */
const CDX_STATES: Record<string, VexStatus> = {
  not_affected: 'not_affected',
  false_positive: 'not_affected',
  resolved: 'fixed',
  resolved_with_pedigree: 'fixed',
  exploitable: 'affected',
  in_triage: 'under_investigation',
};

const str = { type: 'string' };
const ref = { anyOf: [str, { type: 'object', properties: { '@id': str } }] };

// The parts of OpenVEX we read; other fields are allowed, as the spec lets documents carry more.
const openVexSchema = {
  type: 'object',
  required: ['statements'],
  properties: {
    timestamp: str,
    statements: {
      type: 'array',
      items: {
        type: 'object',
        required: ['vulnerability', 'status'],
        properties: {
          vulnerability: {
            anyOf: [
              { type: 'string', minLength: 1 },
              { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1 }, aliases: { type: 'array', items: str } } },
            ],
          },
          products: {
            type: 'array',
            items: {
              anyOf: [
                str,
                {
                  type: 'object',
                  properties: {
                    '@id': str,
                    identifiers: { type: 'object', properties: { purl: str } },
                    hashes: { type: 'object' },
                    subcomponents: { type: 'array', items: ref },
                  },
                },
              ],
            },
          },
          subcomponents: { type: 'array', items: ref },
          status: { enum: OPENVEX_STATUSES },
          justification: str,
          impact_statement: str,
          status_notes: str,
          timestamp: str,
        },
      },
    },
  },
};

const cdxComponent = { type: 'object', properties: { 'bom-ref': str, purl: str, type: str, components: { type: 'array' } } };

const cycloneDxSchema = {
  type: 'object',
  required: ['bomFormat'],
  properties: {
    metadata: { type: 'object', properties: { timestamp: str, component: cdxComponent } },
    components: { type: 'array', items: cdxComponent },
    vulnerabilities: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id'],
        properties: {
          id: { type: 'string', minLength: 1 },
          references: { type: 'array', items: { type: 'object', properties: { id: str } } },
          analysis: {
            type: 'object',
            properties: {
              state: { enum: Object.keys(CDX_STATES) },
              justification: str,
              detail: str,
              lastUpdated: str,
              firstIssued: str,
            },
          },
          affects: { type: 'array', items: { type: 'object', required: ['ref'], properties: { ref: str } } },
          updated: str,
          published: str,
        },
      },
    },
  },
};

// Compiled on first use: most scans read no VEX document, and ajv's code generation costs a
// noticeable part of a warm scan's start-up (docs/performance.md).
let validators: { openVex: ValidateFunction; cycloneDx: ValidateFunction } | undefined;
function vexValidators(): { openVex: ValidateFunction; cycloneDx: ValidateFunction } {
  if (!validators) {
    // ajv (CommonJS) itself is loaded here too, not at import: applyPolicy imports this module.
    const Ajv2020 = (createRequire(import.meta.url)('ajv/dist/2020.js') as typeof Ajv2020Module).default;
    const ajv = new Ajv2020({ allErrors: false, strict: false });
    validators = { openVex: ajv.compile(openVexSchema), cycloneDx: ajv.compile(cycloneDxSchema) };
  }
  return validators;
}

/** Parses one VEX document; throws bad-policy naming `source` for anything unreadable. */
export function parseVex(text: string, source: string): VexStatement[] {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ShipshapeError('bad-policy', `${source}: not valid JSON (${jsonErrorWhere(text, err as Error)})`, { cause: err });
  }
  if (nestedDeeperThan(doc, MAX_JSON_DEPTH)) throw new ShipshapeError('bad-policy', `${source}: JSON nested more than ${MAX_JSON_DEPTH} levels deep (limit for a VEX document)`);
  const o = doc as Record<string, unknown> | null;
  if (o && typeof o === 'object' && typeof o['@context'] === 'string' && o['@context'].startsWith('https://openvex.dev/ns')) {
    return openVex(o, source);
  }
  if (o && typeof o === 'object' && o.bomFormat === 'CycloneDX') return cycloneDx(o, source);
  throw new ShipshapeError(
    'bad-policy',
    `${source}: not a VEX document this version reads (expected OpenVEX, "@context": "https://openvex.dev/ns/…", or CycloneDX, "bomFormat": "CycloneDX")`,
  );
}

function jsonErrorWhere(text: string, err: Error): string {
  // V8 gives a position for some errors only; its message may quote the input, newlines and all.
  const msg = err.message.replace(/\s+/g, ' ').slice(0, 120);
  const m = /at position (\d+)/.exec(err.message);
  if (!m) return msg;
  const before = text.slice(0, Number(m[1]));
  const line = before.split('\n').length;
  const column = Number(m[1]) - before.lastIndexOf('\n');
  return `line ${line}, column ${column}: ${msg}`;
}

function schemaProblem(source: string, format: string, errors: ErrorObject[] | null | undefined): ShipshapeError {
  const e = errors?.[0];
  const where = e?.instancePath ? e.instancePath.slice(1) : 'the document';
  const what = e?.keyword === 'enum' ? `must be one of ${(e.params as { allowedValues: string[] }).allowedValues.join(', ')}` : (e?.message ?? 'invalid');
  return new ShipshapeError('bad-policy', `${source}: invalid ${format} document: ${where} ${what}`);
}

type Json = Record<string, unknown>;

function refId(r: unknown): string | undefined {
  if (typeof r === 'string') return r;
  const id = (r as Json | undefined)?.['@id'];
  return typeof id === 'string' ? id : undefined;
}

function openVex(doc: Json, source: string): VexStatement[] {
  const validateOpenVex = vexValidators().openVex;
  if (!validateOpenVex(doc)) throw schemaProblem(source, 'OpenVEX', validateOpenVex.errors);
  const docTime = typeof doc.timestamp === 'string' ? doc.timestamp : undefined;
  return (doc.statements as Json[]).map((s) => {
    const vuln = s.vulnerability;
    const name = typeof vuln === 'string' ? vuln : ((vuln as Json).name as string);
    const aliases = typeof vuln === 'string' ? [] : (((vuln as Json).aliases as string[] | undefined) ?? []);
    // v0.0.1 put subcomponents on the statement; v0.2.0 puts them on each product.
    const shared = ((s.subcomponents as unknown[] | undefined) ?? []).map(refId).filter((x): x is string => !!x);
    const products = ((s.products as unknown[] | undefined) ?? []).flatMap((p): VexProduct[] => {
      if (typeof p === 'string') return [product(p, shared)];
      const po = p as Json;
      const subs = [...shared, ...((po.subcomponents as unknown[] | undefined) ?? []).map(refId).filter((x): x is string => !!x)];
      const ids = [po['@id'], (po.identifiers as Json | undefined)?.purl].filter((x): x is string => typeof x === 'string');
      const sha = (po.hashes as Json | undefined)?.['sha-256'];
      if (typeof sha === 'string') ids.push(`sha256:${sha}`);
      return ids.map((id) => product(id, subs));
    });
    const notes = [s.impact_statement, s.status_notes].filter((x): x is string => typeof x === 'string' && x !== '');
    const ts = typeof s.timestamp === 'string' ? s.timestamp : docTime;
    return {
      vulnerability: name,
      aliases,
      products,
      status: s.status as VexStatus,
      originalStatus: s.status as string,
      ...(typeof s.justification === 'string' ? { justification: s.justification } : {}),
      ...(notes.length ? { statement: notes.join('; ') } : {}),
      ...(ts ? { timestamp: ts } : {}),
      source,
    };
  });
}

function cycloneDx(doc: Json, source: string): VexStatement[] {
  const validateCycloneDx = vexValidators().cycloneDx;
  if (!validateCycloneDx(doc)) throw schemaProblem(source, 'CycloneDX', validateCycloneDx.errors);
  // bom-ref → the identifiers of that component, so `affects[].ref` can name the image or a package.
  const refs = new Map<string, string[]>();
  const meta = doc.metadata as Json | undefined;
  // Components and their sub-components in document order (depth first), through an explicit
  // stack: no recursion on input depth. A later bom-ref wins, as before.
  const todo: Array<Json | undefined> = [meta?.component as Json | undefined, ...((doc.components as Json[] | undefined) ?? [])].reverse();
  while (todo.length) {
    const c = todo.pop();
    if (!c || typeof c !== 'object') continue;
    const ids: string[] = [];
    if (typeof c.purl === 'string') ids.push(c.purl);
    if (c.type === 'container' && Array.isArray(c.hashes)) {
      for (const h of c.hashes as Json[]) if (h.alg === 'SHA-256' && typeof h.content === 'string') ids.push(`sha256:${h.content}`);
    }
    if (typeof c['bom-ref'] === 'string') refs.set(c['bom-ref'], ids.length ? ids : [c['bom-ref']]);
    const subs = (c.components as Json[] | undefined) ?? [];
    for (let i = subs.length - 1; i >= 0; i--) todo.push(subs[i]);
  }

  const vulns = ((doc.vulnerabilities as Json[] | undefined) ?? []).filter((v) => (v.analysis as Json | undefined)?.state !== undefined);
  if (vulns.length === 0) {
    throw new ShipshapeError('bad-policy', `${source}: a CycloneDX document without vulnerabilities[].analysis.state is not a VEX`);
  }
  const docTime = typeof meta?.timestamp === 'string' ? meta.timestamp : undefined;
  return vulns.map((v) => {
    const a = v.analysis as Json;
    const products = ((v.affects as Json[] | undefined) ?? []).flatMap((af) => {
      // A BOM-Link (urn:cdx:serial/version#bom-ref) points into another BOM: keep its bom-ref part.
      const r = af.ref as string;
      const local = r.startsWith('urn:cdx:') && r.includes('#') ? decodeURIComponent(r.slice(r.indexOf('#') + 1)) : r;
      return (refs.get(local) ?? [local]).map((id) => product(id, []));
    });
    const ts = [a.lastUpdated, a.firstIssued, v.updated, v.published].find((x): x is string => typeof x === 'string') ?? docTime;
    return {
      vulnerability: v.id as string,
      aliases: ((v.references as Json[] | undefined) ?? []).map((r) => r.id).filter((x): x is string => typeof x === 'string'),
      products,
      status: CDX_STATES[a.state as string]!,
      originalStatus: a.state as string,
      ...(typeof a.justification === 'string' ? { justification: a.justification } : {}),
      ...(typeof a.detail === 'string' && a.detail ? { statement: a.detail } : {}),
      ...(ts ? { timestamp: ts } : {}),
      source,
    };
  });
}

function product(id: string, subcomponents: string[]): VexProduct {
  const digest = imageDigest(id);
  const p = parsePurl(id);
  return { id, ...(digest ? { digest } : {}), ...(p && p.type !== 'oci' ? { purl: id } : {}), subcomponents };
}

/** The image digest a product identifier names: `sha256:…`, `pkg:oci/name@sha256%3A…`, `repo@sha256:…`. */
export function imageDigest(id: string): string | undefined {
  const p = parsePurl(id);
  if (p && p.type !== 'oci') return undefined;
  const m = /(?:^|@|\/)sha256(?::|%3A)([0-9a-f]{64})(?![0-9a-f])/i.exec(id);
  return m ? `sha256:${m[1]!.toLowerCase()}` : undefined;
}

export interface Purl {
  type: string;
  namespace: string;
  name: string;
  version?: string;
  qualifiers: Record<string, string>;
}

/** Parses `pkg:type/namespace/name@version?qualifiers#subpath` (https://github.com/package-url/purl-spec); undefined if not a purl. */
export function parsePurl(s: string): Purl | undefined {
  if (!s.startsWith('pkg:')) return undefined;
  let rest = s.slice(4).replace(/^\/+/, '');
  const hash = rest.indexOf('#');
  if (hash >= 0) rest = rest.slice(0, hash);
  const qualifiers: Record<string, string> = {};
  const q = rest.indexOf('?');
  if (q >= 0) {
    for (const kv of rest.slice(q + 1).split('&')) {
      const eq = kv.indexOf('=');
      if (eq > 0) qualifiers[kv.slice(0, eq).toLowerCase()] = safeDecode(kv.slice(eq + 1));
    }
    rest = rest.slice(0, q);
  }
  let version: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    version = safeDecode(rest.slice(at + 1));
    rest = rest.slice(0, at);
  }
  const parts = rest.split('/').filter(Boolean);
  if (parts.length < 2) return undefined;
  const type = parts[0]!.toLowerCase();
  const name = safeDecode(parts[parts.length - 1]!);
  const namespace = parts.slice(1, -1).map(safeDecode).join('/');
  return { type, namespace, name, ...(version ? { version } : {}), qualifiers };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/**
 * Does the VEX purl `pattern` name the package purl `actual`? Type, namespace and name must be
 * equal; version only when the pattern has one; the pattern's qualifiers must all be present and equal.
 */
export function purlMatches(pattern: string, actual: string): boolean {
  const p = parsePurl(pattern);
  const a = parsePurl(actual);
  if (!p || !a) return false;
  if (p.type !== a.type || p.namespace !== a.namespace || p.name !== a.name) return false;
  if (p.version !== undefined && p.version !== a.version) return false;
  return Object.entries(p.qualifiers).every(([k, v]) => a.qualifiers[k] === v);
}
