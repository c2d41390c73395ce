/**
 * `secret-in-layers`: private keys, registry/package-manager tokens, cloud credentials and .env files in
 * any layer, including files a later layer deleted (they stay in the image and can be extracted).
 */
import path from 'node:path';
import type { Finding } from '../model/index.js';
import { checkFinding } from './finding.js';
import { assignments, knownToken, secretAssignment } from './secrets.js';
import type { Check } from './types.js';

const MAX_BYTES = 256 * 1024;
const NAMES = new Set(['.npmrc', '.pypirc', '.netrc', '.git-credentials', '.env', 'id_rsa', 'id_dsa', 'id_ecdsa', 'id_ed25519', 'credentials', 'config.json', 'application_default_credentials.json']);

function candidate(p: string): boolean {
  const base = path.posix.basename(p);
  if (NAMES.has(base)) return base !== 'config.json' || p.endsWith('/.docker/config.json');
  return base.startsWith('.env.') || base.endsWith('.pem') || base.endsWith('.key') || base.endsWith('.p12');
}

/** What secret a kept file holds, or undefined. */
function inspect(p: string, text: string): string | undefined {
  const base = path.posix.basename(p);
  if (/-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY/.test(text)) return 'a private key';
  if (base === '.npmrc' && /(_authToken|_auth|_password)\s*=\s*\S/.test(text)) return 'an npm registry token';
  if (base === '.pypirc' && /^\s*password\s*[=:]\s*\S/m.test(text)) return 'a PyPI password';
  if (base === 'config.json' && /"auth"\s*:\s*"[^"]+"/.test(text)) return 'docker registry credentials';
  if (base === 'credentials' && /aws_secret_access_key\s*=\s*\S/i.test(text)) return 'AWS credentials';
  if (base === 'application_default_credentials.json' && /"(private_key|refresh_token)"/.test(text)) return 'Google Cloud credentials';
  if ((base === '.netrc' && /\bpassword\s+\S/.test(text)) || (base === '.git-credentials' && /:\/\/[^:\s]+:[^@\s]+@/.test(text))) return 'stored passwords';
  if (base === '.env' || base.startsWith('.env.')) {
    const names = [...assignments(text)].filter(([n, v]) => secretAssignment(n, v)).map(([n]) => n);
    if (names.length) return `secrets ${[...new Set(names)].join(', ')}`;
  }
  const token = knownToken(text);
  return token ? `a ${token}` : undefined;
}

// By the layer's files: the layer cache hands every image that shares a layer the same map.
const secretsOf = new WeakMap<ReadonlyMap<string, Buffer>, Array<[path: string, what: string]>>();

/** The kept files of one layer that hold a secret, and what each holds, in the layer's order (found once per layer). */
function secretsIn(files: ReadonlyMap<string, Buffer>): Array<[path: string, what: string]> {
  let found = secretsOf.get(files);
  if (!found) {
    found = [];
    for (const [p, data] of files) {
      if (!candidate(p)) continue;
      const what = inspect(p, data.toString('utf8'));
      if (what) found.push([p, what]);
    }
    secretsOf.set(files, found);
  }
  return found;
}

export const secretInLayers: Check = {
  id: 'secret-in-layers',
  severity: 'critical',
  title: 'Secret file in an image layer',
  remediation: 'Use build secrets (`RUN --mount=type=secret`) or multi-stage builds; deleting a file in a later layer does not remove it from the image. Rotate the exposed credential.',
  url: 'https://docs.docker.com/build/building/secrets/',
  wants: (p, e) => e.type === 'file' && e.size <= MAX_BYTES && candidate(p),
  run(img) {
    const out: Finding[] = [];
    for (const layer of img.layers) {
      for (const [p, what] of secretsIn(layer.files)) {
        const final = img.files.stat(p);
        const note = !final ? ' (deleted by a later layer, still in the image)' : final.layer !== layer.diffId ? ' (replaced by a later layer, still in the image)' : '';
        out.push(checkFinding(this, `${p} holds ${what}${note}`, [{ layer: layer.diffId, path: p }]));
      }
    }
    return out;
  },
};
