/** For unit tests of the engine and the doors: a verify() and a tag resolver over an in-memory table, with a switch that takes the "registry" down. */
import { generateKeyPairSync } from 'node:crypto';
import type { VerifyOptions, VerifyResult } from '../../src/attest/types.js';
import { ShipshapeError } from '../../src/errors.js';
import type { ResolveTagFn, VerifyFn } from '../../src/admission/engine.js';

/** A fresh ECDSA P-256 public key, PEM (PKIX), as `key generate` writes them. */
export function publicKeyPem(type: 'ec' | 'rsa' = 'ec'): string {
  const pair = type === 'ec' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
  return pair.publicKey.export({ type: 'spki', format: 'pem' }) as string;
}

export const digest = (n: number): string => `sha256:${n.toString(16).padStart(64, '0')}`;

export interface FakeImage {
  digest: string;
  signed?: boolean;
  verdict?: 'pass' | 'fail';
  ageMs?: number;
  counts?: Partial<Record<'critical' | 'high' | 'medium' | 'low', number>>;
  /** Which key signed it: 'trusted' (default) or another. */
  key?: string;
}

export class FakeRegistry {
  /** `host/repo:tag` → digest. */
  tags = new Map<string, string>();
  /** `host/repo@digest` → image. */
  images = new Map<string, FakeImage>();
  down = false;
  delayMs = 0;
  calls = { verify: 0, resolve: 0 };
  lastVerifyOptions: VerifyOptions | undefined;

  add(ref: string, img: FakeImage): this {
    const [name, tag] = ref.split(/:(?=[^:/]+$)/) as [string, string];
    this.tags.set(`${name}:${tag}`, img.digest);
    this.images.set(`${name}@${img.digest}`, img);
    return this;
  }

  private async wait(): Promise<void> {
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.down) throw new ShipshapeError('network', 'cannot connect to registry registry.example:5000: connection refused');
  }

  resolveTag: ResolveTagFn = async (ref) => {
    this.calls.resolve++;
    await this.wait();
    const d = this.tags.get(`${ref.registry}/${ref.repository}:${ref.tag}`);
    if (!d) throw new ShipshapeError('not-found', `manifest ${ref.registry}/${ref.repository}:${ref.tag} not found (MANIFEST_UNKNOWN: manifest unknown)`);
    return d;
  };

  verify: VerifyFn = async (image, opts) => {
    this.calls.verify++;
    this.lastVerifyOptions = opts;
    await this.wait();
    const img = this.images.get(image);
    const [name, d] = image.split('@') as [string, string];
    const slash = name.indexOf('/');
    if (!img) throw new ShipshapeError('not-found', `manifest ${image} not found`);
    const now = opts.now?.() ?? new Date();
    const trusted = (img.key ?? 'trusted') === 'trusted';
    const signed = img.signed !== false && trusted;
    const reasons: string[] = [];
    if ((opts.requireSignature ?? true) && !signed) reasons.push(img.signed === false ? 'no signature' : 'no signature by a trusted key');
    const ageMs = img.ageMs ?? 3_600_000;
    if (opts.requireAttestation ?? true) {
      if (!signed) reasons.push('no scan attestation signed by a trusted key');
      else {
        if (opts.maxAgeMs !== undefined && ageMs > opts.maxAgeMs) reasons.push(`attestation is ${Math.round(ageMs / 86400e3)}d old, more than ${Math.round(opts.maxAgeMs / 86400e3)}d`);
        if (opts.requirePass && img.verdict === 'fail') reasons.push('scan verdict is fail: 2 critical');
      }
    }
    const result: VerifyResult = {
      reference: image,
      registry: name.slice(0, slash),
      repository: name.slice(slash + 1),
      digest: d,
      verified: reasons.length === 0,
      reasons,
      signature: { found: img.signed !== false, valid: signed, ...(signed ? { keyId: 'abc' } : {}) },
      ...(signed
        ? {
            attestation: {
              predicateType: 'https://shipshape.dev/attestations/scan/v1',
              digest: digest(999),
              keyId: 'abc',
              ageMs,
              predicate: {
                verdict: img.verdict ?? 'pass',
                reasons: [],
                policyDigest: digest(7),
                db: null,
                scanner: { name: 'shipshape', version: '0.1.0' },
                counts: { unknown: 0, negligible: 0, low: 0, medium: 0, high: 0, critical: 0, ...img.counts },
                findings: [],
                suppressed: [],
                scannedAt: new Date(now.getTime() - ageMs).toISOString(),
              },
            },
          }
        : {}),
    };
    return result;
  };
}
