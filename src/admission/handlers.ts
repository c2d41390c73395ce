/**
 * The webhook's doors, without HTTP: each parses and validates its request, asks the engine for
 * one decision, and renders the answer plus one log record. No decision logic lives here.
 */
import { describeError, isShipshapeError } from '../errors.js';
import type { AdmissionEngine, Decision } from './engine.js';
import type { AdmissionMetrics } from './metrics.js';
import { admissionResponse, annotationsOf, imageFields, imageReviewResponse, parseAdmissionReview, parseImageReview } from './review.js';

/** One JSON log line per request. */
export interface RequestLog {
  route: string;
  uid?: string;
  namespace?: string;
  kind?: string;
  name?: string;
  operation?: string;
  images?: string[];
  decision: 'allowed' | 'denied' | 'audit' | 'break-glass' | 'skipped' | 'bad-request' | 'error';
  reasons?: string[];
  cached?: number;
  patched?: number;
  ms?: number;
}

export interface HandlerResult {
  status: number;
  body: object;
  log: RequestLog;
  /** The engine's decision, when one was made (for metrics). */
  decision?: Decision;
}

function decisionWord(d: Decision): RequestLog['decision'] {
  if (d.breakGlass) return 'break-glass';
  if (!d.allowed) return 'denied';
  return d.images.some((i) => !i.allowed) ? 'audit' : 'allowed';
}

/** A 400 with a metav1.Status body saying why; the API server then applies the failurePolicy (Fail: deny). */
function badRequestResult(route: string, err: unknown): HandlerResult {
  const message = describeError(err);
  const status = isShipshapeError(err) && err.code === 'bad-request' ? 400 : 500;
  return {
    status,
    body: { apiVersion: 'v1', kind: 'Status', status: 'Failure', message, reason: status === 400 ? 'BadRequest' : 'InternalError', code: status },
    log: { route, decision: status === 400 ? 'bad-request' : 'error', reasons: [message] },
  };
}

/** POST /validate and POST /mutate: an AdmissionReview in, the same apiVersion out; /mutate pins verified tags to digests. */
export async function handleAdmissionReview(engine: AdmissionEngine, body: Buffer, opts: { mutate: boolean }): Promise<HandlerResult> {
  const route = opts.mutate ? '/mutate' : '/validate';
  let review;
  let fields;
  try {
    review = parseAdmissionReview(body);
    const r = review.request;
    fields = r.operation === 'CREATE' || r.operation === 'UPDATE' ? imageFields(r.kind, r.object) : undefined;
  } catch (err) {
    return badRequestResult(route, err);
  }
  const r = review.request;
  const log: RequestLog = { route, uid: r.uid, namespace: r.namespace, kind: r.kind.kind, name: r.name, operation: r.operation, decision: 'skipped' };
  if (!fields) {
    // Kinds without a pod spec, DELETE and CONNECT: nothing to judge; allowed unchanged, logged.
    log.reasons = [r.operation === 'CREATE' || r.operation === 'UPDATE' ? `kind ${r.kind.group ? `${r.kind.group}/` : ''}${r.kind.kind} has no pod spec` : `operation ${r.operation}`];
    return { status: 200, body: admissionResponse(review.apiVersion, r.uid, { allowed: true }), log };
  }
  const images = fields.map((f) => f.image);
  const d = await engine.decide({ namespace: r.namespace, images, annotations: annotationsOf(r.kind, r.object) });
  const byImage = new Map(d.images.map((i) => [i.image, i]));
  const patch = opts.mutate && d.allowed ? fields.flatMap((f) => (byImage.get(f.image)?.pinned ? [{ op: 'replace', path: f.pointer, value: byImage.get(f.image)!.pinned }] : [])) : [];
  Object.assign(log, {
    images,
    decision: decisionWord(d),
    reasons: d.images.filter((i) => !i.allowed || i.code !== 'verified').map((i) => `${i.image}: ${i.reasons.join('; ')}`),
    cached: d.images.filter((i) => i.cached).length,
    ...(opts.mutate ? { patched: patch.length } : {}),
  });
  return {
    status: 200,
    body: admissionResponse(review.apiVersion, r.uid, {
      allowed: d.allowed,
      ...(d.message ? { message: d.message } : {}),
      warnings: d.warnings,
      auditAnnotations: d.auditAnnotations,
      patch,
    }),
    log,
    decision: d,
  };
}

/** POST /imagepolicy: an ImageReview (imagepolicy.k8s.io/v1alpha1) for the ImagePolicyWebhook admission plugin. */
export async function handleImageReview(engine: AdmissionEngine, body: Buffer): Promise<HandlerResult> {
  let review;
  try {
    review = parseImageReview(body);
  } catch (err) {
    return badRequestResult('/imagepolicy', err);
  }
  const d = await engine.decide({ namespace: review.namespace, images: review.images, annotations: review.annotations });
  const reason = d.message ?? (d.warnings.length ? d.warnings.join(' | ') : undefined);
  return {
    status: 200,
    body: imageReviewResponse({ allowed: d.allowed, ...(reason ? { reason } : {}), auditAnnotations: d.auditAnnotations }),
    log: {
      route: '/imagepolicy',
      namespace: review.namespace,
      kind: 'ImageReview',
      images: review.images,
      decision: decisionWord(d),
      reasons: d.images.filter((i) => !i.allowed || i.code !== 'verified').map((i) => `${i.image}: ${i.reasons.join('; ')}`),
      cached: d.images.filter((i) => i.cached).length,
    },
    decision: d,
  };
}

/** Engine decision results for the metrics: per image, result and reason code. */
export function decisionCounts(d: Decision): Array<{ result: string; reason: string }> {
  return d.images.map((i) => ({ result: i.allowed ? 'allowed' : d.allowed ? 'warned' : 'denied', reason: i.code }));
}

/** The POST doors by path; the server and the warm-up before ready call the same. */
export function postRoutes(engine: AdmissionEngine): Record<string, (body: Buffer) => Promise<HandlerResult>> {
  return {
    '/validate': (b) => handleAdmissionReview(engine, b, { mutate: false }),
    '/mutate': (b) => handleAdmissionReview(engine, b, { mutate: true }),
    '/imagepolicy': (b) => handleImageReview(engine, b),
  };
}

/** Runs a door; a throw is a bug, answered 500 (the API server then fails closed). */
export async function answerPost(door: (body: Buffer) => Promise<HandlerResult>, route: string, body: Buffer): Promise<HandlerResult> {
  try {
    return await door(body);
  } catch (err) {
    const message = `internal error: ${describeError(err)}`;
    return { status: 500, body: { apiVersion: 'v1', kind: 'Status', status: 'Failure', message, reason: 'InternalError', code: 500 }, log: { route, decision: 'error', reasons: [message] } };
  }
}

/** The JSON log line of a request or an event, stamped with the time. */
export function logLine(rec: object): string {
  return JSON.stringify({ time: new Date().toISOString(), ...rec });
}

/** Counts an answered POST in the metrics (requests, latency, decisions) and returns its log record. */
export function accountRequest(metrics: AdmissionMetrics, route: string, result: HandlerResult, ms: number): RequestLog {
  metrics.requests.inc({ route, code: String(result.status) });
  metrics.latency.observe({ route }, ms / 1000);
  if (result.decision) for (const c of decisionCounts(result.decision)) metrics.decisions.inc(c);
  return { ...result.log, ms: Math.round(ms * 100) / 100 };
}
