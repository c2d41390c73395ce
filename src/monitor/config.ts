/** The monitor's config file (`monitor.yaml`): parsed, schema-checked, each problem one line naming file:line:column. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { LineCounter, parseDocument, isMap, isSeq, isScalar, type Document, type Node } from 'yaml';
import { z } from 'zod';
import { ShipshapeError } from '../errors.js';
import { durationMs } from '../policy/duration.js';
import { SEVERITIES, type Severity } from '../model/index.js';

const duration = z.string().refine((s) => durationMs(s) !== undefined, { message: 'must be a duration such as 90s, 15m, 6h, 7d' });
const severity = z.enum(SEVERITIES as unknown as [Severity, ...Severity[]]);
const glob = z.string().min(1, 'must not be empty');

/** One watched registry: repositories and tags as globs (`*` within a path segment, `**` across). */
const watchEntry = z
  .object({
    registry: z.string().min(1, 'must not be empty').regex(/^[A-Za-z0-9.-]+(:\d+)?$/, 'must be a registry host[:port], such as 127.0.0.1:5000'),
    insecure: z.boolean().optional(),
    repositories: z.array(glob).min(1, 'must list at least one repository (a name or a glob such as "apps/*")'),
    tags: z.array(glob).min(1, 'must list at least one tag glob ("*" for all)').optional(),
    /** CA certificate file for the registry's TLS. */
    caCert: z.string().optional(),
    /** Names of environment variables holding the registry credentials (never the secrets themselves). */
    usernameEnv: z.string().optional(),
    passwordEnv: z.string().optional(),
  })
  .strict();

const alertEntry = z
  .object({
    url: z.string().url('must be an http(s) URL'),
    /** Slack's incoming-webhook shape ({text, blocks}) or shipshape's JSON (the default). */
    format: z.enum(['json', 'slack']).optional(),
    /** Environment variable holding the HMAC secret for X-Shipshape-Signature. */
    secretEnv: z.string().optional(),
    minSeverity: severity.optional(),
  })
  .strict();

const schema = z
  .object({
    advisoryDb: z.string().min(1, 'must not be empty'),
    watch: z.array(watchEntry).optional(),
    /** Images running in a cluster: `kubectl get pods -A -o json` output and the admission decision log. */
    cluster: z.object({ pods: z.string().optional(), decisionLog: z.string().optional() }).strict().optional(),
    policy: z.string().optional(),
    /** Lowest severity that fails an image's verdict when the policy file does not say (default critical). */
    failOn: severity.optional(),
    store: z.string().optional(),
    /** How often the watch list is checked for new tags and digests. */
    interval: duration.optional(),
    /** How often the advisory database file is looked at for a new build. */
    dbPoll: duration.optional(),
    /** `db update` on a schedule (default every 6h); false turns it off (an outside job updates the file). */
    dbUpdate: z.union([z.literal(false), z.object({ every: duration.optional(), mirror: z.string().url().optional(), feeds: z.array(z.string()).optional() }).strict()]).optional(),
    alerts: z.array(alertEntry).optional(),
    /** Re-attest on a verdict flip with this cosign key (its passphrase from SHIPSHAPE_KEY_PASSWORD). */
    attest: z.object({ key: z.string().min(1) }).strict().optional(),
    cacheDir: z.string().optional(),
    /** Image checks judged again every round from the stored config (the image ages, new releases ship). */
    imageChecks: z.array(z.enum(['stale-image', 'outdated-base'])).optional(),
    /** stale-image: images created longer ago than this are reported (default 90d). */
    maxImageAge: duration.optional(),
    workers: z.number().int().min(0).max(64).optional(),
  })
  .strict();

export type WatchEntry = z.infer<typeof watchEntry>;
export type AlertTarget = z.infer<typeof alertEntry>;

export interface MonitorConfig {
  file: string;
  advisoryDb: string;
  watch: WatchEntry[];
  cluster: { pods?: string; decisionLog?: string };
  policy?: string;
  failOn: Severity;
  store?: string;
  intervalMs: number;
  dbPollMs: number;
  dbUpdate: false | { everyMs: number; mirror?: string; feeds?: string[] };
  alerts: AlertTarget[];
  attestKey?: string;
  cacheDir?: string;
  imageChecks: Array<'stale-image' | 'outdated-base'>;
  maxImageAgeMs: number;
  workers: number;
}

/** Reads and validates a config file; paths in it are relative to the file. */
export function loadConfig(file: string): MonitorConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ShipshapeError('bad-config', `cannot read config ${file}: ${code === 'ENOENT' ? 'no such file' : (code ?? (err as Error).message)}`, { cause: err });
  }
  return parseConfig(text, file);
}

export function parseConfig(text: string, file: string): MonitorConfig {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, uniqueKeys: true, prettyErrors: true });
  const at = (offset: number) => {
    const p = lc.linePos(offset);
    return `${file}:${p.line}:${p.col}`;
  };
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    const msg = e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    throw new ShipshapeError('bad-config', `${at(e.pos[0])}: invalid YAML: ${msg}`);
  }
  const data: unknown = doc.contents === null ? {} : doc.toJS();
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ShipshapeError('bad-config', `${file}: the config must be a mapping with advisoryDb and watch`);
  }
  const r = schema.safeParse(data);
  if (!r.success) {
    // An unknown key is most likely a misspelt known one: say that before the "missing" it causes.
    const issue = r.error.issues.find((i) => i.code === 'unrecognized_keys') ?? r.error.issues[0]!;
    const segs = issue.path.map(String);
    let node = nodeAt(doc, segs);
    let where = segs.map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
    let msg: string;
    if (issue.code === 'unrecognized_keys') {
      const key = issue.keys[0]!;
      const known = Object.keys(shapeAt(segs));
      if (isMap(node)) node = (node.items.find((p) => isScalar(p.key) && String(p.key.value) === key)?.key as Node | undefined) ?? node;
      msg = `unknown key "${key}"${where ? ` in ${where}` : ''}${known.length ? ` (known: ${known.join(', ')})` : ''}`;
    } else if (issue.code === 'invalid_type' && issue.received === 'undefined') {
      const parent = segs.slice(0, -1);
      node = nodeAt(doc, parent);
      msg = `missing "${segs[segs.length - 1]}"${parent.length ? ` in ${label(parent)}` : ''}`;
    } else if (issue.code === 'invalid_type') {
      msg = `${where} must be ${article(issue.expected)}, not ${issue.received}`;
    } else if (issue.code === 'invalid_enum_value') {
      msg = `${where} must be one of ${issue.options.join(', ')}, not ${JSON.stringify(issue.received)}`;
    } else if (issue.code === 'invalid_union') {
      msg = `${where} must be false or a mapping with every, mirror, feeds`;
    } else {
      msg = `${where || 'the config'} ${issue.message}`;
    }
    where = at((node as Node | undefined)?.range?.[0] ?? 0);
    throw new ShipshapeError('bad-config', `${where}: ${msg}`);
  }
  const c = r.data;
  const dir = path.dirname(path.resolve(file));
  const rel = (p: string | undefined) => (p === undefined ? undefined : path.resolve(dir, p));
  const every = c.dbUpdate === false ? undefined : durationMs(c.dbUpdate?.every ?? '6h')!;
  return {
    file,
    advisoryDb: rel(c.advisoryDb)!,
    watch: (c.watch ?? []).map((w) => ({ ...w, ...(w.caCert ? { caCert: rel(w.caCert)! } : {}) })),
    cluster: {
      ...(c.cluster?.pods ? { pods: rel(c.cluster.pods)! } : {}),
      ...(c.cluster?.decisionLog ? { decisionLog: rel(c.cluster.decisionLog)! } : {}),
    },
    ...(c.policy ? { policy: rel(c.policy)! } : {}),
    failOn: c.failOn ?? 'critical',
    ...(c.store ? { store: /^postgres(ql)?:\/\//.test(c.store) ? c.store : rel(c.store)! } : {}),
    intervalMs: durationMs(c.interval ?? '15m')!,
    dbPollMs: durationMs(c.dbPoll ?? '60s')!,
    dbUpdate:
      c.dbUpdate === false
        ? false
        : { everyMs: every!, ...(c.dbUpdate?.mirror ? { mirror: c.dbUpdate.mirror } : {}), ...(c.dbUpdate?.feeds ? { feeds: c.dbUpdate.feeds } : {}) },
    alerts: c.alerts ?? [],
    ...(c.attest ? { attestKey: rel(c.attest.key)! } : {}),
    ...(c.cacheDir ? { cacheDir: rel(c.cacheDir)! } : {}),
    imageChecks: c.imageChecks ?? ['stale-image', 'outdated-base'],
    maxImageAgeMs: durationMs(c.maxImageAge ?? '90d')!,
    workers: c.workers ?? 2,
  };
}

function label(segs: string[]): string {
  return segs.map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

function article(t: string): string {
  if (t === 'object') return 'a mapping';
  if (t === 'array') return 'a list';
  return /^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`;
}

/** The keys the schema knows at a path, for "unknown key" messages. */
function shapeAt(segs: string[]): Record<string, unknown> {
  let s: z.ZodTypeAny = schema;
  for (const seg of segs) {
    while (s instanceof z.ZodOptional || s instanceof z.ZodUnion) s = s instanceof z.ZodOptional ? s.unwrap() : (s.options as z.ZodTypeAny[]).find((o) => o instanceof z.ZodObject) ?? s;
    if (s instanceof z.ZodArray) s = s.element;
    else if (s instanceof z.ZodObject) s = (s.shape as Record<string, z.ZodTypeAny>)[seg] ?? s;
  }
  while (s instanceof z.ZodOptional || s instanceof z.ZodUnion) s = s instanceof z.ZodOptional ? s.unwrap() : (s.options as z.ZodTypeAny[]).find((o) => o instanceof z.ZodObject) ?? s;
  return s instanceof z.ZodObject ? (s.shape as Record<string, unknown>) : {};
}

function nodeAt(doc: Document, segments: string[]): Node | undefined {
  let node: unknown = doc.contents;
  for (const seg of segments) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === seg);
      if (!pair) return node as Node;
      node = pair.value ?? pair.key;
    } else if (isSeq(node)) {
      node = node.items[Number(seg)] ?? node;
    } else {
      return node as Node | undefined;
    }
  }
  return node as Node | undefined;
}
