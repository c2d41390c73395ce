/**
 * The webhook's metrics in the Prometheus text exposition format 0.0.4
 * (https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format): decisions by
 * result and reason, request latency histogram, cache hits and misses, registry errors, reloads.
 */

/** Seconds; the webhook answers within its timeoutSeconds (10 s by default). */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function labelText(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

class Counter {
  private readonly values = new Map<string, number>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  inc(labels: Record<string, string> = {}, by = 1): void {
    const k = labelText(labels);
    this.values.set(k, (this.values.get(k) ?? 0) + by);
  }
  get(labels: Record<string, string> = {}): number {
    return this.values.get(labelText(labels)) ?? 0;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} counter`];
    for (const [k, v] of this.values) lines.push(`${this.name}${k} ${v}`);
    return lines.join('\n');
  }
}

class Histogram {
  private readonly series = new Map<string, { labels: Record<string, string>; counts: number[]; sum: number; count: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly buckets: number[],
  ) {}
  observe(labels: Record<string, string>, v: number): void {
    const k = labelText(labels);
    let s = this.series.get(k);
    if (!s) {
      s = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.series.set(k, s);
    }
    for (let i = 0; i < this.buckets.length; i++) if (v <= this.buckets[i]!) s.counts[i]!++;
    s.sum += v;
    s.count++;
  }
  render(): string {
    const lines = [`# HELP ${this.name} ${this.help}`, `# TYPE ${this.name} histogram`];
    for (const s of this.series.values()) {
      this.buckets.forEach((b, i) => lines.push(`${this.name}_bucket${labelText({ ...s.labels, le: String(b) })} ${s.counts[i]}`));
      lines.push(`${this.name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.count}`);
      lines.push(`${this.name}_sum${labelText(s.labels)} ${s.sum}`);
      lines.push(`${this.name}_count${labelText(s.labels)} ${s.count}`);
    }
    return lines.join('\n');
  }
}

export class AdmissionMetrics {
  readonly requests = new Counter('shipshape_admission_requests_total', 'Requests by route and HTTP status.');
  readonly decisions = new Counter('shipshape_admission_decisions_total', 'Image decisions by result (allowed, denied, warned) and reason.');
  readonly latency = new Histogram('shipshape_admission_request_duration_seconds', 'Time to answer a review, by route.', LATENCY_BUCKETS);
  readonly cache = new Counter('shipshape_admission_cache_lookups_total', 'Cache lookups by cache (decision, tag) and result (hit, miss).');
  readonly registryErrors = new Counter('shipshape_admission_registry_errors_total', 'Failed registry lookups by error code.');
  readonly reloads = new Counter('shipshape_admission_reloads_total', 'Policy and certificate reloads by what and result.');

  render(): string {
    return `${[this.requests, this.decisions, this.latency, this.cache, this.registryErrors, this.reloads].map((m) => m.render()).join('\n')}\n`;
  }
}

/** The content type Prometheus scrapes. */
export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
