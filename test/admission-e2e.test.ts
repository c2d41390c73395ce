/**
 * End to end: images promoted by `shipshape promote` into a docker-registry with TLS + htpasswd,
 * `shipshape admission serve` started as a user would, kubectl-made objects wrapped in
 * AdmissionReview (and ImageReview) sent over HTTPS. Signed + passing → allowed and pinned;
 * unsigned, another key, failed verdict, too old, registry not allowed, tag that does not resolve →
 * denied with the reason; audit → allowed with warnings; registry stopped → denied, except a digest
 * decided before.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { admissionReview, imageReview, kubectlMissing, kubectlObject } from './helpers/kubectl.js';
import { pushWithSkopeo, registryToolsMissing, startRegistry, type StartedRegistry } from './helpers/registry.js';
import { sharedPath } from './helpers/shared.js';
import { postJson, serveWebhook, type ServedWebhook } from './helpers/webhook.js';

const USER = { username: 'ci', password: 'registry-pass' };
const images = sharedPath('images');
const vulndata = sharedPath('vulndata');
const skip = kubectlMissing() ?? registryToolsMissing() ?? (!images || !vulndata ? 'skipping: ../shared images and vulndata are needed' : undefined);

describe.skipIf(skip)('admission end to end with promoted images', () => {
  let tmp = '';
  let reg: StartedRegistry;
  let web: ServedWebhook | undefined;
  let url = '';
  let ca = '';
  const digests: Record<string, string> = {};
  const env = { SHIPSHAPE_KEY_PASSWORD: 'e2e-pass' };
  const oci = (name: string) => `oci:${path.join(images!, 'oci', name)}:latest`;

  const promote = async (src: string, dest: string, key: string) => {
    const r = await runCli(['promote', src, `${reg.host}/${dest}`, '--key', key, '--db', path.join(tmp, 'db.sqlite'), '--no-policy', '--no-cache', '--quiet', '--ca-cert', reg.caCert,
      '--dest-username', USER.username, '--dest-password', USER.password], { env, timeoutMs: 180_000 });
    expect(r.code, r.stderr).toBe(0);
    const pinned = /@(sha256:[0-9a-f]{64})\s*$/.exec(r.stdout.trimEnd());
    expect(pinned, r.stdout).not.toBeNull();
    digests[dest] = pinned![1]!;
  };
  const review = (image: string, ns = 'prod', kind: 'deployment' | 'job' = 'deployment') =>
    JSON.stringify(admissionReview(kubectlObject(kind === 'deployment' ? ['create', 'deployment', 'web', `--image=${image}`, '-n', ns] : ['create', 'job', 'once', `--image=${image}`, '-n', ns])));
  const validate = (image: string, ns = 'prod') => postJson(`${url}/validate`, ca, review(image, ns));

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(tmpdir(), 'shipshape-adm-e2e-'));
    const built = await runCli(['db', 'build', '--from', vulndata!, '--db', path.join(tmp, 'db.sqlite'), '--feeds', 'alpine-secdb', '--quiet'], { timeoutMs: 300_000 });
    expect(built.code, built.stderr).toBe(0);
    reg = await startRegistry({ tls: true, auth: USER });
    for (const k of ['signer', 'other']) expect((await runCli(['key', 'generate', '--output', path.join(tmp, k)], { env })).code).toBe(0);
    const signer = path.join(tmp, 'signer.key');
    await promote(oci('alpine-3.20'), 'app/ok:1.0', signer);
    await promote(oci('alpine-3.20'), 'app/otherkey:1.0', path.join(tmp, 'other.key'));
    await promote(oci('alpine-3.7'), 'app/failed:1.0', signer);
    // A newer attestation of the same digest whose verdict failed (attest exits 1 and still attaches it).
    const a = await runCli(['attest', `${reg.host}/app/failed:1.0`, '--key', signer, '--db', path.join(tmp, 'db.sqlite'), '--no-policy', '--no-cache', '--quiet', '--ca-cert', reg.caCert,
      '--username', USER.username, '--password', USER.password, '--fail-on', 'high'], { env, timeoutMs: 180_000 });
    expect(a.code, a.stderr).toBe(1);
    await pushWithSkopeo(oci('alpine-3.20'), `docker://${reg.host}/app/unsigned:1.0`, reg);

    const cfg = path.join(tmp, 'admission.yaml');
    writeFileSync(
      cfg,
      `mode: enforce
allowedRegistries: ["${reg.host}/*"]
trustedKeys: [signer.pub]
attestation: { required: true, maxAge: 7d, verdict: pass }
namespaces:
  dev: { mode: audit }
  stale: { attestation: { maxAge: 1s } }
`,
    );
    expect((await runCli(['admission', 'certs', '--out', path.join(tmp, 'certs'), '--ip', '127.0.0.1'])).code).toBe(0);
    ca = readFileSync(path.join(tmp, 'certs', 'ca.crt'), 'utf8');
    // The registry's stop() removes its directory, CA included: the webhook keeps its own copy, as a pod would.
    const regCa = path.join(tmp, 'registry-ca.pem');
    copyFileSync(reg.caCert, regCa);
    web = await serveWebhook(['--config', cfg, '--tls-cert', path.join(tmp, 'certs', 'tls.crt'), '--tls-key', path.join(tmp, 'certs', 'tls.key'),
      '--ca-cert', regCa, '--username', USER.username, '--password', USER.password]);
    url = web.url;
  }, 600_000);

  afterAll(async () => {
    web?.kill();
    await reg?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('signed and passing: allowed, and /mutate pins the tag to the promoted digest', async () => {
    const v = await validate(`${reg.host}/app/ok:1.0`);
    expect(v.json.response, JSON.stringify(v.json)).toMatchObject({ allowed: true });
    const m = await postJson(`${url}/mutate`, ca, review(`${reg.host}/app/ok:1.0`, 'prod', 'job'));
    const ops = JSON.parse(Buffer.from(m.json.response.patch, 'base64').toString('utf8'));
    expect(ops).toEqual([{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: `${reg.host}/app/ok:1.0@${digests['app/ok:1.0']}` }]);
    const pod = kubectlObject(['run', 'p', `--image=${reg.host}/app/ok:1.0`, '-n', 'prod']);
    const ir = await postJson(`${url}/imagepolicy`, ca, JSON.stringify(imageReview(pod)));
    expect(ir.json.status.allowed).toBe(true);
  });

  it.each([
    ['unsigned', 'app/unsigned:1.0', /no signature by a trusted key/],
    ['signed by another key', 'app/otherkey:1.0', /no signature by a trusted key/],
    ['failed verdict', 'app/failed:1.0', /scan verdict is fail/],
    ['tag that does not resolve', 'app/ok:2.0', /tag .*app\/ok:2\.0 not found/],
  ])('%s: denied with the reason', async (_name, image, reason) => {
    const v = await validate(`${reg.host}/${image}`);
    expect(v.json.response.allowed).toBe(false);
    expect(v.json.response.status.message).toContain(`image ${reg.host}/${image}: `);
    expect(v.json.response.status.message).toMatch(reason);
  });

  it('registry not allowed: denied without a lookup', async () => {
    const v = await validate('quay.io/team/app:1.0');
    expect(v.json.response.status.message).toMatch(/quay\.io\/team\/app is not in the allowed registries/);
  });

  it('attestation too old for the namespace: denied', async () => {
    await new Promise((r) => setTimeout(r, 1_500));
    const v = await validate(`${reg.host}/app/ok:1.0`, 'stale');
    expect(v.json.response.allowed).toBe(false);
    expect(v.json.response.status.message).toMatch(/attestation is .* old, more than/);
  });

  it('audit namespace: the unsigned image is allowed, with a warning', async () => {
    const v = await validate(`${reg.host}/app/unsigned:1.0`, 'dev');
    expect(v.json.response.allowed).toBe(true);
    expect(v.json.response.warnings[0]).toMatch(/^audit: image .*app\/unsigned:1\.0 would be denied: no signature by a trusted key/);
  });

  it('registry stopped: a digest decided before is still admitted (cache); an undecided one is refused (fail closed)', async () => {
    const ok = `${reg.host}/app/ok@${digests['app/ok:1.0']}`;
    // Never asked about: the same bytes under a repository no request named.
    const never = `${reg.host}/app/never@${digests['app/ok:1.0']}`;
    expect((await validate(ok)).json.response.allowed).toBe(true);
    await reg.stop();
    const cached = await validate(ok);
    expect(cached.json.response.allowed).toBe(true);
    const closed = await validate(never);
    expect(closed.json.response.allowed).toBe(false);
    expect(closed.json.response.status.message).toMatch(/registry unreachable: .*and no cached decision \(fail closed\)/);
    const lines = web!.stdout().trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.route === '/validate').every((l) => typeof l.ms === 'number' && l.uid)).toBe(true);
  });
});
