/**
 * Where credentials are sent (docs/registry.md): one test per rule, each against small in-test
 * servers that record every Authorization header they receive, plus the whole-request timeout.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ShipshapeError } from '../src/errors.js';
import { RegistryClient, type RegistryOptions } from '../src/registry/index.js';
import { expectOneLineError, runCli } from './helpers/cli.js';
import { buildImage, sha256, writeOciLayout } from './helpers/image-builder.js';
import { makeCert } from './helpers/registry.js';

/** No machine docker config, no SHIPSHAPE_* variables, fast retries. */
const isolated: RegistryOptions = { env: { HOME: '/nonexistent-shipshape-home' }, retry: { baseDelayMs: 5 } };
const BASIC = `Basic ${Buffer.from('alice:s3cret').toString('base64')}`;

interface Hit {
  url: string;
  authorization?: string;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, hits: Hit[]) => void;

interface Server {
  host: string;
  hits: Hit[];
  close(): Promise<void>;
}

async function serve(handler: Handler, tlsFiles?: { cert: string; key: string }): Promise<Server> {
  const hits: Hit[] = [];
  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    hits.push({ url: req.url ?? '', ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    handler(req, res, hits);
  };
  const server = tlsFiles
    ? https.createServer({ cert: readFileSync(tlsFiles.cert), key: readFileSync(tlsFiles.key) }, listener)
    : http.createServer(listener);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** Answers 401 with `challenge` unless the request carries `accept` as its Authorization; then `ok`. */
function guarded(challenge: string, accept: string | undefined, ok: (req: http.IncomingMessage, res: http.ServerResponse) => void): Handler {
  return (req, res) => {
    if (accept === undefined || req.headers.authorization !== accept) {
      res.writeHead(401, { 'www-authenticate': challenge, 'content-type': 'application/json' });
      res.end('{"errors":[{"code":"UNAUTHORIZED"}]}');
      return;
    }
    ok(req, res);
  };
}

let tmp = '';
let db = '';
beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'shipshape-creds-'));
  // A tiny real feed folder: one Alpine release with nothing to fix.
  const secdb = path.join(tmp, 'feeds', 'alpine-secdb', 'v3.10');
  mkdirSync(secdb, { recursive: true });
  writeFileSync(path.join(secdb, 'main.yaml'), 'distroversion: v3.10\nreponame: main\npackages: []\n');
  db = path.join(tmp, 'db.sqlite');
  const r = await runCli(['db', 'build', '--from', path.join(tmp, 'feeds'), '--db', db, '-q']);
  expect(r.code, r.stderr).toBe(0);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('rule 1: flag and environment credentials belong to the scanned reference only', () => {
  it('--check-registry does not send --username/--password or SHIPSHAPE_* to the registry a base-image label names', async () => {
    const base = await serve(guarded('Basic realm="base"', BASIC, (_req, res) => res.end(JSON.stringify({ tags: ['3.7', '3.20'] }))));
    try {
      const img = await buildImage({
        layers: [[{ path: 'etc/os-release', content: 'ID=alpine\nVERSION_ID=3.7.3\n' }]],
        config: { config: { Labels: { 'org.opencontainers.image.base.name': `${base.host}/library/alpine:3.7` } } },
      });
      const dir = writeOciLayout(path.join(tmp, 'labelled'), img, { tag: 'latest' });
      const r = await runCli(
        ['scan', `oci:${dir}:latest`, '--db', db, '--no-cache', '--no-policy', '--check-registry', '--insecure-registry', base.host, '--username', 'alice', '--password', 's3cret', '--format', 'json'],
        { env: { SHIPSHAPE_USERNAME: 'alice', SHIPSHAPE_PASSWORD: 's3cret', HOME: path.join(tmp, 'home') } },
      );
      expect(base.hits.length, r.stderr).toBeGreaterThan(0);
      expect(base.hits.filter((h) => h.authorization)).toEqual([]);
    } finally {
      await base.close();
    }
  });

  it('the base image registry still gets what the docker config names for it', async () => {
    const base = await serve(guarded('Basic realm="base"', `Basic ${Buffer.from('bob:pw').toString('base64')}`, (_req, res) => res.end('{"tags":[]}')));
    try {
      const cfg = path.join(tmp, 'docker-config.json');
      writeFileSync(cfg, JSON.stringify({ auths: { [base.host]: { auth: Buffer.from('bob:pw').toString('base64') } } }));
      // The client is made for the base registry, with options bound to another registry: the config's entry is used.
      const client = new RegistryClient(base.host, { ...isolated, insecureRegistries: [base.host], username: 'alice', password: 's3cret', credentialsFor: 'registry.example', dockerConfig: cfg });
      try {
        expect(await client.listTags('library/alpine')).toEqual([]);
      } finally {
        await client.close();
      }
      expect(base.hits.map((h) => h.authorization).filter(Boolean)).toEqual([`Basic ${Buffer.from('bob:pw').toString('base64')}`]);
    } finally {
      await base.close();
    }
  });

  it('the scanned registry itself still gets the flag credentials', async () => {
    const reg = await serve(guarded('Basic realm="reg"', BASIC, (_req, res) => res.end('{"tags":["v1"]}')));
    try {
      const client = new RegistryClient(reg.host, { ...isolated, insecureRegistries: [reg.host], username: 'alice', password: 's3cret', credentialsFor: reg.host });
      try {
        expect(await client.listTags('app')).toEqual(['v1']);
      } finally {
        await client.close();
      }
    } finally {
      await reg.close();
    }
  });
});

describe('rule 2: a host the registry redirected to never unlocks its credentials', () => {
  it('a 401 with its own Bearer realm from blob storage: nothing is sent to that realm', async () => {
    const blob = Buffer.from('layer bytes');
    const digest = sha256(blob);
    const storage = await serve((req, res, hits) => {
      if (req.url?.startsWith('/token')) {
        res.end(JSON.stringify({ token: 'stolen' }));
        return;
      }
      void hits;
      res.writeHead(401, { 'www-authenticate': `Bearer realm="http://${req.headers.host}/token",service="storage"` });
      res.end();
    });
    const reg = await serve(
      guarded('Basic realm="reg"', BASIC, (req, res) => {
        res.writeHead(307, { location: `http://${storage.host}/bucket${req.url}` });
        res.end();
      }),
    );
    try {
      const client = new RegistryClient(reg.host, { ...isolated, insecureRegistries: [reg.host, storage.host], username: 'alice', password: 's3cret', credentialsFor: reg.host });
      try {
        const err = await client.fetchBlobBytes('app', { digest, size: blob.length }, 1024).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ShipshapeError);
        expect((err as ShipshapeError).code).toBe('unauthorized');
        expect((err as ShipshapeError).message).toMatch(/redirected .* not sent to another host/);
      } finally {
        await client.close();
      }
      expect(storage.hits.some((h) => h.url.startsWith('/token'))).toBe(false);
      expect(storage.hits.filter((h) => h.authorization)).toEqual([]);
      expect(reg.hits.some((h) => h.authorization === BASIC)).toBe(true);
    } finally {
      await reg.close();
      await storage.close();
    }
  });
});

describe('rule 3: no token realm that downgrades an HTTPS registry to plain HTTP', () => {
  let tls: { cert: string; key: string };
  beforeAll(async () => {
    tls = await makeCert(mkdtempSync(path.join(tmp, 'tls-')));
  });

  async function tryRealm(insecureRealm: boolean) {
    const tokens = await serve((_req, res) => res.end(JSON.stringify({ token: 'tok' })));
    const reg = await serve(guarded(`Bearer realm="http://${tokens.host}/token",service="reg"`, 'Bearer tok', (_req, res) => res.end('{"tags":["v1"]}')), tls);
    const client = new RegistryClient(reg.host, { ...isolated, caCerts: [tls.cert], username: 'alice', password: 's3cret', credentialsFor: reg.host, ...(insecureRealm ? { insecureRegistries: [tokens.host] } : {}) });
    try {
      const result = await client.listTags('app').catch((e: unknown) => e);
      return { result, tokenHits: [...tokens.hits] };
    } finally {
      await client.close();
      await reg.close();
      await tokens.close();
    }
  }

  it('is refused in one line, and the token server is never contacted', async () => {
    const { result, tokenHits } = await tryRealm(false);
    expect(result).toBeInstanceOf(ShipshapeError);
    expect((result as ShipshapeError).message).toMatch(/plain HTTP .*refusing to send credentials in clear text/);
    expect((result as ShipshapeError).message).not.toContain('\n');
    expect(tokenHits).toEqual([]);
  });

  it('is allowed when the user names the realm host with --insecure-registry', async () => {
    const { result, tokenHits } = await tryRealm(true);
    expect(result).toEqual(['v1']);
    expect(tokenHits).toHaveLength(1);
  });
});

describe('--timeout bounds each request as a whole', () => {
  it('a manifest body that drips one byte every 200 ms fails at the timeout', async () => {
    const drip = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
      const t = setInterval(() => res.write('{'), 200);
      res.on('close', () => clearInterval(t));
    });
    try {
      const client = new RegistryClient(drip.host, { ...isolated, insecureRegistries: [drip.host], timeoutMs: 1000 });
      const t0 = Date.now();
      try {
        const err = await client.getManifest('app', 'v1').catch((e: unknown) => e);
        expect((err as ShipshapeError).code).toBe('network');
        expect((err as ShipshapeError).message).toMatch(/within 1000 ms/);
      } finally {
        await client.close();
      }
      // Without a whole-request bound this never ends (each byte resets the idle timer); the
      // margin is wide on purpose, for a busy machine.
      expect(Date.now() - t0).toBeLessThan(30_000);
    } finally {
      await drip.close();
    }
  });

  it('Retry-After: 60 does not stretch a 1 s timeout', async () => {
    const busy = await serve((_req, res) => {
      res.writeHead(503, { 'retry-after': '60' });
      res.end();
    });
    try {
      const client = new RegistryClient(busy.host, { ...isolated, insecureRegistries: [busy.host], timeoutMs: 1000, retry: { baseDelayMs: 5, maxDelayMs: 120_000 } });
      const t0 = Date.now();
      try {
        const err = await client.getManifest('app', 'v1').catch((e: unknown) => e);
        expect((err as ShipshapeError).code).toBe('network');
      } finally {
        await client.close();
      }
      expect(Date.now() - t0).toBeLessThan(30_000);
    } finally {
      await busy.close();
    }
  });

  it('the CLI says it in one line with exit code 2', async () => {
    const drip = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
      const t = setInterval(() => res.write(' '), 200);
      res.on('close', () => clearInterval(t));
    });
    try {
      const r = await runCli(['scan', `${drip.host}/app:v1`, '--db', db, '--no-cache', '--no-policy', '--insecure-registry', drip.host, '--timeout', '1s'], { env: { HOME: path.join(tmp, 'home') } });
      expect(expectOneLineError(r)).toMatch(/did not answer within 1000 ms/);
    } finally {
      await drip.close();
    }
  });
});
