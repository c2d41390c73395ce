/**
 * `shipshape admission check|certs|serve` run as a user runs them (built CLI). serve talks to a
 * real docker-registry (TLS + htpasswd) through the real verify(): an image pushed there without
 * shipshape's signature is refused with that reason; mistakes in flags and files are one line, exit 2.
 */
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneLineError, runCli } from './helpers/cli.js';
import { publicKeyPem } from './helpers/fake-verify.js';
import { admissionReview, kubectlMissing, kubectlObject } from './helpers/kubectl.js';
import { postJson, serveWebhook, type ServedWebhook } from './helpers/webhook.js';
import { pushWithSkopeo, registryToolsMissing, startRegistry, writeTinyOciLayout, type StartedRegistry } from './helpers/registry.js';

const skip = kubectlMissing() ?? registryToolsMissing();

describe('admission check and certs', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'shipshape-admcli-'));
    writeFileSync(path.join(dir, 'cosign.pub'), publicKeyPem());
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('check: the smallest policy is valid (exit 0); a broken one is one line naming file:line:column (exit 2)', async () => {
    const file = path.join(dir, 'admission.yaml');
    writeFileSync(file, 'mode: enforce\nallowedRegistries: ["registry.example:5000/*"]\ntrustedKeys: [cosign.pub]\nattestation: { required: true, maxAge: 7d, verdict: pass }\n');
    const ok = await runCli(['admission', 'check', '--config', file]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/admission\.yaml: valid \(mode enforce, 1 trusted key\(s\), 0 namespace override\(s\), policy sha256:[0-9a-f]{64}\)/);
    const json = await runCli(['admission', 'check', '--config', file, '--format', 'json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ mode: 'enforce', trustedKeys: [path.join(dir, 'cosign.pub')] });
    writeFileSync(file, 'mode: enforce\ntrustedKeys: [cosign.pub]\nattestation: { maxAge: soon }\n');
    expect(expectOneLineError(await runCli(['admission', 'check', '--config', file]))).toMatch(/admission\.yaml:3:24: attestation\.maxAge: invalid duration "soon"/);
    expect(expectOneLineError(await runCli(['admission', 'check', '--config', path.join(dir, 'absent.yaml')]))).toMatch(/cannot read admission policy .*absent\.yaml: ENOENT/);
    expect(expectOneLineError(await runCli(['admission', 'check', '--config', file, '--format', 'xml']))).toMatch(/--format: unknown format "xml"/);
  });

  it('certs: a CA and a serving certificate for the Service names, keys 0600, the caBundle on stdout; no overwrite without --force', async () => {
    const out = path.join(dir, 'certs');
    const r = await runCli(['admission', 'certs', '--out', out, '--ip', '127.0.0.1', '--dns', 'webhook.example']);
    expect(r.code).toBe(0);
    const caPem = readFileSync(path.join(out, 'ca.crt'), 'utf8');
    expect(Buffer.from(r.stdout.trim(), 'base64').toString('utf8')).toBe(caPem);
    const ca = new X509Certificate(caPem);
    const leaf = new X509Certificate(readFileSync(path.join(out, 'tls.crt')));
    expect(ca.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkIssued(ca)).toBe(true);
    for (const n of ['shipshape-admission.shipshape-system.svc', 'shipshape-admission.shipshape-system.svc.cluster.local', 'webhook.example']) expect(leaf.checkHost(n)).toBe(n);
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
    // openssl agrees, independently.
    expect(execFileSync('openssl', ['verify', '-CAfile', path.join(out, 'ca.crt'), path.join(out, 'tls.crt')], { encoding: 'utf8' })).toMatch(/: OK/);
    for (const k of ['ca.key', 'tls.key']) expect(statSync(path.join(out, k)).mode & 0o777).toBe(0o600);
    expect(expectOneLineError(await runCli(['admission', 'certs', '--out', out]))).toMatch(/ca\.crt exists; pass --force to replace it/);
    expect((await runCli(['admission', 'certs', '--out', out, '--force'])).code).toBe(0);
    expect(expectOneLineError(await runCli(['admission', 'certs', '--out', out, '--force', '--namespace', 'Bad_NS']))).toMatch(/--namespace "Bad_NS" is not a Kubernetes name/);
  });
});

describe.skipIf(skip)('admission serve, started as a user would, against a real registry', () => {
  let dir: string;
  let reg: StartedRegistry;
  let web: ServedWebhook | undefined;
  let url = '';
  let ca = '';

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'shipshape-admserve-'));
    reg = await startRegistry({ tls: true, auth: { username: 'ci', password: 'secret' } });
    const img = await writeTinyOciLayout(path.join(dir, 'layout'));
    await pushWithSkopeo(`oci:${img.dir}:latest`, `docker://${reg.host}/team/app:1.0`, reg);
    writeFileSync(path.join(dir, 'cosign.pub'), publicKeyPem());
    writeFileSync(path.join(dir, 'admission.yaml'), `mode: enforce\nallowedRegistries: ["${reg.host}/*"]\ntrustedKeys: [cosign.pub]\nattestation: { required: true, maxAge: 7d, verdict: pass }\n`);
    expect((await runCli(['admission', 'certs', '--out', path.join(dir, 'certs'), '--ip', '127.0.0.1'])).code).toBe(0);
    ca = readFileSync(path.join(dir, 'certs', 'ca.crt'), 'utf8');
    web = await serveWebhook(['--config', path.join(dir, 'admission.yaml'), '--tls-cert', path.join(dir, 'certs', 'tls.crt'), '--tls-key', path.join(dir, 'certs', 'tls.key'),
      '--ca-cert', reg.caCert, '--username', 'ci', '--password', 'secret']);
    url = web.url;
  });
  afterAll(async () => {
    web?.kill();
    await reg?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an image the registry holds without a signature, a tag it does not hold, and a registry not allowed; each named with its reason', async () => {
    const review = (image: string) => JSON.stringify(admissionReview(kubectlObject(['create', 'deployment', 'web', `--image=${image}`, '-n', 'prod'])));
    const unsigned = await postJson(`${url}/validate`, ca, review(`${reg.host}/team/app:1.0`));
    expect(unsigned.status).toBe(200);
    expect(unsigned.json.response.allowed).toBe(false);
    expect(unsigned.json.response.status.message).toMatch(new RegExp(`image ${reg.host}/team/app:1\\.0: no signature by a trusted key`));
    const missing = await postJson(`${url}/validate`, ca, review(`${reg.host}/team/app:2.0`));
    expect(missing.json.response.status.message).toMatch(/tag .*team\/app:2\.0 not found/);
    const other = await postJson(`${url}/mutate`, ca, review('quay.io/team/app:1.0'));
    expect(other.json.response).toMatchObject({ allowed: false, status: { message: expect.stringMatching(/quay\.io\/team\/app is not in the allowed registries/) } });
    expect(other.json.response.patch).toBeUndefined();
    const lines = web!.stdout().trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.route === '/validate' && l.decision === 'denied')).toHaveLength(2);
  });

  it('check --image decides as the webhook does: exit 1 and the reason', async () => {
    const r = await runCli(['admission', 'check', '--config', path.join(dir, 'admission.yaml'), '--image', `${reg.host}/team/app:1.0`, '--ca-cert', reg.caCert, '--username', 'ci', '--password', 'secret']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`^DENY  ${reg.host}/team/app:1\\.0 \\(sha256:[0-9a-f]{64}\\): no signature by a trusted key`, 'm'));
  });

  it('stops on SIGTERM with exit 0', async () => {
    const exited = new Promise<number | null>((r) => web!.child.once('exit', (code) => r(code)));
    web!.child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('bad flags and files: one line, exit 2', async () => {
    const cfg = path.join(dir, 'admission.yaml');
    const crt = path.join(dir, 'certs', 'tls.crt');
    const key = path.join(dir, 'certs', 'tls.key');
    expect(expectOneLineError(await runCli(['admission', 'serve', '--config', cfg, '--tls-cert', path.join(dir, 'nope.crt'), '--tls-key', key]))).toMatch(/cannot read TLS certificate .*nope\.crt: ENOENT/);
    expect(expectOneLineError(await runCli(['admission', 'serve', '--config', cfg, '--tls-cert', crt, '--tls-key', path.join(dir, 'certs', 'ca.key')]))).toMatch(/do not load/);
    expect(expectOneLineError(await runCli(['admission', 'serve', '--config', cfg, '--tls-cert', crt, '--tls-key', key, '--port', '99999']))).toMatch(/--port: invalid port "99999"/);
    expect(expectOneLineError(await runCli(['admission', 'serve', '--config', cfg, '--tls-cert', crt, '--tls-key', key, '--webhook-timeout', '2s']))).toMatch(/registryTimeout \(3000 ms\) must be shorter than the webhook timeout \(2000 ms\)/);
    expect(expectOneLineError(await runCli(['admission', 'serve', '--tls-cert', crt, '--tls-key', key]))).toMatch(/required option '--config <file>' not specified/);
  });
});
