/** The decision engine against an in-memory registry: every reason to refuse, audit, exemptions, break-glass, caches, single-flight, fail closed. */
import { describe, expect, it } from 'vitest';
import { ShipshapeError } from '../errors.js';
import { digest, FakeRegistry, publicKeyPem } from '../../test/helpers/fake-verify.js';
import { AdmissionEngine, type EngineOptions } from './engine.js';
import { parseAdmissionPolicy } from './policy.js';

const PEM = publicKeyPem();
const BASE = `mode: enforce
allowedRegistries: ["registry.example:5000/*"]
trustedKeys: [keys/cosign.pub]
attestation: { required: true, maxAge: 7d, verdict: pass }
`;
const R = 'registry.example:5000';

function world(): FakeRegistry {
  return new FakeRegistry()
    .add(`${R}/app:1.0`, { digest: digest(1) })
    .add(`${R}/unsigned:1.0`, { digest: digest(2), signed: false })
    .add(`${R}/otherkey:1.0`, { digest: digest(3), key: 'other' })
    .add(`${R}/failed:1.0`, { digest: digest(4), verdict: 'fail' })
    .add(`${R}/old:1.0`, { digest: digest(5), ageMs: 9 * 86400e3 })
    .add(`${R}/high:1.0`, { digest: digest(6), counts: { high: 2, medium: 3 } });
}

function engine(reg: FakeRegistry, extra = '', opts: Partial<EngineOptions> = {}): AdmissionEngine {
  const policy = parseAdmissionPolicy(BASE + extra, '/p/admission.yaml', { readKey: () => PEM });
  return new AdmissionEngine({ policy, verify: reg.verify, resolveTag: reg.resolveTag, ...opts });
}

describe('AdmissionEngine', () => {
  it('admits a signed image with a passing, fresh attestation, and pins its tag to the verified digest', async () => {
    const reg = world();
    const d = await engine(reg).decide({ namespace: 'prod', images: [`${R}/app:1.0`] });
    expect(d.allowed).toBe(true);
    expect(d.images[0]).toMatchObject({ allowed: true, code: 'verified', digest: digest(1), pinned: `${R}/app:1.0@${digest(1)}`, cached: false });
    expect(d.auditAnnotations).toMatchObject({ decision: 'allowed', images: `${R}/app:1.0=${digest(1)}` });
    // verify() is asked by digest, never by tag, with the policy's requirements.
    expect(reg.lastVerifyOptions).toMatchObject({ keys: [PEM.trim()], requireSignature: true, requireAttestation: true, maxAgeMs: 7 * 86400e3, requirePass: true });
    expect(reg.lastVerifyOptions!.registry).toMatchObject({ timeoutMs: 3000, retry: { tries: 1 } });
  });

  it.each([
    ['unsigned', `${R}/unsigned:1.0`, 'not-verified', /no signature/],
    ['signed by another key', `${R}/otherkey:1.0`, 'not-verified', /no signature by a trusted key/],
    ['failed verdict', `${R}/failed:1.0`, 'not-verified', /scan verdict is fail/],
    ['attestation too old', `${R}/old:1.0`, 'not-verified', /attestation is 9d old, more than 7d/],
    ['registry not allowed', 'docker.io/library/alpine:3.20', 'registry-not-allowed', /docker\.io\/library\/alpine is not in the allowed registries \(registry\.example:5000\/\*\)/],
    ['localhost registry', 'localhost:5000/x', 'registry-not-allowed', /localhost:5000\/x is not in the allowed registries/],
    ['tag that does not resolve', `${R}/app:nope`, 'not-found', /tag registry\.example:5000\/app:nope not found/],
    ['digest that does not exist', `${R}/app@${digest(77)}`, 'not-found', /not found/],
    ['upper case repository', `${R}/App:1.0`, 'bad-reference', /must be lowercase/],
    // Docker reads a bare `sha256:<hex>` as the image docker.io/library/sha256 with that tag.
    ['a bare digest', digest(1), 'registry-not-allowed', /docker\.io\/library\/sha256 is not in the allowed registries/],
    ['a digest of another algorithm', `${R}/app@sha384:${'a'.repeat(96)}`, 'bad-reference', /unsupported digest algorithm "sha384"/],
    ['empty', '', 'bad-reference', /invalid image reference/],
    ['spaces', ` ${R}/app:1.0`, 'bad-reference', /invalid image reference/],
  ])('refuses %s, naming the image and the reason', async (_name, image, code, reason) => {
    const d = await engine(world()).decide({ namespace: 'prod', images: [image] });
    expect(d.allowed).toBe(false);
    expect(d.images[0]).toMatchObject({ allowed: false, code });
    expect(d.images[0]!.reasons.join('; ')).toMatch(reason);
    expect(d.message).toContain(`image ${image}: `);
    expect(d.auditAnnotations.decision).toBe('denied');
  });

  it('admits an image named by digest only, without resolving a tag, and does not pin it again', async () => {
    const reg = world();
    const d = await engine(reg).decide({ namespace: 'prod', images: [`${R}/app@${digest(1)}`, `${R}/app:1.0@${digest(1)}`] });
    expect(d.allowed).toBe(true);
    expect(d.images.map((i) => i.pinned)).toEqual([undefined, undefined]);
    expect(reg.calls).toEqual({ verify: 1, resolve: 0 });
  });

  it('refuses a not-allowed registry without asking any registry', async () => {
    const reg = world();
    await engine(reg).decide({ namespace: 'prod', images: ['evil.example/app:1.0', 'localhost:5000/x'] });
    expect(reg.calls).toEqual({ verify: 0, resolve: 0 });
  });

  it('denies the whole request when one image of several is refused, naming only the refused', async () => {
    const d = await engine(world()).decide({ namespace: 'prod', images: [`${R}/app:1.0`, `${R}/unsigned:1.0`] });
    expect(d.allowed).toBe(false);
    expect(d.message).toMatch(/denied 1 of 2 image\(s\): image registry\.example:5000\/unsigned:1\.0: /);
    expect(d.message).not.toContain('app:1.0:');
  });

  it('re-judges thresholds from the attestation counts', async () => {
    const reg = world();
    expect((await engine(reg).decide({ namespace: 'p', images: [`${R}/high:1.0`] })).allowed).toBe(true);
    const d = await engine(reg, 'namespaces:\n  strict:\n    attestation: { failOn: high }\n').decide({ namespace: 'strict', images: [`${R}/high:1.0`] });
    expect(d.images[0]).toMatchObject({ allowed: false, code: 'threshold', reasons: ['scan attestation counts 2 high: failOn is high'] });
    const m = await engine(reg, 'attestation: { maxCounts: { medium: 2 } }\n'.replace('attestation', 'namespaces:\n  m:\n    attestation')).decide({ namespace: 'm', images: [`${R}/high:1.0`] });
    expect(m.images[0]!.reasons).toEqual(['scan attestation counts 3 medium, more than the 2 allowed']);
  });

  it('audit mode admits with warnings, globally or per namespace', async () => {
    const reg = world();
    const e = engine(reg, 'namespaces:\n  dev:\n    mode: audit\n');
    const dev = await e.decide({ namespace: 'dev', images: [`${R}/unsigned:1.0`, `${R}/app:1.0`] });
    expect(dev).toMatchObject({ allowed: true, mode: 'audit' });
    expect(dev.message).toBeUndefined();
    expect(dev.warnings).toEqual([expect.stringMatching(/^audit: image registry\.example:5000\/unsigned:1\.0 would be denied: no signature/)]);
    expect(dev.auditAnnotations.decision).toBe('audit-denied');
    expect(dev.images.find((i) => i.image.includes('unsigned'))!.pinned).toBeUndefined();
    expect((await e.decide({ namespace: 'prod', images: [`${R}/unsigned:1.0`] })).allowed).toBe(false);
    const all = engine(reg, '').policyFor('x');
    expect(all.mode).toBe('enforce');
    const auditAll = await engine(reg, '').decide({ namespace: 'x', images: [`${R}/unsigned:1.0`] });
    expect(auditAll.allowed).toBe(false);
    const glob = await engine(reg, 'namespaces:\n  "team-*":\n    mode: audit\n').decide({ namespace: 'team-a', images: [`${R}/unsigned:1.0`] });
    expect(glob.allowed).toBe(true);
  });

  it('exempt namespaces and exempt images are admitted without a lookup', async () => {
    const reg = world();
    const e = engine(reg, 'exemptNamespaces: [kube-system]\nexemptImages: ["registry.k8s.io/pause:*"]\n');
    const ks = await e.decide({ namespace: 'kube-system', images: ['docker.io/library/alpine:latest'] });
    expect(ks.allowed).toBe(true);
    expect(ks.images[0]!.code).toBe('exempt-namespace');
    const pause = await e.decide({ namespace: 'prod', images: ['registry.k8s.io/pause:3.9'] });
    expect(pause.images[0]!.code).toBe('exempt-image');
    expect(reg.calls).toEqual({ verify: 0, resolve: 0 });
  });

  it('break-glass: ignored (with a warning) unless the policy enables it; when on, admits and audits', async () => {
    const reg = world();
    const glass = { 'alpha.image-policy.k8s.io/break-glass': 'true' };
    const off = await engine(reg).decide({ namespace: 'prod', images: [`${R}/unsigned:1.0`], annotations: glass });
    expect(off.allowed).toBe(false);
    expect(off.warnings[0]).toMatch(/break-glass annotation .* ignored/);
    const on = await engine(reg, 'breakGlass: { enabled: true }\n').decide({ namespace: 'prod', images: [`${R}/unsigned:1.0`], annotations: glass });
    expect(on).toMatchObject({ allowed: true, breakGlass: true, auditAnnotations: { 'break-glass': 'true', decision: 'break-glass' } });
    expect(on.warnings[0]).toMatch(/^break-glass: 1 image\(s\) admitted without verification/);
    const other = await engine(reg, 'breakGlass: { enabled: true, annotation: example.com/emergency }\n').decide({ namespace: 'prod', images: [`${R}/unsigned:1.0`], annotations: glass });
    expect(other.allowed).toBe(false);
  });

  it('caches decisions by (digest, policy digest) and tags for their own TTL; identical concurrent lookups share one request', async () => {
    const reg = world();
    reg.delayMs = 30;
    let now = 1_000_000;
    const e = engine(reg, 'cache: { ttl: 5m, tagTtl: 30s }\nnamespaces:\n  dev:\n    mode: audit\n', { now: () => now });
    const many = await Promise.all(Array.from({ length: 50 }, () => e.decide({ namespace: 'prod', images: [`${R}/app:1.0`] })));
    expect(many.every((d) => d.allowed)).toBe(true);
    expect(reg.calls).toEqual({ verify: 1, resolve: 1 });
    const again = await e.decide({ namespace: 'prod', images: [`${R}/app:1.0`] });
    expect(again.images[0]!.cached).toBe(true);
    expect(reg.calls).toEqual({ verify: 1, resolve: 1 });
    // Another namespace policy is another policy digest: decided again, the tag still cached.
    await e.decide({ namespace: 'dev', images: [`${R}/app:1.0`] });
    expect(reg.calls).toEqual({ verify: 2, resolve: 1 });
    now += 31_000; // tag expired, decision not
    await e.decide({ namespace: 'prod', images: [`${R}/app:1.0`] });
    expect(reg.calls).toEqual({ verify: 2, resolve: 2 });
    now += 5 * 60_000; // both expired
    await e.decide({ namespace: 'prod', images: [`${R}/app:1.0`] });
    expect(reg.calls).toEqual({ verify: 3, resolve: 3 });
  });

  it('a refusal is cached only as long as a tag: the image signed since is admitted', async () => {
    const reg = world();
    let now = 2_000_000;
    const e = engine(reg, 'cache: { ttl: 10m, tagTtl: 30s }\n', { now: () => now });
    const ref = `${R}/unsigned@${digest(2)}`;
    expect((await e.decide({ namespace: 'p', images: [ref] })).allowed).toBe(false);
    reg.images.get(ref)!.signed = true;
    now += 10_000;
    expect((await e.decide({ namespace: 'p', images: [ref] })).allowed).toBe(false);
    now += 25_000;
    expect((await e.decide({ namespace: 'p', images: [ref] })).allowed).toBe(true);
  });

  it('a cached decision whose attestation has since aged past maxAge is made again', async () => {
    const reg = new FakeRegistry().add(`${R}/app:1.0`, { digest: digest(1), ageMs: 7 * 86400e3 - 60_000 });
    let now = 5_000_000;
    const e = engine(reg, 'cache: { ttl: 1h }\n', { now: () => now });
    expect((await e.decide({ namespace: 'p', images: [`${R}/app@${digest(1)}`] })).allowed).toBe(true);
    now += 120_000;
    reg.images.get(`${R}/app@${digest(1)}`)!.ageMs = 7 * 86400e3 + 60_000;
    const d = await e.decide({ namespace: 'p', images: [`${R}/app@${digest(1)}`] });
    expect(reg.calls.verify).toBe(2);
    expect(d.allowed).toBe(false);
  });

  it('registry unreachable: a digest decided before is admitted from the cache; anything else is refused (fail closed) unless the namespace says allow', async () => {
    const reg = world();
    const e = engine(reg, 'namespaces:\n  lenient:\n    onRegistryError: allow\n');
    expect((await e.decide({ namespace: 'prod', images: [`${R}/app@${digest(1)}`] })).allowed).toBe(true);
    reg.down = true;
    const cached = await e.decide({ namespace: 'prod', images: [`${R}/app@${digest(1)}`] });
    expect(cached.allowed).toBe(true);
    expect(cached.images[0]!.cached).toBe(true);
    const closed = await e.decide({ namespace: 'prod', images: [`${R}/failed:1.0`] });
    expect(closed.allowed).toBe(false);
    expect(closed.images[0]).toMatchObject({ code: 'registry-error' });
    expect(closed.message).toMatch(/registry unreachable: cannot connect to registry .*: connection refused, and no cached decision \(fail closed\)/);
    const open = await e.decide({ namespace: 'lenient', images: [`${R}/failed:1.0`] });
    expect(open.allowed).toBe(true);
    expect(open.images[0]!.code).toBe('fail-open');
    expect(open.warnings[0]).toMatch(/admitted unverified \(onRegistryError: allow\)/);
    // Errors are not cached: back up, decided properly.
    reg.down = false;
    expect((await e.decide({ namespace: 'prod', images: [`${R}/failed:1.0`] })).images[0]!.code).toBe('not-verified');
  });

  it('refuses everything still undecided when the deadline passes', async () => {
    const reg = world();
    reg.delayMs = 2_000;
    const t0 = Date.now();
    const d = await engine(reg, '', { deadlineMs: 200 }).decide({ namespace: 'prod', images: [`${R}/app:1.0`] });
    expect(Date.now() - t0).toBeLessThan(1_500);
    expect(d.allowed).toBe(false);
    expect(d.message).toMatch(/registry lookups did not finish within 200 ms, and no cached decision \(fail closed\)/);
  });

  it('a verify() that throws something unexpected refuses the image', async () => {
    const reg = world();
    const e = engine(reg, '', { verify: async () => { throw new TypeError('boom'); } });
    const d = await e.decide({ namespace: 'prod', images: [`${R}/app:1.0`] });
    expect(d.allowed).toBe(false);
    expect(d.images[0]!.reasons[0]).toMatch(/boom/);
  });

  it('decides 1,000 images of one Pod with a bounded number of lookups at once', async () => {
    const reg = new FakeRegistry();
    for (let i = 0; i < 1000; i++) reg.add(`${R}/app${i}:1.0`, { digest: digest(i + 1), signed: i % 2 === 0 });
    let inflight = 0;
    let most = 0;
    const verify = reg.verify;
    reg.verify = async (img, o) => {
      most = Math.max(most, ++inflight);
      try {
        return await verify(img, o);
      } finally {
        inflight--;
      }
    };
    const e = engine(reg, '', { verify: (i, o) => reg.verify(i, o) });
    const d = await e.decide({ namespace: 'prod', images: Array.from({ length: 1000 }, (_, i) => `${R}/app${i}:1.0`) });
    expect(d.allowed).toBe(false);
    expect(d.images.filter((i) => i.allowed)).toHaveLength(500);
    expect(most).toBeLessThanOrEqual(16);
    expect(d.message).toMatch(/and 480 more image\(s\)$/);
  });

  it('a reloaded policy takes effect for the next decision', async () => {
    const reg = world();
    const e = engine(reg);
    expect((await e.decide({ namespace: 'prod', images: [`${R}/unsigned:1.0`] })).allowed).toBe(false);
    e.setPolicy(parseAdmissionPolicy(BASE.replace('enforce', 'audit'), '/p/admission.yaml', { readKey: () => PEM }));
    expect((await e.decide({ namespace: 'prod', images: [`${R}/unsigned:1.0`] })).allowed).toBe(true);
  });
});

describe('where the webhook sends its registry credentials (docs/registry.md)', () => {
  const creds = { username: 'robot', password: 's3cret' };

  it('to a registry the allow list approves, for the tag lookup and for verify()', async () => {
    const reg = world();
    const seen: Array<string | undefined> = [];
    const resolveTag: EngineOptions['resolveTag'] = (ref, opts) => {
      seen.push(opts.credentialsFor);
      return reg.resolveTag(ref, opts);
    };
    await engine(reg, '', { registry: creds, resolveTag }).decide({ namespace: 'prod', images: [`${R}/app:1.0`] });
    expect(seen).toEqual([R]);
    expect(reg.lastVerifyOptions!.registry).toMatchObject({ ...creds, credentialsFor: R });
  });

  it('to no registry a Pod names when there is no allow list: that host gets only its docker config entry', async () => {
    const reg = new FakeRegistry().add('evil.example/x:1', { digest: digest(9) });
    const policy = parseAdmissionPolicy(BASE.replace(/^allowedRegistries: .*\n/m, ''), '/p/admission.yaml', { readKey: () => PEM });
    const seen: Array<string | undefined> = [];
    const resolveTag: EngineOptions['resolveTag'] = (ref, opts) => {
      seen.push(opts.credentialsFor);
      return reg.resolveTag(ref, opts);
    };
    await new AdmissionEngine({ policy, verify: reg.verify, resolveTag, registry: creds }).decide({ namespace: 'prod', images: ['evil.example/x:1'] });
    expect(seen).toEqual(['']);
    expect(reg.lastVerifyOptions!.registry).toMatchObject({ credentialsFor: '' });
  });
});

describe('verifying the digest a tag named last, beside the tag lookup', () => {
  /** A tag resolver that waits for `release()`, recording whether verify() was asked meanwhile. */
  function gated(reg: FakeRegistry) {
    let open: () => void = () => undefined;
    let gate = Promise.resolve();
    const verifiedWhileWaiting: number[] = [];
    const resolveTag: EngineOptions['resolveTag'] = async (ref, opts) => {
      const before = reg.calls.verify;
      await gate;
      verifiedWhileWaiting.push(reg.calls.verify - before);
      return reg.resolveTag(ref, opts);
    };
    return {
      resolveTag,
      verifiedWhileWaiting,
      hold: () => (gate = new Promise<void>((r) => (open = r))),
      release: () => open(),
    };
  }
  const cold = 'cache: { ttl: 0s, tagTtl: 0s }\n';

  it('starts verifying the remembered digest before the tag answers, and verifies it once', async () => {
    const reg = world();
    const g = gated(reg);
    const e = engine(reg, cold, { resolveTag: g.resolveTag });
    expect((await e.decide({ namespace: 'prod', images: [`${R}/app:1.0`] })).allowed).toBe(true);
    expect(g.verifiedWhileWaiting).toEqual([0]); // nothing remembered yet: tag first, then verify
    reg.calls = { verify: 0, resolve: 0 };
    g.hold();
    const pending = e.decide({ namespace: 'prod', images: [`${R}/app:1.0`] });
    await new Promise((r) => setTimeout(r, 20));
    expect(reg.calls.verify).toBe(1); // begun while the tag lookup waits
    g.release();
    const d = await pending;
    expect(d.allowed).toBe(true);
    expect(d.images[0]).toMatchObject({ code: 'verified', digest: digest(1), pinned: `${R}/app:1.0@${digest(1)}`, cached: false });
    expect(reg.calls).toEqual({ verify: 1, resolve: 1 });
  });

  it('a tag moved meanwhile: the decision is about the digest the tag names now', async () => {
    const reg = world();
    const e = engine(reg, cold);
    expect((await e.decide({ namespace: 'prod', images: [`${R}/app:1.0`] })).allowed).toBe(true);
    reg.add(`${R}/app:1.0`, { digest: digest(7), signed: false });
    reg.calls = { verify: 0, resolve: 0 };
    const d = await e.decide({ namespace: 'prod', images: [`${R}/app:1.0`] });
    expect(d.allowed).toBe(false);
    expect(d.images[0]).toMatchObject({ code: 'not-verified', digest: digest(7) });
    expect(d.message).toMatch(/no signature/);
    expect(reg.calls).toEqual({ verify: 2, resolve: 1 }); // the old digest's verification is wasted, never used
  });

  it('the tag lookup fails: refused (fail closed), whatever the remembered digest verified as', async () => {
    const reg = world();
    let tagDown = false;
    const resolveTag: EngineOptions['resolveTag'] = async (ref, opts) => {
      if (tagDown) throw new ShipshapeError('network', 'cannot connect to registry registry.example:5000: connection refused');
      return reg.resolveTag(ref, opts);
    };
    const e = engine(reg, cold, { resolveTag });
    expect((await e.decide({ namespace: 'prod', images: [`${R}/app:1.0`] })).allowed).toBe(true);
    tagDown = true;
    const d = await e.decide({ namespace: 'prod', images: [`${R}/app:1.0`] });
    expect(d.allowed).toBe(false);
    expect(d.images[0]).toMatchObject({ code: 'registry-error' });
    expect(d.message).toMatch(/fail closed/);
  });

  it('a tag that is gone is forgotten: no verification starts for it again', async () => {
    const reg = world();
    const e = engine(reg, cold);
    await e.decide({ namespace: 'prod', images: [`${R}/app:1.0`] });
    reg.tags.delete(`${R}/app:1.0`);
    expect((await e.decide({ namespace: 'prod', images: [`${R}/app:1.0`] })).images[0]!.code).toBe('not-found');
    reg.calls = { verify: 0, resolve: 0 };
    expect((await e.decide({ namespace: 'prod', images: [`${R}/app:1.0`] })).images[0]!.code).toBe('not-found');
    expect(reg.calls).toEqual({ verify: 0, resolve: 1 });
  });

  it('nothing starts early while the tag or the decision is cached', async () => {
    const reg = world();
    const e = engine(reg, 'cache: { ttl: 10m, tagTtl: 0s }\n');
    await e.decide({ namespace: 'prod', images: [`${R}/app:1.0`] });
    reg.calls = { verify: 0, resolve: 0 };
    const d = await e.decide({ namespace: 'prod', images: [`${R}/app:1.0`] });
    expect(d.images[0]!.cached).toBe(true);
    expect(reg.calls).toEqual({ verify: 0, resolve: 1 });
  });
});
