/**
 * Warm-up before ready: synthetic reviews through the doors, the engine, the metrics and the log
 * line, so V8 has compiled the request path before the first real request. A throwaway engine
 * answers its lookups in memory: no network, and the server's engine, caches and metrics are untouched.
 */
import { AdmissionEngine, type ResolveTagFn, type VerifyFn } from './engine.js';
import { accountRequest, answerPost, logLine, postRoutes } from './handlers.js';
import { AdmissionMetrics } from './metrics.js';
import type { AdmissionPolicy } from './policy.js';

export interface WarmUpOptions {
  /** Synthetic requests to run at most (default 2,000). */
  requests?: number;
  /** Stop after this long even if requests remain (default 500 ms). */
  budgetMs?: number;
}

export interface WarmUpResult {
  requests: number;
  ms: number;
}

/** A reserved name (RFC 2606): nothing resolves it, and nothing here tries. */
const HOST = 'warm-up.invalid';
const DEFAULT_REQUESTS = 2_000;
const DEFAULT_BUDGET_MS = 500;

/** The policy as loaded, with its registries, exemptions and overrides narrowed to the synthetic images. */
function warmPolicy(p: AdmissionPolicy): AdmissionPolicy {
  return { ...p, exemptNamespaces: [], namespaces: [], global: { ...p.global, allowedRegistries: [`${HOST}/*`], exemptImages: [] } };
}

/** In-memory answers: every synthetic image is signed, with a passing, fresh scan attestation. */
const resolveTag: ResolveTagFn = async (ref) => `sha256:${Buffer.from(`${ref.repository}:${ref.tag}`).toString('hex').padEnd(64, '0').slice(0, 64)}`;
const verify: VerifyFn = async (image) => {
  const [name = '', digest = ''] = image.split('@');
  return {
    reference: image,
    registry: HOST,
    repository: name.slice(HOST.length + 1),
    digest,
    verified: true,
    reasons: [],
    signature: { found: true, valid: true, keyId: 'warm-up' },
    attestation: {
      predicateType: 'https://shipshape.dev/attestation/scan/v1',
      digest,
      keyId: 'warm-up',
      ageMs: 60_000,
      predicate: {
        verdict: 'pass',
        reasons: [],
        policyDigest: digest,
        db: null,
        scanner: { name: 'shipshape', version: 'warm-up' },
        counts: { critical: 0, high: 0, medium: 1, low: 2, negligible: 0, unknown: 0 },
        findings: [],
        suppressed: [],
        scannedAt: new Date().toISOString(),
      },
    },
  };
};

function deployment(apiVersion: string, tag: string): string {
  const container = (name: string) => ({ name, image: `${HOST}/${name}:${tag}`, resources: {} });
  const object = {
    kind: 'Deployment',
    apiVersion: 'apps/v1',
    metadata: { name: 'warm-up', namespace: 'warm-up', creationTimestamp: null, labels: { app: 'warm-up' } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'warm-up' } },
      template: { metadata: { creationTimestamp: null, labels: { app: 'warm-up' } }, spec: { initContainers: [container('init')], containers: [container('app'), container('side')] } },
      strategy: {},
    },
    status: {},
  };
  return JSON.stringify({
    apiVersion,
    kind: 'AdmissionReview',
    request: { uid: '00000000-0000-4000-8000-000000000000', kind: { group: 'apps', version: 'v1', kind: 'Deployment' }, resource: { group: 'apps', version: 'v1', resource: 'deployments' },
      name: 'warm-up', namespace: 'warm-up', operation: 'CREATE', userInfo: { username: 'warm-up' }, object, oldObject: null, dryRun: false },
  });
}

function imageReview(tag: string): string {
  return JSON.stringify({ apiVersion: 'imagepolicy.k8s.io/v1alpha1', kind: 'ImageReview', spec: { containers: [{ image: `${HOST}/app:${tag}` }], annotations: {}, namespace: 'warm-up' } });
}

/**
 * Runs synthetic requests (mostly /validate with the same three images, as a cache serves them; one
 * in eight with new tags, as lookups run them; some /mutate, /imagepolicy and a malformed body)
 * until `requests` or `budgetMs`. Never throws: a failure ends the warm-up, which only costs speed.
 */
export async function warmUp(policy: AdmissionPolicy, opts: WarmUpOptions = {}): Promise<WarmUpResult> {
  const started = Date.now();
  const budget = opts.budgetMs ?? DEFAULT_BUDGET_MS;
  const max = opts.requests ?? DEFAULT_REQUESTS;
  const engine = new AdmissionEngine({ policy: warmPolicy(policy), verify, resolveTag });
  const metrics = new AdmissionMetrics();
  const doors = postRoutes(engine);
  const same = Buffer.from(deployment('admission.k8s.io/v1', '1.0'));
  let n = 0;
  try {
    for (; n < max && Date.now() - started < budget; n++) {
      let route = '/validate';
      let body = same;
      if (n % 8 === 7) body = Buffer.from(deployment(n % 16 === 7 ? 'admission.k8s.io/v1beta1' : 'admission.k8s.io/v1', `w${n}`));
      else if (n % 8 === 5) route = '/mutate';
      else if (n % 32 === 3) [route, body] = ['/imagepolicy', Buffer.from(imageReview(`w${n}`))];
      else if (n % 64 === 1) body = Buffer.from('{"apiVersion":');
      const t0 = process.hrtime.bigint();
      const result = await answerPost(doors[route]!, route, body);
      const line = logLine(accountRequest(metrics, route, result, Number(process.hrtime.bigint() - t0) / 1e6));
      if (!line || !JSON.stringify(result.body)) break;
      // Lets I/O in (preconnect runs meanwhile): awaited promises that are already settled never yield.
      if (n % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
    }
  } catch {
    // Only speed is lost: the server's engine was never touched.
  } finally {
    await engine.close().catch(() => undefined);
  }
  return { requests: n, ms: Date.now() - started };
}
