import { describe, expect, it } from 'vitest';
import { alertBody, alertDigest, signature } from './alerts.js';
import type { EventRow } from './store/index.js';
import { authorized } from './web/server.js';

const ev = (id: number, digest: string, kind: EventRow['kind'], extra: Partial<EventRow> = {}): EventRow => ({ id, roundId: 7, digest, kind, fkey: `k${id}`, at: 0, ref: `r/${digest}:1`, ...extra });

describe('alerts', () => {
  it('one digest per round: images with new findings at or above the severity, and verdict flips', () => {
    const events = [
      ev(1, 'a', 'new', { findingId: 'CVE-1', severity: 'critical', detail: { package: 'openssl', version: '3.0.1', fixedIn: '3.0.2' } }),
      ev(2, 'a', 'new', { findingId: 'CVE-2', severity: 'low', detail: { package: 'zlib', version: '1', fixedIn: null } }),
      ev(3, 'b', 'new', { findingId: 'CVE-3', severity: 'medium' }),
      ev(4, 'c', 'verdict', { detail: { from: 'pass', to: 'fail' } }),
      ev(5, 'd', 'fixed', { findingId: 'CVE-9' }),
    ];
    const d = alertDigest(7, 'sha256:db', events, 'high')!;
    expect(d.images.map((i) => [i.digest, i.new.map((n) => n.id), i.verdict ?? null])).toEqual([
      ['a', ['CVE-1'], null],
      ['c', [], { from: 'pass', to: 'fail' }],
    ]);
    expect(d.text.split('\n')).toHaveLength(3);
    expect(alertDigest(7, null, [events[4]!], 'low')).toBeNull();
    const slack = JSON.parse(alertBody(d, 'slack'));
    expect(Object.keys(slack).sort()).toEqual(['blocks', 'text']);
    expect(JSON.parse(alertBody(d, 'json')).type).toBe('shipshape.monitor.round');
  });

  it('X-Shipshape-Signature is HMAC-SHA256 of the body, hex', () => {
    // The RFC 2104 example as Wikipedia gives it.
    expect(signature('The quick brown fox jumps over the lazy dog', 'key')).toBe('sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8');
  });

  it('dashboard auth: bearer token or basic auth with the token as password', () => {
    const t = 'secret-token-0123456789';
    expect(authorized(`Bearer ${t}`, t)).toBe(true);
    expect(authorized(`bearer ${t}`, t)).toBe(true);
    expect(authorized(`Basic ${Buffer.from(`anyone:${t}`).toString('base64')}`, t)).toBe(true);
    expect(authorized(`Basic ${Buffer.from(`${t}`).toString('base64')}`, t)).toBe(false);
    expect(authorized(`Bearer ${t}x`, t)).toBe(false);
    expect(authorized(undefined, t)).toBe(false);
    expect(authorized('Bearer ', t)).toBe(false);
    expect(authorized(`Bearer ${t}`, '')).toBe(false);
  });
});
