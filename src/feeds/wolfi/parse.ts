/** Parses Wolfi's advisories YAML (`<package>.advisories.yaml`, schema 2.x) and its secdb JSON into advisories. */
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { ShipshapeError } from '../../errors.js';
import type { Advisory } from '../../model/index.js';
import { parseSecdb } from '../alpine-secdb/parse.js';
import { readAdvisoriesFast } from './fast-reader.js';

export const FEED_ID = 'wolfi';
/** Wolfi is one rolling release: one namespace. */
export const WOLFI_NAMESPACE = 'wolfi:rolling';

/*
 * The advisories format: https://github.com/wolfi-dev/advisories (docs/event_types.md), written by
 * wolfictl (https://github.com/wolfi-dev/wolfictl, pkg/configs/advisory/v2). `schema-version` 2.x,
 * `package.name`, `advisories[]`: `id` (CGA-…), `aliases` (CVE-…, GHSA-…), `events[]` with
 * `timestamp`, `type` and type-specific `data` (`fixed-version` for `fixed`).
 */
const documentSchema = z.object({
  'schema-version': z.string(),
  package: z.object({ name: z.string().min(1) }),
  advisories: z.union([z.array(z.unknown()), z.literal('')]).nullable().optional(),
});

const advisorySchema = z.object({
  id: z.string().min(1),
  aliases: z.array(z.string()).nullable().optional(),
  events: z
    .array(
      z.object({
        timestamp: z.string(),
        type: z.string(),
        data: z.record(z.unknown()).nullable().optional(),
      }),
    )
    .min(1),
});

/**
 * What the latest event says. `detection` only puts a match under investigation and is not
 * published in Wolfi's own secdb either: no advisory. A false positive is none either.
 */
type State = { kind: 'fixed'; version: string } | { kind: 'unfixed'; status: string } | { kind: 'none' };

const UNFIXED: Record<string, string> = {
  'true-positive-determination': 'affected',
  'pending-upstream-fix': 'pending-upstream-fix',
  'fix-not-planned': 'fix-not-planned',
};

function stateOf(event: { type: string; data?: Record<string, unknown> | null | undefined }): State | string {
  if (event.type === 'fixed') {
    const v = event.data?.['fixed-version'];
    if (typeof v !== 'string' || v.trim() === '') return 'a fixed event without fixed-version';
    // Like secdb's `0`: no shipped version was ever affected.
    return v.trim() === '0' ? { kind: 'none' } : { kind: 'fixed', version: v.trim() };
  }
  const status = UNFIXED[event.type];
  if (status) return { kind: 'unfixed', status };
  return { kind: 'none' }; // detection, false-positive-determination, and types added later
}

/** Parses YAML keeping every scalar a string (a version `1.10` must not become the number 1.1). */
function readYaml(text: string, source: string): unknown {
  try {
    return parseYaml(text, { schema: 'failsafe' });
  } catch (err) {
    const first = ((err as Error).message ?? String(err)).split('\n')[0];
    throw new ShipshapeError('bad-feed', `${source}: not valid YAML: ${first}`, { cause: err });
  }
}

/** The CVE names the finding where there is one, then a GHSA, then Wolfi's own CGA id. */
function pickId(id: string, aliases: readonly string[]): { id: string; aliases: string[] } {
  const all = [...new Set([...aliases.map((a) => a.trim()).filter(Boolean), id])];
  const main = all.find((a) => a.startsWith('CVE-')) ?? all.find((a) => a.startsWith('GHSA-')) ?? id;
  return { id: main, aliases: all.filter((a) => a !== main).sort() };
}

export function advisoryUrl(pkg: string): string {
  return `https://github.com/wolfi-dev/advisories/blob/main/${encodeURIComponent(pkg)}.advisories.yaml`;
}

/**
 * The advisories of one `<package>.advisories.yaml` (`fullYaml` skips the fast line reader: tests). Throws ShipshapeError('bad-feed') when the
 * file is not YAML or not the advisories format; a malformed advisory inside is a warning.
 */
export function parseAdvisoriesYaml(text: string, opts: { source: string; onWarning?: (m: string) => void; fullYaml?: boolean }): Advisory[] {
  // The usual wolfictl layout is read line by line; anything else gets the full YAML parser.
  const doc = documentSchema.safeParse((opts.fullYaml ? undefined : readAdvisoriesFast(text)) ?? readYaml(text, opts.source));
  if (!doc.success) {
    const issue = doc.error.issues[0];
    throw new ShipshapeError('bad-feed', `${opts.source}: not a Wolfi advisories document: ${issue?.path.join('.') || 'document'}: ${issue?.message ?? 'malformed'}`);
  }
  const major = doc.data['schema-version'].split('.')[0];
  if (major !== '2') throw new ShipshapeError('bad-feed', `${opts.source}: schema-version ${doc.data['schema-version'].slice(0, 20)} is not supported (2.x is)`);
  const pkg = doc.data.package.name;
  const out: Advisory[] = [];
  for (const [i, raw] of (doc.data.advisories || []).entries()) {
    const a = advisorySchema.safeParse(raw);
    if (!a.success) {
      opts.onWarning?.(`${opts.source}: advisories[${i}] skipped: ${a.error.issues[0]?.path.join('.') ?? ''} ${a.error.issues[0]?.message ?? 'malformed'}`.trim());
      continue;
    }
    // Events are a history: the latest decides (ISO 8601 UTC timestamps sort as text; ties keep file order).
    const events = a.data.events.map((e, k) => ({ e, k })).sort((x, y) => (x.e.timestamp < y.e.timestamp ? -1 : x.e.timestamp > y.e.timestamp ? 1 : x.k - y.k));
    const state = stateOf(events[events.length - 1]!.e);
    if (typeof state === 'string') {
      opts.onWarning?.(`${opts.source}: ${a.data.id}: ${state}: skipped`);
      continue;
    }
    if (state.kind === 'none') continue;
    const { id, aliases } = pickId(a.data.id, a.data.aliases ?? []);
    out.push({
      id,
      aliases,
      feed: FEED_ID,
      namespace: WOLFI_NAMESPACE,
      package: pkg,
      scheme: 'apk',
      severity: 'unknown',
      ranges: state.kind === 'fixed' ? [{ introduced: '0', fixed: state.version }] : [],
      ...(state.kind === 'unfixed' ? { status: state.status } : {}),
      url: advisoryUrl(pkg),
    });
  }
  return out;
}

/** Wolfi's secdb (`security.json`): the Alpine secdb shape without a distroversion. */
export function parseWolfiSecdb(text: string, opts: { source: string; onWarning?: (m: string) => void }): Advisory[] {
  return parseSecdb(text, {
    format: 'json',
    source: opts.source,
    namespace: WOLFI_NAMESPACE,
    feed: FEED_ID,
    url: () => undefined,
    ...(opts.onWarning ? { onWarning: opts.onWarning } : {}),
  }).advisories;
}
