/**
 * Alerts: one message per round (never one per CVE) to each configured webhook, as shipshape JSON
 * signed with `X-Shipshape-Signature: sha256=<HMAC-SHA256 of the body>`, or as a Slack-compatible
 * incoming-webhook payload; retried with backoff; every attempt written to the delivery log.
 */
import { createHmac } from 'node:crypto';
import { describeError } from '../errors.js';
import type { Severity } from '../model/index.js';
import type { AlertTarget } from './config.js';
import { atLeast } from './judge.js';
import type { EventRow, MonitorStore } from './store/index.js';
import { collate } from '../model/collate.js';

export interface AlertImage {
  ref: string;
  digest: string;
  new: Array<{ id: string; severity: string; package: string | null; version: string | null; fixedIn: string | null; url?: string }>;
  fixed: string[];
  verdict?: { from: string; to: string };
}

export interface AlertDigest {
  type: 'shipshape.monitor.round';
  round: number;
  db: string | null;
  images: AlertImage[];
  text: string;
}

/** The round's digest for one target: new findings at or above its severity, and verdict flips. */
export function alertDigest(roundId: number, db: string | null, events: EventRow[], minSeverity: Severity): AlertDigest | null {
  const byImage = new Map<string, AlertImage>();
  const img = (e: EventRow) => {
    let a = byImage.get(e.digest);
    if (!a) byImage.set(e.digest, (a = { ref: e.ref ?? e.digest, digest: e.digest, new: [], fixed: [] }));
    return a;
  };
  for (const e of [...events].sort((a, b) => a.id - b.id)) {
    const d = (e.detail ?? {}) as Record<string, string | null>;
    if (e.kind === 'new' && atLeast(e.severity, minSeverity)) {
      img(e).new.push({ id: e.findingId ?? '', severity: e.severity ?? 'unknown', package: d.package ?? null, version: d.version ?? null, fixedIn: d.fixedIn ?? null, ...(d.url ? { url: d.url } : {}) });
    } else if (e.kind === 'verdict') {
      img(e).verdict = { from: String(d.from), to: String(d.to) };
    } else if (e.kind === 'fixed' && byImage.has(e.digest)) {
      img(e).fixed.push(e.findingId ?? '');
    }
  }
  const images = [...byImage.values()].filter((i) => i.new.length || i.verdict).sort((a, b) => collate(a.ref, b.ref));
  if (!images.length) return null;
  const lines = images.map((i) => {
    const parts = [];
    if (i.new.length) parts.push(`${i.new.length} new: ${i.new.map((n) => `${n.id} (${n.severity}${n.package ? `, ${n.package} ${n.version}` : ''})`).join(', ')}`);
    if (i.verdict) parts.push(`verdict ${i.verdict.from} → ${i.verdict.to}`);
    return `• ${i.ref}: ${parts.join('; ')}`;
  });
  const text = `shipshape monitor, round ${roundId}: ${images.length} image(s) changed\n${lines.join('\n')}`;
  return { type: 'shipshape.monitor.round', round: roundId, db, images, text };
}

/** The body sent to a target: shipshape JSON, or Slack's {text, blocks}. */
export function alertBody(d: AlertDigest, format: AlertTarget['format']): string {
  if (format === 'slack') {
    return JSON.stringify({
      text: d.text,
      blocks: [{ type: 'section', text: { type: 'mrkdwn', text: d.text.slice(0, 2900) } }],
    });
  }
  return JSON.stringify(d);
}

export function signature(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export interface SendOptions {
  tries?: number;
  baseDelayMs?: number;
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** Also told of each attempt (tests, logs). */
  onAttempt?: (target: string, attempt: number, ok: boolean, detail: string) => void;
}

/** Posts one round's digest to every target; each attempt goes to the delivery log. Never throws. */
export async function sendAlerts(store: MonitorStore, roundId: number, db: string | null, targets: AlertTarget[], opts: SendOptions = {}): Promise<number> {
  if (!targets.length) return 0;
  const events = await store.events({ roundId, kinds: ['new', 'verdict', 'fixed'], limit: 100_000 });
  let sent = 0;
  for (const t of targets) {
    const d = alertDigest(roundId, db, events, t.minSeverity ?? 'high');
    if (!d) continue;
    const body = alertBody(d, t.format);
    const secret = t.secretEnv ? (opts.env ?? process.env)[t.secretEnv] : undefined;
    const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'shipshape-monitor' };
    if (secret) headers['x-shipshape-signature'] = signature(body, secret);
    const tries = opts.tries ?? 5;
    const target = t.url.replace(/\/\/[^@/]*@/, '//');
    for (let attempt = 1; attempt <= tries; attempt++) {
      let status: number | null = null;
      let error: string | null = null;
      try {
        const res = await fetch(t.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(opts.timeoutMs ?? 10_000), redirect: 'error' });
        status = res.status;
        await res.arrayBuffer().catch(() => undefined);
        if (res.status < 200 || res.status >= 300) error = `HTTP ${res.status}`;
      } catch (err) {
        error = describeError(err);
      }
      const ok = error === null;
      await store.logDelivery({ roundId, target, attempt, ok, status, error, at: Date.now() });
      opts.onAttempt?.(target, attempt, ok, error ?? String(status));
      if (ok) {
        sent++;
        break;
      }
      // 4xx other than 408/429 will not get better by asking again.
      if (status !== null && status >= 400 && status < 500 && status !== 408 && status !== 429) break;
      if (attempt < tries) await new Promise((r) => setTimeout(r, (opts.baseDelayMs ?? 1000) * 2 ** (attempt - 1)));
    }
  }
  return sent;
}
