/**
 * The documents of the webhook's doors, validated before use: AdmissionReview admission.k8s.io/v1
 * and v1beta1 (https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#request)
 * and ImageReview imagepolicy.k8s.io/v1alpha1
 * (https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#imagepolicywebhook);
 * where the images of a Pod or a workload's pod template sit; the answers.
 */
import { ShipshapeError } from '../errors.js';

/** Anything wrong with a request body: answered 400 with this message. */
export function badRequest(message: string): ShipshapeError {
  return new ShipshapeError('bad-request', message);
}

export type AdmissionVersion = 'admission.k8s.io/v1' | 'admission.k8s.io/v1beta1';

export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  namespace: string;
  name: string;
  operation: string;
  object: unknown;
  dryRun: boolean;
  userInfo?: { username?: string };
}

export interface ParsedAdmissionReview {
  apiVersion: AdmissionVersion;
  request: AdmissionRequest;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw badRequest(`body is not JSON: ${(err as Error).message}`);
  }
}

function str(v: unknown, what: string, required: boolean): string {
  if (v === undefined || v === null) {
    if (required) throw badRequest(`${what} is missing`);
    return '';
  }
  if (typeof v !== 'string') throw badRequest(`${what} must be a string`);
  if (required && v === '') throw badRequest(`${what} is empty`);
  return v;
}

const UID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

/** Validates an AdmissionReview as the API server sends it (v1 or v1beta1, answered in the same version). */
export function parseAdmissionReview(body: Buffer): ParsedAdmissionReview {
  const doc = parseJson(body);
  if (!isObject(doc)) throw badRequest('body must be a JSON object (an AdmissionReview)');
  const apiVersion = doc.apiVersion;
  if (apiVersion !== 'admission.k8s.io/v1' && apiVersion !== 'admission.k8s.io/v1beta1') {
    throw badRequest(`apiVersion must be admission.k8s.io/v1 or admission.k8s.io/v1beta1, not ${JSON.stringify(apiVersion ?? null).slice(0, 80)}`);
  }
  if (doc.kind !== 'AdmissionReview') throw badRequest(`kind must be AdmissionReview, not ${JSON.stringify(doc.kind ?? null).slice(0, 80)}`);
  const r = doc.request;
  if (!isObject(r)) throw badRequest('request is missing');
  const uid = str(r.uid, 'request.uid', true);
  if (!UID_RE.test(uid)) throw badRequest('request.uid is not a UID');
  const k = r.kind;
  if (!isObject(k)) throw badRequest('request.kind is missing');
  const kind = { group: str(k.group, 'request.kind.group', false), version: str(k.version, 'request.kind.version', true), kind: str(k.kind, 'request.kind.kind', true) };
  const operation = str(r.operation, 'request.operation', true);
  if (!['CREATE', 'UPDATE', 'DELETE', 'CONNECT'].includes(operation)) throw badRequest(`request.operation ${JSON.stringify(operation).slice(0, 40)} is not CREATE, UPDATE, DELETE or CONNECT`);
  if (r.object !== undefined && r.object !== null && !isObject(r.object)) throw badRequest('request.object must be an object');
  if (r.dryRun !== undefined && typeof r.dryRun !== 'boolean') throw badRequest('request.dryRun must be a boolean');
  const userInfo = isObject(r.userInfo) && typeof r.userInfo.username === 'string' ? { username: r.userInfo.username } : undefined;
  return {
    apiVersion,
    request: {
      uid,
      kind,
      namespace: str(r.namespace, 'request.namespace', false),
      name: str(r.name, 'request.name', false) || objectName(r.object),
      operation,
      object: r.object ?? null,
      dryRun: r.dryRun === true,
      ...(userInfo ? { userInfo } : {}),
    },
  };
}

function objectName(o: unknown): string {
  if (!isObject(o) || !isObject(o.metadata)) return '';
  const m = o.metadata;
  return typeof m.name === 'string' ? m.name : typeof m.generateName === 'string' ? `${m.generateName}*` : '';
}

/** Where a kind keeps its pod spec, as JSON Pointer segments; undefined for kinds without one. */
const POD_SPEC_PATHS: Record<string, string[]> = {
  '/Pod': ['spec'],
  'apps/Deployment': ['spec', 'template', 'spec'],
  'apps/ReplicaSet': ['spec', 'template', 'spec'],
  'apps/StatefulSet': ['spec', 'template', 'spec'],
  'apps/DaemonSet': ['spec', 'template', 'spec'],
  'batch/Job': ['spec', 'template', 'spec'],
  'batch/CronJob': ['spec', 'jobTemplate', 'spec', 'template', 'spec'],
  '/ReplicationController': ['spec', 'template', 'spec'],
  // extensions/v1beta1 and apps/v1beta* workloads: the same shape; matchPolicy Equivalent converts most.
  'extensions/Deployment': ['spec', 'template', 'spec'],
  'extensions/ReplicaSet': ['spec', 'template', 'spec'],
  'extensions/DaemonSet': ['spec', 'template', 'spec'],
};

export function podSpecPath(kind: { group: string; kind: string }): string[] | undefined {
  return POD_SPEC_PATHS[`${kind.group}/${kind.kind}`];
}

/** One container image field: where it is (a JSON Pointer, for the patch) and what it says. */
export interface ImageField {
  pointer: string;
  container: string;
  image: string;
}

const CONTAINER_LISTS = ['initContainers', 'containers', 'ephemeralContainers'] as const;
/** The API server's own body limit is 3 MiB; a pod template within it cannot hold more. */
const MAX_CONTAINERS = 10_000;

function pointerOf(segs: Array<string | number>): string {
  return segs.length ? `/${segs.map((s) => String(s).replace(/~/g, '~0').replace(/\//g, '~1')).join('/')}` : '';
}

/**
 * The images of the object's pod spec, every container list; `undefined` when the kind has no pod
 * spec (answered: allowed unchanged). A malformed container list is a bad request.
 */
export function imageFields(kind: { group: string; kind: string }, object: unknown): ImageField[] | undefined {
  const segs = podSpecPath(kind);
  if (!segs) return undefined;
  let node: unknown = object;
  for (let i = 0; i < segs.length; i++) {
    if (!isObject(node)) throw badRequest(`object.${segs.slice(0, i).join('.') || '(root)'} must be an object`);
    node = node[segs[i]!];
    if (node === undefined || node === null) throw badRequest(`${kind.kind} has no ${segs.slice(0, i + 1).join('.')}`);
  }
  if (!isObject(node)) throw badRequest(`object.${segs.join('.')} must be an object`);
  const out: ImageField[] = [];
  for (const list of CONTAINER_LISTS) {
    const cs = node[list];
    if (cs === undefined || cs === null) continue;
    if (!Array.isArray(cs)) throw badRequest(`object.${segs.join('.')}.${list} must be a list`);
    if (out.length + cs.length > MAX_CONTAINERS) throw badRequest(`more than ${MAX_CONTAINERS} containers`);
    cs.forEach((c: unknown, i) => {
      if (!isObject(c)) throw badRequest(`object.${segs.join('.')}.${list}[${i}] must be an object`);
      const image = c.image;
      const name = typeof c.name === 'string' ? c.name : `${list}[${i}]`;
      // The API server refuses a container without an image after mutation; nothing to check here.
      if (image === undefined || image === null) return;
      if (typeof image !== 'string') throw badRequest(`object.${segs.join('.')}.${list}[${i}].image must be a string`);
      out.push({ pointer: pointerOf([...segs, list, i, 'image']), container: name, image });
    });
  }
  return out;
}

/** The object's annotations merged with its pod template's (a break-glass may sit on either). */
export function annotationsOf(kind: { group: string; kind: string }, object: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const add = (meta: unknown) => {
    if (!isObject(meta) || !isObject(meta.annotations)) return;
    for (const [k, v] of Object.entries(meta.annotations)) if (typeof v === 'string') out[k] = v;
  };
  if (!isObject(object)) return out;
  add(object.metadata);
  const segs = podSpecPath(kind);
  if (segs && segs.length > 1) {
    let node: unknown = object;
    for (const s of segs.slice(0, -1)) node = isObject(node) ? node[s] : undefined;
    if (isObject(node)) add(node.metadata);
  }
  return out;
}

export interface AdmissionAnswer {
  allowed: boolean;
  /** Denial message (status.message), naming each refused image and reason. */
  message?: string;
  warnings?: string[];
  auditAnnotations?: Record<string, string>;
  /** JSONPatch operations (mutate only). */
  patch?: unknown[];
}

/** The AdmissionReview response, in the request's apiVersion, echoing its uid. */
export function admissionResponse(apiVersion: AdmissionVersion, uid: string, a: AdmissionAnswer): object {
  const response: Record<string, unknown> = { uid, allowed: a.allowed };
  if (!a.allowed) response.status = { code: 403, reason: 'Forbidden', message: a.message ?? 'denied by shipshape admission policy' };
  if (a.warnings?.length) response.warnings = a.warnings;
  if (a.auditAnnotations && Object.keys(a.auditAnnotations).length) response.auditAnnotations = a.auditAnnotations;
  if (a.patch?.length) {
    response.patchType = 'JSONPatch';
    response.patch = Buffer.from(JSON.stringify(a.patch)).toString('base64');
  }
  return { apiVersion, kind: 'AdmissionReview', response };
}

export interface ParsedImageReview {
  images: string[];
  namespace: string;
  annotations: Record<string, string>;
}

/** Validates an ImageReview imagepolicy.k8s.io/v1alpha1 as the ImagePolicyWebhook plugin sends it. */
export function parseImageReview(body: Buffer): ParsedImageReview {
  const doc = parseJson(body);
  if (!isObject(doc)) throw badRequest('body must be a JSON object (an ImageReview)');
  if (doc.apiVersion !== 'imagepolicy.k8s.io/v1alpha1') {
    throw badRequest(`apiVersion must be imagepolicy.k8s.io/v1alpha1, not ${JSON.stringify(doc.apiVersion ?? null).slice(0, 80)}`);
  }
  if (doc.kind !== 'ImageReview') throw badRequest(`kind must be ImageReview, not ${JSON.stringify(doc.kind ?? null).slice(0, 80)}`);
  const spec = doc.spec;
  if (!isObject(spec)) throw badRequest('spec is missing');
  const containers = spec.containers ?? [];
  if (!Array.isArray(containers)) throw badRequest('spec.containers must be a list');
  if (containers.length > MAX_CONTAINERS) throw badRequest(`more than ${MAX_CONTAINERS} containers`);
  const images = containers.map((c: unknown, i) => {
    if (!isObject(c)) throw badRequest(`spec.containers[${i}] must be an object`);
    return str(c.image, `spec.containers[${i}].image`, true);
  });
  const annotations: Record<string, string> = {};
  if (spec.annotations !== undefined && spec.annotations !== null) {
    if (!isObject(spec.annotations)) throw badRequest('spec.annotations must be an object');
    for (const [k, v] of Object.entries(spec.annotations)) {
      if (typeof v !== 'string') throw badRequest(`spec.annotations.${k.slice(0, 80)} must be a string`);
      annotations[k] = v;
    }
  }
  return { images, namespace: str(spec.namespace, 'spec.namespace', false), annotations };
}

export function imageReviewResponse(a: { allowed: boolean; reason?: string; auditAnnotations?: Record<string, string> }): object {
  return {
    apiVersion: 'imagepolicy.k8s.io/v1alpha1',
    kind: 'ImageReview',
    status: {
      allowed: a.allowed,
      ...(a.reason ? { reason: a.reason } : {}),
      ...(a.auditAnnotations && Object.keys(a.auditAnnotations).length ? { auditAnnotations: a.auditAnnotations } : {}),
    },
  };
}
