/**
 * deploy/admission/ as a user applies it: `kubectl kustomize` renders both variants, and the
 * objects are checked against what the issue and the server need; the policy ConfigMap is a valid
 * admission policy; the webhook's Dockerfile passes `shipshape lint` with no finding; the
 * ImagePolicyWebhook configuration fails closed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { parseAdmissionPolicy } from '../src/admission/policy.js';
import { podSpecPath } from '../src/admission/review.js';
import { runCli } from './helpers/cli.js';
import { publicKeyPem } from './helpers/fake-verify.js';
import { emptyKubeconfig, kubectlMissing } from './helpers/kubectl.js';
import { repoRoot } from './helpers/shared.js';

const deploy = path.join(repoRoot, 'deploy', 'admission');
const skip = kubectlMissing();

function kustomize(dir: string): any[] {
  const out = execFileSync('kubectl', ['kustomize', path.join(deploy, dir)], { encoding: 'utf8', env: { ...process.env, KUBECONFIG: emptyKubeconfig() } });
  return parseAllDocuments(out).map((d) => d.toJS());
}

const KIND_OF_RESOURCE: Record<string, string> = {
  pods: 'Pod',
  'pods/ephemeralcontainers': 'Pod',
  replicationcontrollers: 'ReplicationController',
  deployments: 'Deployment',
  replicasets: 'ReplicaSet',
  statefulsets: 'StatefulSet',
  daemonsets: 'DaemonSet',
  jobs: 'Job',
  cronjobs: 'CronJob',
};

describe.skipIf(skip)('deploy/admission', () => {
  const objs = skip ? [] : kustomize('manifests');
  const one = (kind: string) => objs.find((o) => o.kind === kind);

  it('Deployment: 2 replicas on different nodes, non-root, read-only root, resources, probes, image by digest', () => {
    const d = one('Deployment');
    const pod = d.spec.template.spec;
    const c = pod.containers[0];
    expect(d.spec.replicas).toBe(2);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 65532 });
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(c.resources.requests).toBeDefined();
    expect(c.resources.limits).toBeDefined();
    expect(c.readinessProbe.httpGet).toMatchObject({ path: '/readyz', scheme: 'HTTPS' });
    expect(c.livenessProbe.httpGet).toMatchObject({ path: '/healthz', scheme: 'HTTPS' });
    expect(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey).toBe('kubernetes.io/hostname');
    expect(c.image).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(one('PodDisruptionBudget').spec.minAvailable).toBe(1);
    const svc = one('Service');
    expect(svc.spec.ports[0]).toMatchObject({ port: 443, targetPort: 'https' });
    expect(svc.spec.selector).toEqual(d.spec.selector.matchLabels);
  });

  it("the container's arguments are flags of `admission serve`, and its mounts hold the files they name", async () => {
    const help = (await runCli(['admission', 'serve', '--help'])).stdout;
    const c = one('Deployment').spec.template.spec.containers[0];
    for (const arg of c.args as string[]) expect(help).toContain(arg.split('=')[0]);
    const mounts = (c.volumeMounts as Array<{ mountPath: string }>).map((m) => m.mountPath);
    for (const arg of (c.args as string[]).filter((a) => a.includes('=/'))) {
      expect(mounts.some((m) => arg.split('=')[1]!.startsWith(`${m}/`))).toBe(true);
    }
  });

  it('webhooks: both doors, fail closed, no side effects, timeout above the registry timeout, own namespace and kube-system left out', () => {
    const policy = one('ConfigMap').data['admission.yaml'];
    for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
      const w = one(kind).webhooks[0];
      expect(w.clientConfig.service).toMatchObject({ name: 'shipshape-admission', namespace: 'shipshape-system', path: kind.startsWith('Mutating') ? '/mutate' : '/validate' });
      expect(w).toMatchObject({ sideEffects: 'None', failurePolicy: 'Fail', matchPolicy: 'Equivalent', timeoutSeconds: 10 });
      expect(w.admissionReviewVersions).toEqual(['v1', 'v1beta1']);
      if (kind.startsWith('Mutating')) expect(w.reinvocationPolicy).toBe('IfNeeded');
      expect(w.namespaceSelector.matchExpressions).toContainEqual({ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'shipshape-system'] });
      expect(Number(/registryTimeout: (\d+)s/.exec(policy)![1])).toBeLessThan(w.timeoutSeconds);
      // Every resource sent is a kind whose pod spec the webhook knows.
      for (const rule of w.rules) {
        for (const res of rule.resources) {
          const k = KIND_OF_RESOURCE[res];
          expect(k, res).toBeDefined();
          expect(podSpecPath({ group: rule.apiGroups[0], kind: k! }), `${rule.apiGroups[0]}/${k}`).toBeDefined();
        }
      }
    }
    const service = one('Service');
    expect(service.metadata).toMatchObject({ name: 'shipshape-admission', namespace: 'shipshape-system' });
  });

  it('the policy ConfigMap is a valid admission policy once its key is a real one', () => {
    const cm = one('ConfigMap');
    const file = path.join('/etc/shipshape/policy', 'admission.yaml');
    expect(() => parseAdmissionPolicy(cm.data['admission.yaml'], file, { readKey: () => cm.data['cosign.pub'] })).toThrow(/trusted key cosign\.pub does not load/);
    const p = parseAdmissionPolicy(cm.data['admission.yaml'], file, { readKey: () => publicKeyPem() });
    expect(p.global.mode).toBe('audit');
    expect(p.namespaces[0]).toMatchObject({ pattern: 'production', policy: { mode: 'enforce' } });
  });

  it('cert-manager variant: certificates for the Service names, caBundle injected instead of written', () => {
    const cm = kustomize('cert-manager');
    const cert = cm.find((o) => o.kind === 'Certificate' && o.metadata.name === 'shipshape-admission');
    expect(cert.spec.secretName).toBe(one('Deployment').spec.template.spec.volumes.find((v: any) => v.name === 'tls').secret.secretName);
    expect(cert.spec.dnsNames).toContain('shipshape-admission.shipshape-system.svc');
    for (const kind of ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration']) {
      const w = cm.find((o) => o.kind === kind);
      expect(w.metadata.annotations['cert-manager.io/inject-ca-from']).toBe('shipshape-system/shipshape-admission');
      expect(w.webhooks[0].clientConfig.caBundle).toBeUndefined();
    }
  });

  it('ImagePolicyWebhook: AdmissionConfiguration fails closed and its kubeconfig points at /imagepolicy', () => {
    const ac = parseYaml(readFileSync(path.join(deploy, 'imagepolicy', 'admission-configuration.yaml'), 'utf8'));
    expect(ac).toMatchObject({ apiVersion: 'apiserver.config.k8s.io/v1', kind: 'AdmissionConfiguration' });
    const ip = ac.plugins.find((p: any) => p.name === 'ImagePolicyWebhook').configuration.imagePolicy;
    expect(ip.defaultAllow).toBe(false);
    const kc = parseYaml(readFileSync(path.join(deploy, 'imagepolicy', 'kubeconfig.yaml'), 'utf8'));
    expect(new URL(kc.clusters[0].cluster.server).pathname).toBe('/imagepolicy');
    expect(kc.contexts.map((c: any) => c.name)).toContain(kc['current-context']);
  });

  it("the webhook's Dockerfile passes shipshape lint with no finding: distroless, non-root", async () => {
    const r = await runCli(['lint', path.join(deploy, 'Dockerfile'), '--format', 'json', '--no-policy']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).findings).toEqual([]);
    const text = readFileSync(path.join(deploy, 'Dockerfile'), 'utf8');
    expect(text).toMatch(/^FROM gcr\.io\/distroless\/nodejs\d+-debian\d+:nonroot@sha256:/m);
    expect(text).toMatch(/^USER 65532:65532$/m);
  });

  it('a Dockerfile with an unpinned base or root user does not pass, so the check above can fail', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-df-'));
    try {
      const bad = readFileSync(path.join(deploy, 'Dockerfile'), 'utf8').replace(/:nonroot@sha256:[0-9a-f]+/, ':nonroot').replace('USER 65532:65532', 'USER root');
      writeFileSync(path.join(dir, 'Dockerfile'), bad);
      const r = await runCli(['lint', path.join(dir, 'Dockerfile'), '--format', 'json', '--no-policy']);
      expect(r.code).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
