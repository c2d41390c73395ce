/**
 * `shipshape admission certs`: a private CA and a serving certificate for the webhook's Service
 * (ECDSA P-256, made with the openssl command), and the caBundle the webhook configurations need.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ShipshapeError } from '../errors.js';

export interface CertsOptions {
  /** Directory to write ca.crt, ca.key, tls.crt, tls.key into. */
  outDir: string;
  service: string;
  namespace: string;
  /** Extra DNS names and IP addresses for the serving certificate. */
  dnsNames?: string[];
  ipAddresses?: string[];
  days?: number;
  /** Overwrite existing files. */
  force?: boolean;
}

export interface CertsResult {
  files: { caCert: string; caKey: string; cert: string; key: string };
  /** base64 of the CA certificate PEM: the webhook configurations' clientConfig.caBundle. */
  caBundle: string;
  dnsNames: string[];
}

function openssl(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { timeout: 60_000 }, (err, _out, stderr) => {
      if (!err) return resolve();
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') reject(new ShipshapeError('usage', 'admission certs needs the openssl command on PATH'));
      else reject(new ShipshapeError('internal', `openssl ${args[0]} failed: ${(stderr || err.message).trim().split('\n')[0]}`));
    });
  });
}

const DNS_RE = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;

export async function makeWebhookCerts(opts: CertsOptions): Promise<CertsResult> {
  for (const [what, v] of [['service', opts.service], ['namespace', opts.namespace]] as const) {
    if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(v)) throw new ShipshapeError('usage', `--${what} ${JSON.stringify(v)} is not a Kubernetes name`);
  }
  const svc = `${opts.service}.${opts.namespace}.svc`;
  const dnsNames = [opts.service, `${opts.service}.${opts.namespace}`, svc, `${svc}.cluster.local`, ...(opts.dnsNames ?? [])];
  for (const d of dnsNames) if (!DNS_RE.test(d)) throw new ShipshapeError('usage', `--dns ${JSON.stringify(d)} is not a DNS name`);
  for (const ip of opts.ipAddresses ?? []) if (!/^[0-9.]+$|^[0-9a-fA-F:]+$/.test(ip)) throw new ShipshapeError('usage', `--ip ${JSON.stringify(ip)} is not an IP address`);
  const days = opts.days ?? 365;
  if (!Number.isInteger(days) || days < 1 || days > 3650) throw new ShipshapeError('usage', '--days must be a whole number from 1 to 3650');

  const out = path.resolve(opts.outDir);
  const files = { caCert: path.join(out, 'ca.crt'), caKey: path.join(out, 'ca.key'), cert: path.join(out, 'tls.crt'), key: path.join(out, 'tls.key') };
  if (!opts.force) {
    const there = Object.values(files).filter((f) => existsSync(f));
    if (there.length) throw new ShipshapeError('usage', `${there[0]} exists; pass --force to replace it`);
  }
  mkdirSync(out, { recursive: true });
  // Written in a scratch directory and renamed into place: a failure leaves no half set.
  const tmp = mkdtempSync(path.join(out, '.certs-'));
  try {
    const t = (f: string) => path.join(tmp, path.basename(f));
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    await openssl(['req', '-x509', ...ec, '-keyout', t(files.caKey), '-out', t(files.caCert), '-days', String(days), '-subj', `/CN=${opts.service}-ca`,
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    const csr = path.join(tmp, 'tls.csr');
    await openssl(['req', ...ec, '-keyout', t(files.key), '-out', csr, '-subj', `/CN=${svc}`]);
    const san = [...dnsNames.map((d) => `DNS:${d}`), ...(opts.ipAddresses ?? []).map((i) => `IP:${i}`)].join(',');
    const ext = path.join(tmp, 'ext.cnf');
    writeFileSync(ext, `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=${san}\n`);
    await openssl(['x509', '-req', '-in', csr, '-CA', t(files.caCert), '-CAkey', t(files.caKey), '-CAcreateserial', '-out', t(files.cert), '-days', String(days), '-extfile', ext]);
    for (const f of [files.caKey, files.key]) chmodSync(t(f), 0o600);
    for (const f of Object.values(files)) renameSync(t(f), f);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { files, caBundle: readFileSync(files.caCert).toString('base64'), dnsNames };
}
