/** admission.yaml: the smallest policy of the issue reads as written; every mistake is one line naming file:line:column. */
import { describe, expect, it } from 'vitest';
import { ShipshapeError } from '../errors.js';
import { publicKeyPem } from '../../test/helpers/fake-verify.js';
import { parseAdmissionPolicy } from './policy.js';

const PEM = publicKeyPem();
const OTHER = publicKeyPem();
const keys: Record<string, string> = { '/etc/shipshape/keys/cosign.pub': PEM, '/etc/shipshape/keys/other.pub': OTHER, '/etc/shipshape/keys/bad.pub': 'not a key', '/etc/shipshape/keys/rsa.pub': publicKeyPem('rsa'), '/etc/shipshape/keys/garbled.pub': '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n' };
const readKey = (f: string) => {
  if (!(f in keys)) throw Object.assign(new Error('no such file'), { code: 'ENOENT' });
  return keys[f]!;
};
const FILE = '/etc/shipshape/admission.yaml';

const SMALLEST = `mode: enforce
allowedRegistries: ["registry.example:5000/*"]
trustedKeys: [keys/cosign.pub]
attestation: { required: true, maxAge: 7d, verdict: pass }
`;

function problem(text: string): string {
  try {
    parseAdmissionPolicy(text, FILE, { readKey });
  } catch (err) {
    expect(err).toBeInstanceOf(ShipshapeError);
    expect((err as ShipshapeError).code).toBe('bad-policy');
    expect((err as Error).message).not.toContain('\n');
    return (err as Error).message;
  }
  throw new Error('expected the policy to be rejected');
}

describe('admission policy', () => {
  it('reads the smallest policy of the issue exactly as written, keys relative to the file', () => {
    const p = parseAdmissionPolicy(SMALLEST, FILE, { readKey });
    expect(p.global).toMatchObject({
      mode: 'enforce',
      allowedRegistries: ['registry.example:5000/*'],
      trustedKeys: [PEM.trim()],
      trustedKeyFiles: ['/etc/shipshape/keys/cosign.pub'],
      requireSignature: true,
      requireAttestation: true,
      maxAgeMs: 7 * 86400e3,
      requirePass: true,
      onRegistryError: 'deny',
      breakGlass: { enabled: false, annotation: 'alpha.image-policy.k8s.io/break-glass' },
    });
    expect(p.global.digest).toMatch(/^sha256:[a-f0-9]{64}$/);
    expect(p.files).toEqual([FILE, '/etc/shipshape/keys/cosign.pub']);
    expect(p.registryTimeoutMs).toBe(3000);
    expect(p.namespaces).toEqual([]);
  });

  it('folds namespace overrides over the defaults, each with its own digest; the digest follows the key content, not the file name', () => {
    const text = `${SMALLEST}exemptNamespaces: [kube-system]
namespaces:
  dev:
    mode: audit
  team-*:
    trustedKeys: [keys/other.pub]
    attestation: { failOn: high, maxCounts: { critical: 0 } }
    onRegistryError: allow
`;
    const p = parseAdmissionPolicy(text, FILE, { readKey });
    const dev = p.namespaces.find((n) => n.pattern === 'dev')!.policy;
    const team = p.namespaces.find((n) => n.pattern === 'team-*')!.policy;
    expect(dev.mode).toBe('audit');
    expect(dev.trustedKeys).toEqual(p.global.trustedKeys);
    expect(dev.maxAgeMs).toBe(7 * 86400e3);
    expect(team).toMatchObject({ mode: 'enforce', trustedKeys: [OTHER.trim()], failOn: 'high', maxCounts: { critical: 0 }, maxAgeMs: 7 * 86400e3, onRegistryError: 'allow' });
    expect(new Set([p.global.digest, dev.digest, team.digest]).size).toBe(3);
    // The same content under another key file name is the same policy.
    keys['/etc/shipshape/keys/copy.pub'] = PEM;
    const same = parseAdmissionPolicy(SMALLEST.replace('cosign.pub', 'copy.pub'), FILE, { readKey });
    expect(same.global.digest).toBe(p.global.digest);
  });

  it.each([
    ['unknown key', `${SMALLEST}modes: audit\n`, /^\/etc\/shipshape\/admission\.yaml:5:1: unknown key "modes" \(known: mode, /],
    ['bad mode', SMALLEST.replace('mode: enforce', 'mode: warn'), /:1:7: mode must be one of enforce, audit, not the string "warn"$/],
    ['bad duration', SMALLEST.replace('7d', '7 days'), /:4:40: attestation\.maxAge: invalid duration "7 days"/],
    ['bad verdict', SMALLEST.replace('verdict: pass', 'verdict: ok'), /attestation\.verdict must be one of pass, any/],
    ['registries not a list', SMALLEST.replace('["registry.example:5000/*"]', 'registry.example:5000'), /:2:20: allowedRegistries must be a list/],
    ['missing trustedKeys', 'mode: enforce\n', /:1:1: the admission policy: missing "trustedKeys"/],
    ['empty trustedKeys while signatures are required', SMALLEST.replace('[keys/cosign.pub]', '[]'), /trustedKeys is empty, but a signature or attestation is required/],
    ['key file missing', SMALLEST.replace('cosign.pub', 'missing.pub'), /:3:15: cannot read trusted key keys\/missing\.pub: ENOENT$/],
    ['key file not PEM', SMALLEST.replace('cosign.pub', 'bad.pub'), /:3:15: trusted key keys\/bad\.pub is not a PEM public key/],
    ['an RSA key', SMALLEST.replace('cosign.pub', 'rsa.pub'), /:3:15: trusted key keys\/rsa\.pub does not load: a rsa key, not ECDSA P-256$/],
    ['a garbled key', SMALLEST.replace('cosign.pub', 'garbled.pub'), /:3:15: trusted key keys\/garbled\.pub does not load: /],
    ['bad severity', `${SMALLEST.slice(0, -2)}, failOn: urgent }\n`, /attestation\.failOn: unknown severity "urgent"/],
    ['negative count', `${SMALLEST}namespaces:\n  a:\n    attestation: { maxCounts: { high: -1 } }\n`, /namespaces\.a\.attestation\.maxCounts\.high must be >= 0/],
    ['unknown key in a namespace', `${SMALLEST}namespaces:\n  a:\n    exemptNamespaces: [x]\n`, /:7:5: unknown key "exemptNamespaces" in namespaces\.a/],
    ['bad YAML', 'mode: [enforce\n', /:\d+:\d+: invalid YAML: /],
    ['whole file a list', '- a\n', /:1:1: the admission policy must be a mapping, not a list$/],
  ])('%s', (_name, text, expected) => {
    expect(problem(text)).toMatch(expected);
  });
});
