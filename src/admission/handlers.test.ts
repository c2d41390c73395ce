/** The doors without HTTP: kubectl-made objects wrapped in AdmissionReview v1/v1beta1 and ImageReview, answers, patches, and every bad input a 400. */
import { describe, expect, it } from 'vitest';
import { digest, FakeRegistry, publicKeyPem } from '../../test/helpers/fake-verify.js';
import { admissionReview, imageReview, kubectlMissing, kubectlObject } from '../../test/helpers/kubectl.js';
import { AdmissionEngine } from './engine.js';
import { handleAdmissionReview, handleImageReview } from './handlers.js';
import { parseAdmissionPolicy } from './policy.js';

const PEM = publicKeyPem();
const R = 'registry.example:5000';
const POLICY = `mode: enforce
allowedRegistries: ["${R}/*"]
trustedKeys: [keys/cosign.pub]
attestation: { required: true, maxAge: 7d, verdict: pass }
namespaces:
  dev: { mode: audit }
`;
const skip = kubectlMissing();

function setup() {
  const reg = new FakeRegistry()
    .add(`${R}/app:1.0`, { digest: digest(1) })
    .add(`${R}/side:2`, { digest: digest(2) })
    .add(`${R}/init:1`, { digest: digest(3) })
    .add(`${R}/unsigned:1.0`, { digest: digest(4), signed: false });
  const engine = new AdmissionEngine({ policy: parseAdmissionPolicy(POLICY, '/p/a.yaml', { readKey: () => PEM }), verify: reg.verify, resolveTag: reg.resolveTag });
  return { reg, engine };
}

const body = (o: unknown) => Buffer.from(typeof o === 'string' ? o : JSON.stringify(o));

/** Applies JSONPatch `replace` operations (all the webhook emits), checking each path exists. */
function applyPatch(doc: any, ops: Array<{ op: string; path: string; value: unknown }>): any {
  const out = structuredClone(doc);
  for (const op of ops) {
    expect(op.op).toBe('replace');
    const segs = op.path.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
    let node = out;
    for (const s of segs.slice(0, -1)) node = node[s];
    expect(node[segs.at(-1)!]).toBeDefined();
    node[segs.at(-1)!] = op.value;
  }
  return out;
}

describe.skipIf(skip)('AdmissionReview doors with kubectl-made objects', () => {
  it.each([
    ['Deployment', ['create', 'deployment', 'web', `--image=${R}/app:1.0`, `--image=${R}/side:2`], ['/spec/template/spec/containers/0/image', '/spec/template/spec/containers/1/image']],
    ['Job', ['create', 'job', 'once', `--image=${R}/app:1.0`], ['/spec/template/spec/containers/0/image']],
    ['CronJob', ['create', 'cronjob', 'nightly', `--image=${R}/app:1.0`, '--schedule=0 3 * * *'], ['/spec/jobTemplate/spec/template/spec/containers/0/image']],
    ['Pod (kubectl run)', ['run', 'p', `--image=${R}/app:1.0`], ['/spec/containers/0/image']],
  ])('%s: validate admits, mutate pins every tag to its verified digest', async (_kind, args, paths) => {
    const { engine } = setup();
    const obj = kubectlObject([...args, '-n', 'prod']);
    const review = admissionReview(obj);
    const v = await handleAdmissionReview(engine, body(review), { mutate: false });
    expect(v.status).toBe(200);
    expect(v.body).toMatchObject({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true } });
    expect((v.body as any).response.patch).toBeUndefined();
    expect(v.log).toMatchObject({ route: '/validate', uid: review.request.uid, namespace: 'prod', kind: obj.kind, name: obj.metadata.name, decision: 'allowed' });

    const m = await handleAdmissionReview(engine, body(review), { mutate: true });
    const resp = (m.body as any).response;
    expect(resp.patchType).toBe('JSONPatch');
    const ops = JSON.parse(Buffer.from(resp.patch, 'base64').toString('utf8'));
    expect(ops.map((o: any) => o.path)).toEqual(paths);
    const patched = applyPatch(obj, ops);
    const images = paths.map((p) => p.slice(1).split('/').reduce((n: any, s) => n[s], patched));
    expect(images[0]).toBe(`${R}/app:1.0@${digest(1)}`);
    if (images[1]) expect(images[1]).toBe(`${R}/side:2@${digest(2)}`);
  });

  it('init and ephemeral containers are judged too', async () => {
    const { engine } = setup();
    const obj = kubectlObject(['run', 'p', `--image=${R}/app:1.0`, '-n', 'prod']);
    obj.spec.initContainers = [{ name: 'init', image: `${R}/init:1` }];
    obj.spec.ephemeralContainers = [{ name: 'debug', image: `${R}/unsigned:1.0` }];
    const r = await handleAdmissionReview(engine, body(admissionReview(obj)), { mutate: true });
    const resp = (r.body as any).response;
    expect(resp.allowed).toBe(false);
    expect(resp.status).toMatchObject({ code: 403, reason: 'Forbidden' });
    expect(resp.status.message).toMatch(/denied 1 of 3 image\(s\): image registry\.example:5000\/unsigned:1\.0: no signature/);
    expect(resp.patch).toBeUndefined();
  });

  it('answers v1beta1 in v1beta1, echoing the uid', async () => {
    const { engine } = setup();
    const review = admissionReview(kubectlObject(['create', 'deployment', 'web', `--image=${R}/unsigned:1.0`, '-n', 'prod']), { version: 'v1beta1' });
    const r = await handleAdmissionReview(engine, body(review), { mutate: false });
    expect(r.body).toMatchObject({ apiVersion: 'admission.k8s.io/v1beta1', kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: false } });
    expect(r.log.decision).toBe('denied');
  });

  it('audit namespace: allowed with warnings and audit annotations', async () => {
    const { engine } = setup();
    const review = admissionReview(kubectlObject(['create', 'deployment', 'web', `--image=${R}/unsigned:1.0`, '-n', 'dev']));
    const r = await handleAdmissionReview(engine, body(review), { mutate: false });
    expect((r.body as any).response).toMatchObject({ allowed: true, warnings: [expect.stringMatching(/^audit: image .*unsigned:1\.0 would be denied/)], auditAnnotations: { decision: 'audit-denied' } });
    expect(r.log.decision).toBe('audit');
  });

  it('break-glass on the pod template is read (and ignored here: the policy leaves it off)', async () => {
    const { engine } = setup();
    const obj = kubectlObject(['create', 'deployment', 'web', `--image=${R}/unsigned:1.0`, '-n', 'prod']);
    obj.spec.template.metadata.annotations = { 'alpha.image-policy.k8s.io/break-glass': 'true' };
    const r = await handleAdmissionReview(engine, body(admissionReview(obj)), { mutate: false });
    expect((r.body as any).response.allowed).toBe(false);
    expect((r.body as any).response.warnings[0]).toMatch(/break-glass annotation .* ignored/);
  });

  it('kinds without a pod spec, DELETE and CONNECT are allowed unchanged and logged', async () => {
    const { engine, reg } = setup();
    for (const review of [
      admissionReview(kubectlObject(['create', 'configmap', 'c', '--from-literal=a=b'])),
      admissionReview(kubectlObject(['create', 'deployment', 'web', `--image=${R}/unsigned:1.0`]), { operation: 'DELETE' }),
    ]) {
      const r = await handleAdmissionReview(engine, body(review), { mutate: true });
      expect(r.status).toBe(200);
      expect((r.body as any).response).toEqual({ uid: review.request.uid, allowed: true });
      expect(r.log.decision).toBe('skipped');
      expect(r.log.reasons![0]).toMatch(/kind ConfigMap has no pod spec|operation DELETE/);
    }
    expect(reg.calls).toEqual({ verify: 0, resolve: 0 });
  });

  it('1,000 containers in one Pod: answered, nothing crashes', async () => {
    const { engine } = setup();
    const obj = kubectlObject(['run', 'p', `--image=${R}/app:1.0`, '-n', 'prod']);
    obj.spec.containers = Array.from({ length: 1000 }, (_, i) => ({ name: `c${i}`, image: i % 2 ? `${R}/app:1.0` : `${R}/side:2` }));
    const r = await handleAdmissionReview(engine, body(admissionReview(obj)), { mutate: true });
    const resp = (r.body as any).response;
    expect(resp.allowed).toBe(true);
    expect(JSON.parse(Buffer.from(resp.patch, 'base64').toString())).toHaveLength(1000);
  });

  it('ImageReview: allowed, denied with the reason, audit annotations', async () => {
    const { engine } = setup();
    const pod = kubectlObject(['run', 'p', `--image=${R}/app:1.0`, '-n', 'prod']);
    const ok = await handleImageReview(engine, body(imageReview(pod)));
    expect(ok.body).toMatchObject({ apiVersion: 'imagepolicy.k8s.io/v1alpha1', kind: 'ImageReview', status: { allowed: true, auditAnnotations: { decision: 'allowed' } } });
    pod.spec.containers[0].image = `${R}/unsigned:1.0`;
    const no = await handleImageReview(engine, body(imageReview(pod)));
    expect((no.body as any).status).toMatchObject({ allowed: false, reason: expect.stringMatching(/image registry\.example:5000\/unsigned:1\.0: no signature/) });
  });
});

describe('bad input: a 400 with a reason, never a crash, never an allow', () => {
  const good = () => admissionReview({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'prod' }, spec: { containers: [{ name: 'a', image: `${R}/unsigned:1.0` }] } });
  const cases: Array<[string, () => string | object, RegExp]> = [
    ['non-JSON body', () => '{"apiVersion": "admission.k8s.io/v1", ', /^body is not JSON: /],
    ['empty body', () => '', /^body is not JSON/],
    ['JSON but not an object', () => '[1,2]', /must be a JSON object/],
    ['wrong apiVersion', () => ({ ...good(), apiVersion: 'admission.k8s.io/v2' }), /apiVersion must be admission\.k8s\.io\/v1 or admission\.k8s\.io\/v1beta1, not "admission\.k8s\.io\/v2"/],
    ['wrong kind', () => ({ ...good(), kind: 'ImageReview' }), /kind must be AdmissionReview, not "ImageReview"/],
    ['no request', () => ({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview' }), /request is missing/],
    ['missing uid', () => { const g = good(); delete g.request.uid; return g; }, /request\.uid is missing/],
    ['uid not a string', () => { const g = good(); g.request.uid = 42; return g; }, /request\.uid must be a string/],
    ['missing request.kind', () => { const g = good(); delete g.request.kind; return g; }, /request\.kind is missing/],
    ['unknown operation', () => { const g = good(); g.request.operation = 'PATCH'; return g; }, /request\.operation "PATCH" is not/],
    ['object not an object', () => { const g = good(); g.request.object = 'pod'; return g; }, /request\.object must be an object/],
    ['containers not a list', () => { const g = good(); g.request.object.spec.containers = { a: 1 }; return g; }, /object\.spec\.containers must be a list/],
    ['container not an object', () => { const g = good(); g.request.object.spec.containers = ['x']; return g; }, /object\.spec\.containers\[0\] must be an object/],
    ['image not a string', () => { const g = good(); g.request.object.spec.containers[0].image = 7; return g; }, /object\.spec\.containers\[0\]\.image must be a string/],
    ['pod without spec', () => { const g = good(); delete g.request.object.spec; return g; }, /Pod has no spec/],
  ];
  it.each(cases)('%s', async (_name, make, reason) => {
    const { engine } = setup();
    const r = await handleAdmissionReview(engine, body(make()), { mutate: false });
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'BadRequest', code: 400 });
    expect((r.body as any).message).toMatch(reason);
    expect(r.log.decision).toBe('bad-request');
    expect(JSON.stringify(r.body)).not.toContain('"allowed":true');
  });

  it.each([
    ['wrong apiVersion', { apiVersion: 'imagepolicy.k8s.io/v1', kind: 'ImageReview', spec: {} }, /apiVersion must be imagepolicy\.k8s\.io\/v1alpha1/],
    ['wrong kind', { apiVersion: 'imagepolicy.k8s.io/v1alpha1', kind: 'AdmissionReview', spec: {} }, /kind must be ImageReview/],
    ['no spec', { apiVersion: 'imagepolicy.k8s.io/v1alpha1', kind: 'ImageReview' }, /spec is missing/],
    ['container without image', { apiVersion: 'imagepolicy.k8s.io/v1alpha1', kind: 'ImageReview', spec: { containers: [{}] } }, /spec\.containers\[0\]\.image is missing/],
    ['annotation not a string', { apiVersion: 'imagepolicy.k8s.io/v1alpha1', kind: 'ImageReview', spec: { containers: [], annotations: { a: 1 } } }, /spec\.annotations\.a must be a string/],
  ])('ImageReview: %s', async (_name, doc, reason) => {
    const { engine } = setup();
    const r = await handleImageReview(engine, body(doc));
    expect(r.status).toBe(400);
    expect((r.body as any).message).toMatch(reason);
  });
});
