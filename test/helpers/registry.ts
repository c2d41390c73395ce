/**
 * A throw-away local registry for tests: Debian's `docker-registry serve` (CNCF Distribution) on
 * 127.0.0.1 with a random port, optional TLS (self-signed, SAN IP:127.0.0.1) and htpasswd auth,
 * plus `skopeo copy` to push images into it. Tests skip when the tools are not installed.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface StartedRegistry {
  /** 127.0.0.1:PORT */
  host: string;
  /** PEM file of the self-signed certificate (also its own CA); '' without TLS. */
  caCert: string;
  tls: boolean;
  auth?: { username: string; password: string };
  stop(): Promise<void>;
}

export interface RegistryStartOptions {
  tls?: boolean;
  auth?: { username: string; password: string };
}

function onPath(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** Why registry tests cannot run here, or undefined when docker-registry, skopeo, openssl and htpasswd are all present. */
export function registryToolsMissing(): string | undefined {
  const missing = ['docker-registry', 'skopeo', 'openssl', 'htpasswd'].filter((c) => !onPath(c));
  if (!missing.length) return undefined;
  const msg = `skipping registry tests: ${missing.join(', ')} not installed (apt-get install docker-registry skopeo openssl apache2-utils)`;
  process.stderr.write(`${msg}\n`);
  return msg;
}

/** A port that was free a moment ago (the registry binds it itself, so there is a small race; start retries). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

function run(cmd: string, args: string[], opts: { input?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: 120_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${(stderr || err.message).trim()}`));
      else resolve(stdout);
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

export async function makeCert(dir: string): Promise<{ cert: string; key: string }> {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1',
    '-addext', 'subjectAltName=IP:127.0.0.1',
    '-addext', 'basicConstraints=critical,CA:TRUE',
  ]);
  return { cert, key };
}

/** Polls GET /v2/ until the registry answers (200 or 401) or the process dies. */
async function waitReady(host: string, tls: boolean, ca: string | undefined, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`docker-registry exited with ${child.exitCode}: ${log()}`);
    const status = await new Promise<number | undefined>((resolve) => {
      const mod = tls ? https : http;
      const req = mod.get(`${tls ? 'https' : 'http'}://${host}/v2/`, { ...(ca ? { ca } : {}), timeout: 1000 }, (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('error', () => resolve(undefined));
      req.on('timeout', () => req.destroy());
    });
    if (status === 200 || status === 401) return;
    if (Date.now() > deadline) throw new Error(`docker-registry on ${host} did not become ready: ${log()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startOnce(opts: RegistryStartOptions, dir: string): Promise<StartedRegistry> {
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const storage = path.join(dir, 'storage');
  mkdirSync(storage, { recursive: true });
  let caCert = '';
  let tlsBlock = '';
  if (opts.tls) {
    const { cert, key } = await makeCert(dir);
    caCert = cert;
    tlsBlock = `  tls:\n    certificate: ${cert}\n    key: ${key}\n`;
  }
  let authBlock = '';
  if (opts.auth) {
    const htpasswd = path.join(dir, 'htpasswd');
    writeFileSync(htpasswd, await run('htpasswd', ['-Bbn', opts.auth.username, opts.auth.password]));
    authBlock = `auth:\n  htpasswd:\n    realm: shipshape-test\n    path: ${htpasswd}\n`;
  }
  const config = path.join(dir, 'config.yml');
  writeFileSync(
    config,
    [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${storage}`,
      '  delete:',
      '    enabled: true',
      'http:',
      `  addr: ${host}`,
      tlsBlock.trimEnd(),
      authBlock.trimEnd(),
      '',
    ]
      .filter((l) => l !== '')
      .join('\n') + '\n',
  );
  const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  // Should the test process die without calling stop(), take the registry down with it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  child.once('exit', () => process.removeListener('exit', killOnExit));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString('utf8')).slice(-4000);
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
  };
  try {
    await waitReady(host, Boolean(opts.tls), caCert ? readFileSync(caCert, 'utf8') : undefined, child, () => stderr.trim());
  } catch (err) {
    await stop();
    throw err;
  }
  return { host, caCert, tls: Boolean(opts.tls), ...(opts.auth ? { auth: opts.auth } : {}), stop };
}

/** Starts a registry; stop() kills it and removes its storage, certificate and password file. */
export async function startRegistry(opts: RegistryStartOptions = {}): Promise<StartedRegistry> {
  const dir = mkdtempSync(path.join(tmpdir(), 'shipshape-registry-'));
  let lastErr: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const reg = await startOnce(opts, dir);
      return {
        ...reg,
        stop: async () => {
          await reg.stop();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      lastErr = err; // most likely the port was taken between freePort() and the bind
    }
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastErr;
}

/** OpenOptions that reach `reg`: its CA, its credentials, or plain HTTP. */
export function openOptionsFor(reg: StartedRegistry): { caCerts?: string[]; insecureRegistries?: string[]; username?: string; password?: string } {
  return {
    ...(reg.tls ? { caCerts: [reg.caCert] } : { insecureRegistries: [reg.host] }),
    ...(reg.auth ? { username: reg.auth.username, password: reg.auth.password } : {}),
  };
}

/**
 * Pushes `src` (any skopeo transport, e.g. `oci:/path:latest`) to `dest` (`docker://HOST/name:tag`)
 * with the registry's CA and credentials. `all` copies every image of an index (`--all`).
 */
export async function pushWithSkopeo(src: string, dest: string, reg: StartedRegistry, opts: { all?: boolean } = {}): Promise<void> {
  const tmp = mkdtempSync(path.join(tmpdir(), 'shipshape-skopeo-'));
  try {
    const args = ['--insecure-policy', 'copy', '--quiet'];
    if (opts.all) args.push('--all');
    if (reg.tls) {
      // skopeo reads every *.crt in the directory as a CA.
      const certDir = path.join(tmp, 'certs');
      mkdirSync(certDir);
      copyFileSync(reg.caCert, path.join(certDir, 'ca.crt'));
      args.push('--dest-cert-dir', certDir);
    } else {
      args.push('--dest-tls-verify=false');
    }
    if (reg.auth) args.push('--dest-creds', `${reg.auth.username}:${reg.auth.password}`);
    args.push(src, dest);
    await new Promise<void>((resolve, reject) => {
      // A private HOME and auth file keep skopeo from reading or writing the user's container config.
      const env = { ...process.env, HOME: tmp, REGISTRY_AUTH_FILE: path.join(tmp, 'auth.json'), XDG_RUNTIME_DIR: tmp };
      execFile('skopeo', args, { env, timeout: 180_000, maxBuffer: 16 << 20 }, (err, _out, stderr) => {
        if (err) reject(new Error(`skopeo ${args.join(' ')} failed: ${(stderr || err.message).trim()}`));
        else resolve();
      });
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

export interface TinyImage {
  /** The OCI layout directory (`oci:DIR:latest` for skopeo). */
  dir: string;
  manifestDigest: string;
  configDigest: string;
  layerDigest: string;
  diffId: string;
  layerSize: number;
}

/**
 * Writes a minimal OCI image layout by hand: one gzip tar layer holding `files`, a config, a
 * manifest, index.json (ref name `latest`) and oci-layout. For tests that must not need ../shared.
 */
export async function writeTinyOciLayout(
  dir: string,
  files: Record<string, string> = { 'etc/os-release': 'ID=tiny\nVERSION_ID=1.0\n', 'hello.txt': 'hello\n' },
  platform: { os: string; architecture: string } = { os: 'linux', architecture: 'amd64' },
): Promise<TinyImage> {
  const { pack } = await import('tar-stream');
  const { gzipSync } = await import('node:zlib');
  const { createHash } = await import('node:crypto');
  const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  const p = pack();
  for (const [name, content] of Object.entries(files)) {
    p.entry({ name, mode: 0o644, mtime: new Date(0), uid: 0, gid: 0 }, content);
  }
  p.finalize();
  const chunks: Buffer[] = [];
  for await (const c of p) chunks.push(c as Buffer);
  const tar = Buffer.concat(chunks);
  const layer = gzipSync(tar);
  const config = Buffer.from(
    JSON.stringify({ ...platform, config: { Cmd: ['/bin/sh'] }, rootfs: { type: 'layers', diff_ids: [sha(tar)] }, history: [{ created_by: 'test' }] }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha(config), size: config.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(layer), size: layer.length }],
    }),
  );
  const blobs = path.join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  for (const b of [layer, config, manifest]) writeFileSync(path.join(blobs, sha(b).slice(7)), b);
  writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    path.join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: sha(manifest),
          size: manifest.length,
          platform,
          annotations: { 'org.opencontainers.image.ref.name': 'latest' },
        },
      ],
    }),
  );
  return { dir, manifestDigest: sha(manifest), configDigest: sha(config), layerDigest: sha(layer), diffId: sha(tar), layerSize: layer.length };
}
