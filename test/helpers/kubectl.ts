/**
 * Kubernetes objects made by the real kubectl (`create … --dry-run=client -o json`, `run`), and
 * wrapped in an AdmissionReview as admission.k8s.io/v1 defines it
 * (https://kubernetes.io/docs/reference/access-authn-authz/extensible-admission-controllers/#request).
 * `kubectl run` asks the API's discovery which kinds exist even on a client dry run: it reads a
 * discovery cache seeded here (core/v1 pods only), so no server is needed and none is contacted.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Why kubectl tests cannot run, or undefined when kubectl is installed. */
export function kubectlMissing(): string | undefined {
  if (spawnSync('sh', ['-c', 'command -v kubectl'], { stdio: 'ignore' }).status === 0) return undefined;
  const msg = 'skipping: kubectl is not installed (apt-get install kubernetes-client)';
  process.stderr.write(`${msg}\n`);
  return msg;
}

let kubeconfigFile: string | undefined;
/**
 * An empty kubeconfig of our own: kubectl reads $KUBECONFIG even on a client dry run, and the
 * user's may point anywhere (KUBECONFIG=/dev/null is not safe either: on this machine /dev/null
 * has been seen replaced by a regular file with text in it).
 */
export function emptyKubeconfig(): string {
  if (!kubeconfigFile) {
    kubeconfigFile = path.join(mkdtempSync(path.join(tmpdir(), 'shipshape-kubeconfig-')), 'config');
    writeFileSync(kubeconfigFile, 'apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n');
  }
  return kubeconfigFile;
}

let cacheDir: string | undefined;
/** A discovery cache for the unreachable server https://127.0.0.1:1 (kubectl names the dir host_port). */
function discoveryCache(): string {
  if (cacheDir) return cacheDir;
  const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-kubectl-'));
  const host = path.join(dir, 'discovery', '127.0.0.1_1');
  mkdirSync(path.join(host, 'v1'), { recursive: true });
  writeFileSync(
    path.join(host, 'servergroups.json'),
    JSON.stringify({ kind: 'APIGroupList', apiVersion: 'v1', groups: [{ name: '', versions: [{ groupVersion: 'v1', version: 'v1' }], preferredVersion: { groupVersion: 'v1', version: 'v1' } }] }),
  );
  writeFileSync(
    path.join(host, 'v1', 'serverresources.json'),
    JSON.stringify({
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: 'v1',
      resources: [{ name: 'pods', singularName: 'pod', namespaced: true, kind: 'Pod', verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'], shortNames: ['po'] }],
    }),
  );
  cacheDir = dir;
  return dir;
}

/** `kubectl <args> --dry-run=client -o json`, parsed. */
export function kubectlObject(args: string[]): Record<string, any> {
  const extra = args[0] === 'run' ? ['--server=https://127.0.0.1:1', '--token=unused', '--insecure-skip-tls-verify', `--cache-dir=${discoveryCache()}`] : [];
  const full = [...args, '--dry-run=client', '-o', 'json', ...extra];
  for (let attempt = 1; ; attempt++) {
    try {
      const out = execFileSync('kubectl', full, { encoding: 'utf8', timeout: 60_000, env: { ...process.env, KUBECONFIG: emptyKubeconfig() }, stdio: ['ignore', 'pipe', 'pipe'] });
      return JSON.parse(out) as Record<string, any>;
    } catch (err) {
      // Seen once under load with several test files starting kubectl at once: say why, try again.
      const why = String((err as { stderr?: string }).stderr ?? (err as Error).message).trim();
      if (attempt >= 3) throw new Error(`kubectl ${full.join(' ')} failed: ${why}`);
      process.stderr.write(`kubectl ${args.slice(0, 2).join(' ')} failed (attempt ${attempt}): ${why.split('\n')[0]}\n`);
    }
  }
}

const RESOURCES: Record<string, string> = {
  Pod: 'pods',
  Deployment: 'deployments',
  ReplicaSet: 'replicasets',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
  Job: 'jobs',
  CronJob: 'cronjobs',
  ReplicationController: 'replicationcontrollers',
  ConfigMap: 'configmaps',
  Service: 'services',
  Secret: 'secrets',
};

/** Wraps an object in an AdmissionReview request as the API server sends it. */
export function admissionReview(
  obj: Record<string, any>,
  opts: { version?: 'v1' | 'v1beta1'; operation?: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT'; uid?: string; namespace?: string } = {},
): Record<string, any> {
  const [group, version] = String(obj.apiVersion).includes('/') ? String(obj.apiVersion).split('/') : ['', String(obj.apiVersion)];
  const gvk = { group, version, kind: obj.kind };
  const gvr = { group, version, resource: RESOURCES[obj.kind] ?? `${String(obj.kind).toLowerCase()}s` };
  const operation = opts.operation ?? 'CREATE';
  const namespace = opts.namespace ?? obj.metadata?.namespace ?? 'default';
  return {
    apiVersion: `admission.k8s.io/${opts.version ?? 'v1'}`,
    kind: 'AdmissionReview',
    request: {
      uid: opts.uid ?? randomUUID(),
      kind: gvk,
      resource: gvr,
      requestKind: gvk,
      requestResource: gvr,
      name: obj.metadata?.name,
      namespace,
      operation,
      userInfo: { username: 'kubernetes-admin', uid: 'admin', groups: ['system:masters', 'system:authenticated'] },
      object: operation === 'DELETE' ? null : { ...obj, metadata: { ...obj.metadata, namespace } },
      oldObject: operation === 'UPDATE' || operation === 'DELETE' ? obj : null,
      dryRun: false,
      options: { kind: operation === 'DELETE' ? 'DeleteOptions' : operation === 'UPDATE' ? 'UpdateOptions' : 'CreateOptions', apiVersion: 'meta.k8s.io/v1' },
    },
  };
}

/** An ImageReview as the ImagePolicyWebhook plugin sends it for a Pod. */
export function imageReview(pod: Record<string, any>, annotations: Record<string, string> = {}): Record<string, any> {
  const spec = pod.spec ?? {};
  const containers = [...(spec.initContainers ?? []), ...(spec.containers ?? []), ...(spec.ephemeralContainers ?? [])].map((c: { image: string }) => ({ image: c.image }));
  return {
    apiVersion: 'imagepolicy.k8s.io/v1alpha1',
    kind: 'ImageReview',
    spec: { containers, annotations, namespace: pod.metadata?.namespace ?? 'default' },
  };
}

/** The kubectl client version, for messages. */
export function kubectlVersion(): string {
  return execFileSync('kubectl', ['version', '--client', '-o', 'json'], { encoding: 'utf8' }).match(/"gitVersion":\s*"([^"]+)"/)?.[1] ?? 'unknown';
}
