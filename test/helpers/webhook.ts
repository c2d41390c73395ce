/** `shipshape admission serve` started from the built CLI the way a user starts it, and a JSON POST over verified TLS. */
import { spawn, type ChildProcess } from 'node:child_process';
import https from 'node:https';
import { bin } from './cli.js';
import { freePort } from './registry.js';

export interface ServedWebhook {
  url: string;
  child: ChildProcess;
  /** Everything the server wrote on stdout so far (one JSON line per request). */
  stdout(): string;
  kill(): void;
}

/** Starts `admission serve` on a free loopback port with these arguments (besides --port and --host); resolves once it listens. */
export async function serveWebhook(args: string[]): Promise<ServedWebhook> {
  const port = await freePort();
  const child = spawn(process.execPath, [bin, 'admission', 'serve', ...args, '--port', String(port), '--host', '127.0.0.1'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, CI: 'true' },
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const deadline = Date.now() + 30_000;
  while (!err.includes('listening on')) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`admission serve did not start: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `https://127.0.0.1:${port}`,
    child,
    stdout: () => out,
    kill: () => {
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/** POSTs a JSON body, trusting only `ca`; the answer parsed. */
export function postJson(url: string, ca: string, body: string): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', ca, headers: { 'content-type': 'application/json' }, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(text) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
