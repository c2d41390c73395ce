/**
 * The webhook's HTTPS server with real TLS (certificates from `admission certs`' library function,
 * openssl-made), an in-memory registry behind verify(): routes, body limit, TLS ≥ 1.2, metrics,
 * JSON log lines, policy and certificate reload without dropped requests.
 */
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWebhookCerts } from '../src/admission/certs.js';
import { startAdmissionServer, type AdmissionServer } from '../src/admission/server.js';
import { digest, FakeRegistry, publicKeyPem } from './helpers/fake-verify.js';
import { admissionReview, imageReview, kubectlMissing, kubectlObject } from './helpers/kubectl.js';
import { registryToolsMissing } from './helpers/registry.js';

const R = 'registry.example:5000';
const PEM = publicKeyPem();
const POLICY = `mode: enforce
allowedRegistries: ["${R}/*"]
trustedKeys: [cosign.pub]
attestation: { required: true, maxAge: 7d, verdict: pass }
`;
const skip = kubectlMissing() ?? registryToolsMissing();

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json: any;
}

function request(srv: AdmissionServer, ca: string, method: string, route: string, body?: Buffer | string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${srv.url}${route}`, { method, ca, headers: { 'content-type': 'application/json', ...headers }, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode!, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

function peerFingerprint(srv: AdmissionServer, ca: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port: srv.port, ca, servername: undefined }, () => {
      const fp = s.getPeerCertificate().fingerprint256;
      s.end();
      resolve(fp);
    });
    s.on('error', reject);
  });
}

async function until(what: string, fn: () => Promise<boolean> | boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(skip)('admission HTTPS server', () => {
  let dir: string;
  let srv: AdmissionServer;
  let ca: string;
  const logs: any[] = [];
  const reg = new FakeRegistry().add(`${R}/app:1.0`, { digest: digest(1) }).add(`${R}/unsigned:1.0`, { digest: digest(2), signed: false });
  const deployment = () => admissionReview(kubectlObject(['create', 'deployment', 'web', `--image=${R}/app:1.0`, '-n', 'prod']));

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'shipshape-admission-'));
    writeFileSync(path.join(dir, 'cosign.pub'), PEM);
    writeFileSync(path.join(dir, 'admission.yaml'), POLICY);
    await makeWebhookCerts({ outDir: path.join(dir, 'certs'), service: 'shipshape-admission', namespace: 'shipshape-system', ipAddresses: ['127.0.0.1'] });
    ca = readFileSync(path.join(dir, 'certs', 'ca.crt'), 'utf8');
    srv = await startAdmissionServer({
      policyFile: path.join(dir, 'admission.yaml'),
      certFile: path.join(dir, 'certs', 'tls.crt'),
      keyFile: path.join(dir, 'certs', 'tls.key'),
      port: 0,
      host: '127.0.0.1',
      watchIntervalMs: 100,
      verify: reg.verify,
      resolveTag: reg.resolveTag,
      log: (l) => logs.push(JSON.parse(l)),
    });
  });
  afterAll(async () => {
    await srv?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves health, readiness and the decision over verified TLS, with one JSON log line per request', async () => {
    expect((await request(srv, ca, 'GET', '/healthz')).status).toBe(200);
    expect((await request(srv, ca, 'GET', '/readyz')).text).toBe('ok\n');
    const review = deployment();
    const r = await request(srv, ca, 'POST', '/validate', JSON.stringify(review));
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid: review.request.uid, allowed: true } });
    const line = logs.find((l) => l.uid === review.request.uid);
    expect(line).toMatchObject({ route: '/validate', uid: review.request.uid, namespace: 'prod', kind: 'Deployment', name: 'web', images: [`${R}/app:1.0`], decision: 'allowed' });
    expect(typeof line.ms).toBe('number');
    expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT/);
    const m = await request(srv, ca, 'POST', '/mutate', JSON.stringify(review));
    expect(JSON.parse(Buffer.from(m.json.response.patch, 'base64').toString())).toEqual([
      { op: 'replace', path: '/spec/template/spec/containers/0/image', value: `${R}/app:1.0@${digest(1)}` },
    ]);
    const pod = kubectlObject(['run', 'p', `--image=${R}/unsigned:1.0`, '-n', 'prod']);
    const ir = await request(srv, ca, 'POST', '/imagepolicy', JSON.stringify(imageReview(pod)));
    expect(ir.json.status).toMatchObject({ allowed: false, reason: expect.stringMatching(/unsigned:1\.0: no signature/) });
  });

  it('refuses TLS below 1.2', async () => {
    const err = await new Promise<Error | undefined>((resolve) => {
      const s = tls.connect({ host: '127.0.0.1', port: srv.port, ca, maxVersion: 'TLSv1.1', minVersion: 'TLSv1' }, () => {
        s.end();
        resolve(undefined);
      });
      s.on('error', resolve);
    });
    expect(err).toBeDefined();
  });

  it('bad requests: oversized bodies (declared or streamed), unknown routes, wrong methods', async () => {
    const big = Buffer.alloc((3 << 20) + 10, 0x20);
    const a = await request(srv, ca, 'POST', '/validate', big);
    expect(a.status).toBe(400);
    expect(a.json).toMatchObject({ kind: 'Status', reason: 'BadRequest', message: expect.stringMatching(/larger than 3145728 bytes/) });
    const chunked = await request(srv, ca, 'POST', '/validate', big, { 'transfer-encoding': 'chunked' });
    expect(chunked.status).toBe(400);
    expect((await request(srv, ca, 'GET', '/validate')).status).toBe(405);
    expect((await request(srv, ca, 'POST', '/nope', '{}')).status).toBe(404);
    const notJson = await request(srv, ca, 'POST', '/mutate', 'not json');
    expect(notJson.status).toBe(400);
    expect(notJson.json.message).toMatch(/^body is not JSON/);
    // Still serving after all that.
    expect((await request(srv, ca, 'POST', '/validate', JSON.stringify(deployment()))).json.response.allowed).toBe(true);
  });

  it('metrics in the Prometheus text format: decisions, latency histogram, cache lookups', async () => {
    const r = await request(srv, ca, 'GET', '/metrics');
    expect(r.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(r.text).toMatch(/^# HELP shipshape_admission_requests_total /m);
    expect(r.text).toMatch(/^shipshape_admission_decisions_total\{result="allowed",reason="verified"\} \d+$/m);
    expect(r.text).toMatch(/^shipshape_admission_decisions_total\{result="denied",reason="not-verified"\} 1$/m);
    expect(r.text).toMatch(/^shipshape_admission_request_duration_seconds_bucket\{route="\/validate",le="\+Inf"\} \d+$/m);
    expect(r.text).toMatch(/^shipshape_admission_cache_lookups_total\{cache="decision",result="hit"\} \d+$/m);
    expect(r.text).toMatch(/^shipshape_admission_requests_total\{route="\/validate",code="400"\} 2$/m);
    // Every sample line is `name{labels} number`.
    for (const line of r.text.split('\n').filter((l) => l && !l.startsWith('#'))) expect(line).toMatch(/^[a-z_]+(\{[^}]*\})? [0-9.e+-]+$/);
  });

  it('reloads a changed policy without dropping requests; an invalid one is refused and the old one stays', async () => {
    const obj = kubectlObject(['create', 'deployment', 'web', `--image=${R}/unsigned:1.0`, '-n', 'prod']);
    const unsigned = () => JSON.stringify(admissionReview(obj));
    expect((await request(srv, ca, 'POST', '/validate', unsigned())).json.response.allowed).toBe(false);
    const inflight = Array.from({ length: 40 }, () => request(srv, ca, 'POST', '/validate', unsigned()));
    writeFileSync(path.join(dir, 'admission.yaml'), POLICY.replace('mode: enforce', 'mode: audit'));
    const answered = await Promise.all(inflight);
    expect(answered.every((a) => a.status === 200)).toBe(true);
    await until('the audit policy', async () => (await request(srv, ca, 'POST', '/validate', unsigned())).json.response.allowed === true);
    expect(logs.some((l) => l.event === 'reload' && l.what === 'policy' && l.result === 'ok')).toBe(true);
    writeFileSync(path.join(dir, 'admission.yaml'), 'mode: [broken\n');
    await until('the reload error', () => logs.some((l) => l.event === 'reload' && l.result === 'error'));
    expect(logs.find((l) => l.event === 'reload' && l.result === 'error').error).toMatch(/admission\.yaml:\d+:\d+: invalid YAML/);
    expect((await request(srv, ca, 'POST', '/validate', unsigned())).json.response.allowed).toBe(true);
    writeFileSync(path.join(dir, 'admission.yaml'), POLICY);
    await until('enforce again', async () => (await request(srv, ca, 'POST', '/validate', unsigned())).json.response.allowed === false);
  });

  it('serves a rotated certificate to new connections once both files changed', async () => {
    const before = await peerFingerprint(srv, ca);
    const pem = readFileSync(path.join(dir, 'certs', 'tls.crt'), 'utf8');
    expect(before).toBe(new X509Certificate(pem).fingerprint256);
    await makeWebhookCerts({ outDir: path.join(dir, 'certs'), service: 'shipshape-admission', namespace: 'shipshape-system', ipAddresses: ['127.0.0.1'], force: true });
    const ca2 = readFileSync(path.join(dir, 'certs', 'ca.crt'), 'utf8');
    await until('the new certificate', async () => {
      try {
        return (await peerFingerprint(srv, ca2)) !== before;
      } catch {
        return false;
      }
    });
    expect((await request(srv, ca2, 'POST', '/validate', JSON.stringify(deployment()))).status).toBe(200);
    expect(logs.some((l) => l.event === 'reload' && l.what === 'certificate' && l.result === 'ok')).toBe(true);
  });
});
