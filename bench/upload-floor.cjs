#!/usr/bin/env node
/**
 * The warm promote's floor, for bench/promote.js: Node's start plus the upload alone, nothing of shipshape (no scan, no signing, no policy).
 * Usage: node bench/upload-floor.cjs OCI_LAYOUT_DIR HOST:PORT REPO — every blob of the layout's one image read, hashed and sent
 * (POST, one PATCH, PUT ?digest=; all blobs at once, as skopeo does), then its manifest PUT by tag; plain HTTP.
 */
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const [dir, host, repo] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true });
const base = `http://${host}`;

function request(method, where, body, headers = {}) {
  const u = new URL(where, base);
  return new Promise((resolve, reject) => {
    const req = http.request(u, { method, agent, headers: { 'content-length': body ? body.length : 0, ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function main() {
  const blob = (digest) => path.join(dir, 'blobs', 'sha256', digest.slice(7));
  const top = JSON.parse(fs.readFileSync(path.join(dir, 'index.json'), 'utf8')).manifests[0];
  const manifestBytes = fs.readFileSync(blob(top.digest));
  const manifest = JSON.parse(manifestBytes.toString('utf8'));
  await Promise.all(
    [manifest.config, ...manifest.layers].map(async (d) => {
      const data = await fs.promises.readFile(blob(d.digest));
      if (`sha256:${crypto.createHash('sha256').update(data).digest('hex')}` !== d.digest) throw new Error(`${d.digest} does not match`);
      const started = await request('POST', `/v2/${repo}/blobs/uploads/`);
      const patched = await request('PATCH', started.headers.location, data, { 'content-type': 'application/octet-stream' });
      const done = new URL(patched.headers.location, base);
      done.searchParams.set('digest', d.digest);
      const put = await request('PUT', done.toString());
      if (put.statusCode !== 201) throw new Error(`commit of ${d.digest}: ${put.statusCode}`);
    }),
  );
  const res = await request('PUT', `/v2/${repo}/manifests/1`, manifestBytes, { 'content-type': top.mediaType });
  if (res.statusCode !== 201) throw new Error(`manifest: ${res.statusCode}`);
  agent.destroy();
}

main().catch((err) => {
  process.stderr.write(`upload-floor: ${err.message}\n`);
  process.exit(2);
});
