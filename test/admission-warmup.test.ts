/**
 * The warm-up before ready: synthetic requests on a throwaway engine that make no network request,
 * leave the server's engine, caches and metrics untouched, and can neither change a decision nor
 * hold readiness back (a failing or hanging warm-up still lets the server become ready).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeWebhookCerts } from '../src/admission/certs.js';
import { parseAdmissionPolicy } from '../src/admission/policy.js';
import { startAdmissionServer, type AdmissionServer, type ServeOptions } from '../src/admission/server.js';
import { warmUp } from '../src/admission/warmup.js';
import { digest, FakeRegistry, publicKeyPem } from './helpers/fake-verify.js';
import { admissionReview, kubectlMissing, kubectlObject } from './helpers/kubectl.js';
import { registryToolsMissing } from './helpers/registry.js';

const R = 'registry.example:5000';
const PEM = publicKeyPem();
const policyText = (allowed: string, cache = '') => `mode: enforce
allowedRegistries: ["${allowed}"]
trustedKeys: [cosign.pub]
attestation: { required: true, maxAge: 7d, verdict: pass }
${cache}`;

/** A TCP listener that counts connections: a registry that must never be called. */
async function connectionCounter(): Promise<{ port: number; count: () => number; close: () => Promise<void> }> {
  let n = 0;
  const server = net.createServer((s) => {
    n++;
    s.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, count: () => n, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function post(url: string, ca: string, route: string, body: string): Promise<any> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${url}${route}`, { method: 'POST', ca, headers: { 'content-type': 'application/json' }, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d) => (text += d));
      res.on('end', () => resolve(JSON.parse(text)));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('warmUp()', () => {
  it('runs the request path with no network request, for every cache setting', async () => {
    const reg = await connectionCounter();
    try {
      for (const cache of ['', 'cache: { ttl: 0s, tagTtl: 0s }\n']) {
        const policy = parseAdmissionPolicy(policyText(`127.0.0.1:${reg.port}/*`, cache), '/p/admission.yaml', { readKey: () => PEM });
        const r = await warmUp(policy, { requests: 300, budgetMs: 30_000 });
        expect(r.requests).toBe(300);
      }
      expect(reg.count()).toBe(0);
    } finally {
      await reg.close();
    }
  });

  it('stops at its time budget', async () => {
    const policy = parseAdmissionPolicy(policyText(`${R}/*`), '/p/admission.yaml', { readKey: () => PEM });
    const r = await warmUp(policy, { requests: 1e9, budgetMs: 50 });
    expect(r.requests).toBeGreaterThan(0);
    expect(r.requests).toBeLessThan(1e9);
    expect(r.ms).toBeLessThan(5_000);
  });
});

describe.skipIf(kubectlMissing() ?? registryToolsMissing())('admission serve: warm-up before ready', () => {
  let dir: string;
  let ca: string;
  const reg = new FakeRegistry().add(`${R}/app:1.0`, { digest: digest(1) }).add(`${R}/unsigned:1.0`, { digest: digest(2), signed: false });
  const review = (image: string) => JSON.stringify(admissionReview(kubectlObject(['create', 'deployment', 'web', `--image=${image}`, '-n', 'prod'])));

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'shipshape-warmup-'));
    writeFileSync(path.join(dir, 'cosign.pub'), PEM);
    writeFileSync(path.join(dir, 'admission.yaml'), policyText(`${R}/*`));
    await makeWebhookCerts({ outDir: path.join(dir, 'certs'), service: 'shipshape-admission', namespace: 'shipshape-system', ipAddresses: ['127.0.0.1'] });
    ca = readFileSync(path.join(dir, 'certs', 'ca.crt'), 'utf8');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const start = (extra: Partial<ServeOptions>, logs: any[] = []): Promise<AdmissionServer> =>
    startAdmissionServer({
      policyFile: path.join(dir, 'admission.yaml'),
      certFile: path.join(dir, 'certs', 'tls.crt'),
      keyFile: path.join(dir, 'certs', 'tls.key'),
      port: 0,
      host: '127.0.0.1',
      verify: reg.verify,
      resolveTag: reg.resolveTag,
      log: (l) => logs.push(JSON.parse(l)),
      ...extra,
    });

  /** The same two decisions, whatever the warm-up did. */
  async function decidesAsItShould(srv: AdmissionServer): Promise<void> {
    expect((await post(srv.url, ca, '/validate', review(`${R}/app:1.0`))).response).toMatchObject({ allowed: true });
    const denied = (await post(srv.url, ca, '/validate', review(`${R}/unsigned:1.0`))).response;
    expect(denied.allowed).toBe(false);
    expect(denied.status.message).toMatch(/unsigned:1\.0: no signature/);
  }

  it('runs before ready on a throwaway engine: the server engine, its caches and metrics untouched', async () => {
    const logs: any[] = [];
    reg.calls = { verify: 0, resolve: 0 };
    const srv = await start({}, logs);
    try {
      const listening = logs.find((l) => l.event === 'listening');
      expect(listening.warmUp.requests).toBeGreaterThan(0);
      // Nothing reached the server's lookups, caches or metrics, and no request was logged.
      expect(reg.calls).toEqual({ verify: 0, resolve: 0 });
      expect(srv.engine.decisions.size + srv.engine.tags.size).toBe(0);
      expect(srv.metrics.render()).not.toMatch(/^shipshape_admission_requests_total\{/m);
      expect(logs.filter((l) => l.route)).toEqual([]);
      await decidesAsItShould(srv);
      expect(reg.calls).toEqual({ verify: 2, resolve: 2 });
    } finally {
      await srv.close();
    }
  });

  it('with the real lookups (pooled registry client) makes no registry connection', async () => {
    const counter = await connectionCounter();
    const policyFile = path.join(dir, 'pooled.yaml');
    // A glob in the host: preconnect() opens nothing, so any connection would be the warm-up's.
    writeFileSync(policyFile, policyText(`127.0.0.1:${counter.port}*/*`));
    const logs: any[] = [];
    const srv = await start({ policyFile, verify: undefined, resolveTag: undefined }, logs);
    try {
      expect(logs.find((l) => l.event === 'listening').warmUp.requests).toBeGreaterThan(0);
      expect(counter.count()).toBe(0);
    } finally {
      await srv.close();
      await counter.close();
    }
  });

  it('a failing warm-up, or one that never ends, does not hold readiness back or change a decision', async () => {
    for (const warm of [async () => Promise.reject(new Error('boom')), () => new Promise<never>(() => undefined)]) {
      const t0 = Date.now();
      const logs: any[] = [];
      const srv = await start({ warmUp: warm }, logs);
      try {
        expect(Date.now() - t0).toBeLessThan(15_000);
        expect(logs.find((l) => l.event === 'listening').warmUp).toBeUndefined();
        await decidesAsItShould(srv);
      } finally {
        await srv.close();
      }
    }
  });
});
