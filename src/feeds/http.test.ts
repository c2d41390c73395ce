/** Tests of the download helper against a local HTTP server: conditional requests, retries, mirrors, errors. */
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cachePath, download, mirrorUrl } from './http.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let base: string;
let tmp: string;
let handler: Handler;
const seen: { url: string; headers: IncomingMessage['headers'] }[] = [];

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'shipshape-http-'));
  server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', headers: req.headers });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(tmp, { recursive: true, force: true });
});

beforeEach(() => {
  seen.length = 0;
});

/** A static handler with ETag validation, as a plain web server would do. */
function staticBody(body: string): Handler {
  const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
  return (req, res) => {
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, { etag });
      res.end();
      return;
    }
    res.writeHead(200, { etag, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  };
}

async function cacheDir(name: string): Promise<string> {
  const d = path.join(tmp, name);
  await mkdir(d, { recursive: true });
  return d;
}

describe('mirrorUrl', () => {
  it('puts the upstream host and path under the mirror base', () => {
    expect(mirrorUrl('https://secdb.alpinelinux.org/v3.20/main.json', 'http://m.local/base/')).toBe(
      'http://m.local/base/secdb.alpinelinux.org/v3.20/main.json',
    );
    expect(mirrorUrl('https://a.example/x?y=1', undefined)).toBe('https://a.example/x?y=1');
  });
});

describe('cachePath', () => {
  it('keeps paths readable and inside the cache', () => {
    expect(cachePath('/c', 'https://h.example/a/b.json')).toBe(path.join('/c', 'http', 'h.example', 'a', 'b.json'));
    expect(cachePath('/c', 'https://h.example/')).toBe(path.join('/c', 'http', 'h.example', 'index.html'));
    const evil = cachePath('/c', 'https://h.example/a/%2e%2e/%2e%2e/etc/passwd');
    expect(evil.startsWith(path.join('/c', 'http', 'h.example') + path.sep)).toBe(true);
    expect(cachePath('/c', 'https://h.example/q?a=1')).not.toBe(cachePath('/c', 'https://h.example/q?a=2'));
  });
});

describe('download', () => {
  it('fetches once with 200, then reuses the cache on 304', async () => {
    handler = staticBody('hello feed');
    const dir = await cacheDir('cond');
    const progress: number[] = [];
    const first = await download(`${base}/feed/data.json`, { cacheDir: dir, onProgress: (d) => progress.push(d) });
    expect(first.notModified).toBe(false);
    expect((await first.read()).toString()).toBe('hello feed');
    expect(progress.at(-1)).toBe(10);
    const second = await download(`${base}/feed/data.json`, { cacheDir: dir });
    expect(second.notModified).toBe(true);
    expect(second.path).toBe(first.path);
    expect((await second.read()).toString()).toBe('hello feed');
    expect(seen[1]?.headers['if-none-match']).toBeDefined();
    // no temp files left beside the cached body
    const files = await readdir(path.dirname(first.path));
    expect(files.sort()).toEqual(['data.json', 'data.json.meta.json']);
  });

  it('asks again without validators when the cached body vanished', async () => {
    handler = staticBody('again');
    const dir = await cacheDir('vanished');
    const first = await download(`${base}/v.json`, { cacheDir: dir });
    await rm(first.path);
    const second = await download(`${base}/v.json`, { cacheDir: dir });
    expect(second.notModified).toBe(false);
    expect((await second.read()).toString()).toBe('again');
  });

  it('follows redirects (raw files on salsa.debian.org redirect)', async () => {
    const ok = staticBody('moved here');
    handler = (req, res) => {
      if (req.url === '/old/list') {
        res.writeHead(302, { location: '/new/list' });
        res.end();
      } else ok(req, res);
    };
    const r = await download(`${base}/old/list`, { cacheDir: await cacheDir('redirect') });
    expect((await r.read()).toString()).toBe('moved here');
    expect(seen.map((s) => s.url)).toEqual(['/old/list', '/new/list']);
  });

  it('retries a 500 and then succeeds', async () => {
    let n = 0;
    const ok = staticBody('after retry');
    handler = (req, res) => {
      if (n++ === 0) {
        res.writeHead(500);
        res.end('boom');
      } else ok(req, res);
    };
    const r = await download(`${base}/flaky.json`, { cacheDir: await cacheDir('retry'), retryDelayMs: 5 });
    expect((await r.read()).toString()).toBe('after retry');
    expect(n).toBe(2);
  });

  it('retries a body cut short, leaving no temp file behind', async () => {
    let n = 0;
    const ok = staticBody('the whole body');
    handler = (req, res) => {
      if (n++ === 0) {
        res.writeHead(200, { 'content-length': '1000' });
        res.write('the wh');
        setTimeout(() => res.socket?.destroy(), 10);
      } else ok(req, res);
    };
    const r = await download(`${base}/cut/data.json`, { cacheDir: await cacheDir('cut'), retryDelayMs: 5 });
    expect((await r.read()).toString()).toBe('the whole body');
    expect(n).toBe(2);
    expect((await readdir(path.dirname(r.path))).sort()).toEqual(['data.json', 'data.json.meta.json']);
  });

  it('honours Retry-After on 429 (capped by the test to a short wait)', async () => {
    let n = 0;
    const ok = staticBody('slow down');
    handler = (req, res) => {
      if (n++ === 0) {
        res.writeHead(429, { 'retry-after': '0' });
        res.end();
      } else ok(req, res);
    };
    const r = await download(`${base}/limited.json`, { cacheDir: await cacheDir('429'), retryDelayMs: 5 });
    expect((await r.read()).toString()).toBe('slow down');
  });

  it('gives up with a one-line network error after the retries', async () => {
    handler = (_req, res) => {
      res.writeHead(503);
      res.end();
    };
    const err = await download(`${base}/down.json`, { cacheDir: await cacheDir('down'), retries: 2, retryDelayMs: 1 }).catch(
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'network' });
    expect((err as Error).message).toMatch(/HTTP 503 after 3 attempts/);
    expect((err as Error).message).not.toMatch(/\n/);
    expect(seen).toHaveLength(3);
  });

  it('reports 404 as not-found without retrying', async () => {
    handler = (_req, res) => {
      res.writeHead(404);
      res.end();
    };
    await expect(download(`${base}/missing.json`, { cacheDir: await cacheDir('404'), retryDelayMs: 1 })).rejects.toMatchObject({
      code: 'not-found',
    });
    expect(seen).toHaveLength(1);
  });

  it('times out a silent server', async () => {
    handler = () => {
      /* never answers */
    };
    const err = await download(`${base}/hang.json`, {
      cacheDir: await cacheDir('hang'),
      timeoutMs: 100,
      retries: 0,
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'network' });
    expect((err as Error).message).toMatch(/timeout.* after 1 attempt$/i);
  });

  it('stops when aborted', async () => {
    handler = () => {
      /* never answers */
    };
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    await expect(download(`${base}/abort.json`, { cacheDir: await cacheDir('abort'), signal: ac.signal })).rejects.toMatchObject({
      code: 'network',
      message: expect.stringMatching(/aborted/),
    });
  });

  it('fetches upstream URLs through an HTTP mirror', async () => {
    handler = staticBody('mirrored');
    const r = await download('https://secdb.alpinelinux.org/v3.20/main.json', {
      cacheDir: await cacheDir('mirror'),
      mirror: `${base}/m`,
    });
    expect(seen[0]?.url).toBe('/m/secdb.alpinelinux.org/v3.20/main.json');
    expect(r.upstreamUrl).toBe('https://secdb.alpinelinux.org/v3.20/main.json');
    expect((await r.read()).toString()).toBe('mirrored');
  });

  it('reads a local directory mirror (path or file: URL)', async () => {
    const m = path.join(tmp, 'local-mirror');
    await mkdir(path.join(m, 'secdb.alpinelinux.org', 'v3.20'), { recursive: true });
    await writeFile(path.join(m, 'secdb.alpinelinux.org', 'v3.20', 'main.json'), '{}');
    await writeFile(path.join(m, 'secdb.alpinelinux.org', 'index.html'), '<a href="v3.20/">');
    for (const mirror of [m, pathToFileURL(m).href]) {
      const r = await download('https://secdb.alpinelinux.org/v3.20/main.json', { cacheDir: tmp, mirror });
      expect((await r.read()).toString()).toBe('{}');
      const idx = await download('https://secdb.alpinelinux.org/', { cacheDir: tmp, mirror });
      expect((await idx.read()).toString()).toContain('v3.20/');
    }
    await expect(download('https://secdb.alpinelinux.org/v9.9/main.json', { cacheDir: tmp, mirror: m })).rejects.toMatchObject({
      code: 'not-found',
    });
  });
});
