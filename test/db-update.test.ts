/**
 * User-level: `shipshape db update --mirror` downloads the Alpine and Debian feeds in their upstream
 * form from a local HTTP server laid out as BASE/<host>/<path>, with conditional requests on the
 * second run; a failing download leaves the previous database in place.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneLineError, runCli } from './helpers/cli.js';
import { sharedPath } from './helpers/shared.js';

const vulndata = sharedPath('vulndata');

describe.skipIf(!vulndata)('db update from a mirror', () => {
  const files = new Map<string, Buffer>();
  const log: Array<{ path: string; status: number; conditional: boolean }> = [];
  let server: http.Server;
  let base = '';
  let failAll = false;
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'shipshape-update-'));
  const env = { XDG_CACHE_HOME: path.join(tmp, 'cache') };
  const db = path.join(tmp, 'db.sqlite');

  beforeAll(async () => {
    // What secdb.alpinelinux.org serves: an index page and the JSON form of each release's secdb.
    files.set('/secdb.alpinelinux.org/', Buffer.from('<html><body><a href="v3.10/">v3.10/</a> <a href="v3.7/">v3.7/</a></body></html>'));
    for (const rel of ['v3.10', 'v3.7']) {
      for (const repo of ['main', 'community']) {
        const yaml = readFileSync(path.join(vulndata!, 'alpine-secdb', rel, `${repo}.yaml`), 'utf8');
        files.set(`/secdb.alpinelinux.org/${rel}/${repo}.json`, Buffer.from(JSON.stringify(parseYaml(yaml))));
      }
    }
    const salsa = '/salsa.debian.org/security-tracker-team/security-tracker/-/raw/master';
    for (const list of ['DSA', 'DLA']) files.set(`${salsa}/data/${list}/list`, readFileSync(path.join(vulndata!, 'debian-security-tracker', 'data', list, 'list')));
    files.set('/security-tracker.debian.org/tracker/data/json', readFileSync(path.join(vulndata!, 'vunnel-fixture-samples/tests/unit/providers/debian/test-fixtures/input/debian.json')));

    server = http.createServer((req, res) => {
      const p = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const body = files.get(p);
      const conditional = req.headers['if-none-match'] !== undefined;
      if (failAll) {
        log.push({ path: p, status: 500, conditional });
        res.writeHead(500).end('boom');
        return;
      }
      if (!body) {
        log.push({ path: p, status: 404, conditional });
        res.writeHead(404).end();
        return;
      }
      const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
      if (req.headers['if-none-match'] === etag) {
        log.push({ path: p, status: 304, conditional });
        res.writeHead(304, { ETag: etag }).end();
        return;
      }
      log.push({ path: p, status: 200, conditional });
      res.writeHead(200, { ETag: etag, 'Content-Length': body.length }).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    rmSync(tmp, { recursive: true, force: true });
  });

  const update = (...extra: string[]) => runCli(['db', 'update', '--mirror', base, '--feeds', 'alpine-secdb,debian-tracker', '--db', db, '--quiet', ...extra], { env, timeoutMs: 300_000 });

  it('downloads upstream files through the mirror, then revalidates them with conditional requests', async () => {
    const first = await update();
    expect(first.code, first.stderr).toBe(0);
    expect(log.filter((l) => l.status === 200).map((l) => l.path)).toEqual(expect.arrayContaining([...files.keys()]));

    const status = JSON.parse((await runCli(['db', 'status', '--db', db, '--format', 'json'], { env })).stdout);
    const alpine = status.feeds.find((f: { id: string }) => f.id === 'alpine-secdb');
    expect(alpine.namespaces).toEqual(['alpine:3.7', 'alpine:3.10']);
    expect(alpine.source).toContain(base);
    const debian = status.feeds.find((f: { id: string }) => f.id === 'debian-tracker');
    expect(debian.records).toBeGreaterThan(10_000);
    expect(debian.namespaces).toContain('debian:12'); // from the tracker's JSON export

    log.length = 0;
    const second = await update();
    expect(second.code, second.stderr).toBe(0);
    const listed = log.filter((l) => files.has(l.path));
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.every((l) => l.conditional && l.status === 304)).toBe(true);
    const again = JSON.parse((await runCli(['db', 'status', '--db', db, '--format', 'json'], { env })).stdout);
    expect(again.digest).toBe(status.digest);
  });

  it('a failing upstream leaves the previous database untouched', async () => {
    const before = readFileSync(db);
    failAll = true;
    try {
      expectOneLineError(await update());
    } finally {
      failAll = false;
    }
    expect(readFileSync(db).equals(before)).toBe(true);
  });

  it('--feeds rejects an unknown feed', async () => {
    expect(expectOneLineError(await runCli(['db', 'update', '--feeds', 'nope', '--db', db], { env }))).toMatch(/unknown feed nope/);
  });
});
