/** The dashboard's pages as HTML strings: overview, image, search. Everything from the store is escaped. */
import { SEVERITIES } from '../../model/index.js';
import type { Counts } from '../types.js';
import type { EventRow, FindingHit, ImageRow, MonitorStore, RoundRow } from '../store/index.js';
import { collate } from '../../model/collate.js';

export function esc(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Where a finding's advisory is described: its own URL, else NVD for CVEs, GitHub for GHSA, OSV for the rest. */
export function advisoryUrl(id: string, url?: string | null): string {
  if (url && /^https?:\/\//.test(url)) return url;
  if (/^CVE-\d{4}-\d+$/i.test(id)) return `https://nvd.nist.gov/vuln/detail/${encodeURIComponent(id.toUpperCase())}`;
  if (/^GHSA-/i.test(id)) return `https://github.com/advisories/${encodeURIComponent(id)}`;
  return `https://osv.dev/vulnerability/${encodeURIComponent(id)}`;
}

function layout(title: string, body: string, q = ''): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)} · shipshape monitor</title><link rel="stylesheet" href="/assets/style.css"><link rel="icon" href="/assets/icon.svg" type="image/svg+xml"></head>
<body><header><a href="/">shipshape monitor</a>
<form action="/search" method="get" role="search"><input type="search" name="q" value="${esc(q)}" placeholder="CVE-2024-… or package name" aria-label="search by CVE or package"><button type="submit">Search</button></form>
</header><main>${body}</main></body></html>`;
}

const sev = (s: string) => `<span class="sev ${esc(s)}">${esc(s)}</span>`;
const verdict = (v: string | null) => (v ? `<span class="verdict ${esc(v)}">${esc(v)}</span>` : '<span class="muted">not scanned</span>');
const when = (ms: number | null | undefined) => (ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + 'Z' : '—');
const countsCell = (c: Counts | null) =>
  c ? (['critical', 'high', 'medium', 'low', 'negligible', 'unknown'] as const).filter((s) => c[s]).map((s) => `${sev(s)} ${c[s]}`).join(' ') || '<span class="muted">none</span>' : '—';

/** Findings by severity over the last rounds, as an SVG line chart (no script, no library). */
export function severityChart(rounds: RoundRow[]): string {
  const pts = rounds.filter((r) => r.totals && r.finishedAt).sort((a, b) => a.id - b.id).slice(-40);
  if (pts.length === 0) return '<p class="muted">No finished round yet.</p>';
  const W = 640;
  const H = 220;
  const L = 44;
  const B = 24;
  const shown = ['critical', 'high', 'medium', 'low', 'unknown'] as const;
  const max = Math.max(1, ...pts.flatMap((p) => shown.map((s) => p.totals![s])));
  const x = (i: number) => L + (pts.length === 1 ? (W - L - 10) / 2 : (i * (W - L - 10)) / (pts.length - 1));
  const y = (v: number) => H - B - (v / max) * (H - B - 10);
  const ticks = [0, Math.round(max / 2), max];
  const lines = shown
    .map((s) => {
      const d = pts.map((p, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(p.totals![s]).toFixed(1)}`).join(' ');
      const dots = pts.length === 1 ? `<circle cx="${x(0).toFixed(1)}" cy="${y(pts[0]!.totals![s]).toFixed(1)}" r="3" class="line ${s}"/>` : '';
      return `<path class="line ${s}" d="${d}"><title>${s}</title></path>${dots}`;
    })
    .join('');
  const axis = ticks.map((t) => `<line class="axis" x1="${L}" x2="${W - 10}" y1="${y(t)}" y2="${y(t)}"/><text x="${L - 6}" y="${y(t) + 4}" text-anchor="end">${t}</text>`).join('');
  const first = `<text x="${L}" y="${H - 6}">${esc(when(pts[0]!.finishedAt).slice(0, 16))}</text>`;
  const last = pts.length > 1 ? `<text x="${W - 10}" y="${H - 6}" text-anchor="end">${esc(when(pts[pts.length - 1]!.finishedAt).slice(0, 16))}</text>` : '';
  const legend = shown.map((s) => `<span><span class="sw ${s}"></span>${s} ${pts[pts.length - 1]!.totals![s]}</span>`).join('');
  return `<div class="chart"><svg viewBox="0 0 ${W} ${H}" role="img" aria-label="findings by severity over the last ${pts.length} rounds">${axis}${lines}${first}${last}</svg><div class="legend">${legend}</div></div>`;
}

function changesList(events: EventRow[]): string {
  if (!events.length) return '<p class="muted">Nothing changed.</p>';
  const words: Record<string, string> = { new: 'new finding', fixed: 'fixed', suppressed: 'newly suppressed', expired: 'suppression expired', verdict: 'verdict', scanned: 'first scan', error: 'error', attested: 're-attested' };
  const items = events.slice(0, 200).map((e) => {
    const d = (e.detail ?? {}) as Record<string, unknown>;
    const what = e.kind === 'verdict' ? `${esc(d.from)} → ${esc(d.to)}` : e.kind === 'scanned' ? `${esc(d.packages)} packages, ${esc(d.verdict)}` : e.kind === 'error' ? esc(d.error) : `${e.severity ? sev(e.severity) : ''} <a href="${esc(advisoryUrl(e.findingId ?? '', d.url as string))}" rel="noreferrer">${esc(e.findingId)}</a> ${esc(d.package ?? '')} ${esc(d.version ?? '')}`;
    return `<li><b>${esc(words[e.kind] ?? e.kind)}</b> · <a href="/images/${esc(e.digest)}">${esc(e.ref ?? e.digest)}</a> · ${what}</li>`;
  });
  return `<ul class="changes">${items.join('')}</ul>${events.length > 200 ? `<p class="muted">… and ${events.length - 200} more (see /api/events)</p>` : ''}`;
}

const PAGE = 50;

export async function overviewPage(store: MonitorStore, page: number, filter?: string): Promise<string> {
  const [counts, rounds, images] = await Promise.all([store.imageCount(), store.rounds(40), store.images({ limit: PAGE + 1, offset: page * PAGE, ...(filter ? { verdict: filter } : {}) })]);
  const lastDone = rounds.find((r) => r.finishedAt);
  const events = lastDone ? await store.events({ roundId: lastDone.id, limit: 201 }) : [];
  const totals = lastDone?.totals;
  const cards = [
    ['images', counts.total, ''],
    ['pass', counts.byVerdict.pass ?? 0, 'pass'],
    ['fail', counts.byVerdict.fail ?? 0, 'fail'],
    ['not scanned', counts.byVerdict.unscanned ?? 0, ''],
    ['errors', (counts.byState.error ?? 0) + (counts.byState.corrupt ?? 0), ''],
    ...(totals ? (['critical', 'high'] as const).map((s) => [`${s} findings`, totals[s], s]) : []),
  ]
    .map(([l, n, c]) => `<div class="card"><div class="n ${c ? `verdict ${c}` : ''}">${esc(n)}</div><div class="l">${esc(l)}</div></div>`)
    .join('');
  const rows = images
    .slice(0, PAGE)
    .map(
      (i) =>
        `<tr><td><a href="/images/${esc(i.digest)}">${esc(i.refs[0])}</a>${i.refs.length > 1 ? ` <span class="muted">+${i.refs.length - 1}</span>` : ''}${i.state === 'error' || i.state === 'corrupt' ? ` <span class="muted">(${esc(i.state)})</span>` : ''}</td><td>${verdict(i.verdict)}</td><td>${countsCell(i.counts)}</td><td class="mono hide-s">${esc(i.digest.slice(0, 19))}</td><td class="hide-s">${when(i.matchedAt ?? i.scannedAt)}</td></tr>`,
    )
    .join('');
  const qs = (p: number) => `/?page=${p}${filter ? `&verdict=${encodeURIComponent(filter)}` : ''}`;
  const pager = `<div class="pager">${page > 0 ? `<a href="${qs(page - 1)}">← previous</a>` : ''}${images.length > PAGE ? `<a href="${qs(page + 1)}">next →</a>` : ''}<span class="muted">show: <a href="/">all</a> · <a href="/?verdict=fail">fail</a> · <a href="/?verdict=pass">pass</a></span></div>`;
  const body = `<h1>Fleet overview</h1><div class="cards">${cards}</div>
<h2>Findings by severity over time</h2><div class="panel">${severityChart(rounds)}</div>
<h2>What changed in the last round${lastDone ? ` (round ${lastDone.id}, ${when(lastDone.finishedAt)})` : ''}</h2><div class="panel">${changesList(events)}</div>
<h2>Images</h2>${pager}<div class="scroll"><table><thead><tr><th>reference</th><th>verdict</th><th>findings</th><th class="hide-s">digest</th><th class="hide-s">judged</th></tr></thead><tbody>${rows || '<tr><td colspan="5" class="muted">No image yet.</td></tr>'}</tbody></table></div>`;
  return layout('Overview', body);
}

export async function imagePage(store: MonitorStore, digest: string): Promise<string | undefined> {
  const img = await store.image(digest);
  if (!img) return undefined;
  const att = img.attestation;
  const attText = att ? `${att.ok ? 're-attested' : 'attestation failed'} (${esc(att.verdict)}) ${when(att.at)}, ${Math.round((Date.now() - att.at) / 3600e3)}h ago${att.error ? `: ${esc(att.error)}` : ''}` : '<span class="muted">none by the monitor</span>';
  const active = img.findings.filter((f) => !f.suppressed).sort((a, b) => SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) || collate(a.id, b.id));
  const suppressed = img.findings.filter((f) => f.suppressed);
  const frow = (f: (typeof img.findings)[number]) =>
    `<tr><td><a href="${esc(advisoryUrl(f.id, f.url))}" rel="noreferrer">${esc(f.id)}</a></td><td>${sev(f.severity)}</td><td>${esc(f.package)} <span class="muted">${esc(f.version)}</span></td><td>${f.fixedIn ? esc(f.fixedIn) : '<span class="muted">no fix</span>'}</td><td class="mono hide-s">${esc(f.path)}</td>${f.suppressed ? `<td>${esc(f.suppressed.kind)}: ${esc(f.suppressed.reason)}${f.suppressed.expires ? ` (until ${esc(f.suppressed.expires)})` : ''}</td>` : ''}</tr>`;
  const pkgs = (img.sbom?.packages ?? []).map((p) => `<tr><td>${esc(p.name)}</td><td>${esc(p.version)}</td><td>${esc(p.type)}</td><td class="mono hide-s">${esc(p.locations[0]?.path)}</td></tr>`).join('');
  const body = `<h1>${esc(img.refs[0])}</h1>
<div class="panel"><dl class="kv"><dt>verdict</dt><dd>${verdict(img.verdict)}${img.reasons.length ? ` — ${esc(img.reasons.join('; '))}` : ''}</dd>
<dt>references</dt><dd>${img.refs.map(esc).join('<br>')}</dd><dt>digest</dt><dd class="mono">${esc(img.digest)}</dd>
<dt>running in</dt><dd>${img.running.length ? img.running.map(esc).join(', ') : '<span class="muted">not seen in a cluster</span>'}</dd>
<dt>os</dt><dd>${esc(img.os ?? 'unknown')}</dd><dt>state</dt><dd>${esc(img.state)}${img.error ? `: ${esc(img.error)}` : ''}</dd>
<dt>scanned</dt><dd>${when(img.scannedAt)}</dd><dt>judged</dt><dd>${when(img.matchedAt)} <span class="muted mono">db ${esc((img.dbDigest ?? '').slice(0, 19))}</span></dd>
<dt>attestation</dt><dd>${attText}</dd><dt>findings</dt><dd>${countsCell(img.counts)}</dd></dl></div>
<h2>Findings (${active.length})</h2><div class="scroll"><table><thead><tr><th>advisory</th><th>severity</th><th>package</th><th>fixed in</th><th class="hide-s">path</th></tr></thead><tbody>${active.map(frow).join('') || '<tr><td colspan="5" class="muted">None.</td></tr>'}</tbody></table></div>
${suppressed.length ? `<h2>Suppressed (${suppressed.length})</h2><div class="scroll"><table><thead><tr><th>advisory</th><th>severity</th><th>package</th><th>fixed in</th><th class="hide-s">path</th><th>why</th></tr></thead><tbody>${suppressed.map(frow).join('')}</tbody></table></div>` : ''}
<h2>Packages (${img.sbom?.packages.length ?? 0})</h2><div class="scroll"><table><thead><tr><th>name</th><th>version</th><th>type</th><th class="hide-s">where</th></tr></thead><tbody>${pkgs || '<tr><td colspan="4" class="muted">No SBOM stored.</td></tr>'}</tbody></table></div>
<h2>Layers (${img.layers.length})</h2><ol class="mono">${img.layers.map((l) => `<li>${esc(l)}</li>`).join('')}</ol>`;
  return layout(img.refs[0] ?? digest, body);
}

/** A query that looks like an advisory id searches findings by id; anything else by package name. */
export function isAdvisoryId(q: string): boolean {
  return /^[A-Za-z][A-Za-z0-9]*-[A-Za-z0-9-:.]+$/.test(q) && /\d/.test(q) && /^(CVE|GHSA|GO|PYSEC|RUSTSEC|DSA|DLA|OSV|ALPINE|RUBYSEC|NSWG|USN|BIT|GMS|MAL)-/i.test(q);
}

const SEARCH_ROWS = 200;

export async function searchPage(store: MonitorStore, q: string): Promise<string> {
  const query = q.trim().slice(0, 200);
  let hits: FindingHit[] = [];
  let by = '';
  let total = 0;
  if (query) {
    by = isAdvisoryId(query) ? 'advisory' : 'package';
    // A page shows 200 rows (a CVE in a common base image can be in thousands): the API has them all.
    [hits, total] = await Promise.all([
      by === 'advisory' ? store.findingsById(query, SEARCH_ROWS) : store.findingsByPackage(query, SEARCH_ROWS),
      store.countFindings(by === 'advisory' ? 'id' : 'package', query),
    ]);
  }
  const rows = hits
    .map(
      (h) =>
        `<tr><td><a href="/images/${esc(h.digest)}">${esc(h.ref)}</a></td><td><a href="${esc(advisoryUrl(h.id, h.url))}" rel="noreferrer">${esc(h.id)}</a></td><td>${sev(h.severity)}</td><td>${esc(h.package)} <span class="muted">${esc(h.version)}</span></td><td>${h.fixedIn ? esc(h.fixedIn) : '<span class="muted">no fix</span>'}${h.suppressed ? ' <span class="muted">(suppressed)</span>' : ''}</td><td>${h.running.length ? h.running.map(esc).join(', ') : '<span class="muted">—</span>'}</td></tr>`,
    )
    .join('');
  const body = `<h1>Search${query ? `: ${esc(query)}` : ''}</h1>
${query ? `<p class="muted">${total} result(s) by ${by}${total > hits.length ? ` (the first ${hits.length} shown; all of them: <a href="/api/findings?${by === 'advisory' ? 'id' : 'package'}=${encodeURIComponent(query)}">/api/findings</a>)` : ''}.</p>` : '<p class="muted">Search by advisory id (CVE-2019-14697, GHSA-…) or by package name (openssl).</p>'}
${query ? `<div class="scroll"><table id="results"><thead><tr><th>image</th><th>advisory</th><th>severity</th><th>package</th><th>fixed in</th><th>running in</th></tr></thead><tbody>${rows || '<tr><td colspan="6" class="muted">No image has it.</td></tr>'}</tbody></table></div>` : ''}`;
  return layout('Search', body, query);
}

export function errorPage(status: number, message: string): string {
  return layout(String(status), `<h1>${status}</h1><p>${esc(message)}</p>`);
}

export type { ImageRow };
