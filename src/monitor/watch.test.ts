import { describe, expect, it } from 'vitest';
import { refByDigest } from './engine.js';
import { importDecisionLog, importPods, nameGlob, openOptionsFor } from './watch.js';

const DIG = `sha256:${'b'.repeat(64)}`;

describe('watch list', () => {
  it('globs: * within a segment, ** across, ? one character', () => {
    expect(['apps/a', 'apps/b/c', 'other/a', 'apps'].filter((r) => nameGlob('apps/*').test(r))).toEqual(['apps/a']);
    expect(['apps/a', 'apps/b/c'].filter((r) => nameGlob('apps/**').test(r))).toEqual(['apps/a', 'apps/b/c']);
    expect(['v1', 'v12', 'latest'].filter((t) => nameGlob('v?').test(t))).toEqual(['v1']);
    expect(nameGlob('a.b+c').test('aXb+c')).toBe(false);
  });

  it('pods: each container image with the digest the kubelet pulled and where it runs', () => {
    const pods = {
      kind: 'List',
      items: [
        { kind: 'Pod', metadata: { name: 'web-1', namespace: 'prod' }, spec: { containers: [{ name: 'web', image: 'reg:5000/apps/web:1' }], initContainers: [{ name: 'init', image: 'busybox' }] },
          status: { containerStatuses: [{ name: 'web', imageID: `docker-pullable://reg:5000/apps/web@${DIG}` }] } },
        { kind: 'Pod', metadata: { name: 'web-2', namespace: 'prod' }, spec: { containers: [{ name: 'web', image: 'reg:5000/apps/web:1' }] }, status: {} },
        { kind: 'Pod', metadata: { name: 'x', namespace: 'ns' }, spec: { containers: [{ name: 'x', image: 'not a reference!' }] } },
      ],
    };
    const refs = importPods(JSON.stringify(pods), 'pods.json');
    expect(refs).toEqual([
      { ref: 'reg:5000/apps/web:1', registry: 'reg:5000', repository: 'apps/web', tag: '1', digest: DIG, source: 'kubectl', running: ['prod/web-1', 'prod/web-2'] },
      { ref: 'docker.io/library/busybox:latest', registry: 'docker.io', repository: 'library/busybox', tag: 'latest', source: 'kubectl', running: ['prod/web-1'] },
    ]);
    expect(() => importPods('{"kind":"List"', 'pods.json')).toThrow(/^pods\.json: not JSON/);
    expect(() => importPods('{"kind":"Deployment"}', 'pods.json')).toThrow(/not a pod list/);
  });

  it('the admission decision log: JSON lines naming images; other lines skipped', () => {
    const log = [
      JSON.stringify({ allowed: true, namespace: 'prod', images: [{ image: 'reg:5000/apps/a:1', digest: DIG }, 'reg:5000/apps/b:2'] }),
      'not json',
      JSON.stringify({ allowed: false, image: 'reg:5000/apps/a:1', request: { namespace: 'dev' } }),
      '',
    ].join('\n');
    expect(importDecisionLog(log)).toEqual([
      { ref: 'reg:5000/apps/a:1', registry: 'reg:5000', repository: 'apps/a', tag: '1', digest: DIG, source: 'admission', running: ['prod', 'dev'] },
      { ref: 'reg:5000/apps/b:2', registry: 'reg:5000', repository: 'apps/b', tag: '2', source: 'admission', running: ['prod'] },
    ]);
  });

  it("reads the admission webhook's own log lines (src/admission/server.ts: time + RequestLog)", () => {
    const line = JSON.stringify({ time: '2026-12-02T14:00:00.000Z', route: '/validate', uid: 'u1', namespace: 'shop', kind: 'Pod', name: 'web', operation: 'CREATE', images: ['reg:5000/apps/web:2', `reg:5000/apps/db@${DIG}`], decision: 'allowed', reasons: [], cached: 0 });
    expect(importDecisionLog(`${line}\n`).map((r) => [r.ref, r.digest ?? null, r.running])).toEqual([
      ['reg:5000/apps/web:2', null, ['shop']],
      [`reg:5000/apps/db@${DIG}`, DIG, ['shop']],
    ]);
  });

  it('attestations go to the digest, never the tag', () => {
    expect(refByDigest('reg:5000/apps/a:1', DIG)).toBe(`reg:5000/apps/a@${DIG}`);
    expect(refByDigest(`reg:5000/apps/a@sha256:${'c'.repeat(64)}`, DIG)).toBe(`reg:5000/apps/a@${DIG}`);
    expect(refByDigest('reg:5000/apps/a', DIG)).toBe(`reg:5000/apps/a@${DIG}`);
  });
});

describe('where the monitor sends registry credentials (docs/registry.md)', () => {
  const watch = [{ registry: 'registry.example:5000', repositories: ['apps/*'], tags: ['*'], usernameEnv: 'REG_USER', passwordEnv: 'REG_PASS' }];
  const env = { REG_USER: 'robot', REG_PASS: 's3cret', SHIPSHAPE_USERNAME: 'ci', SHIPSHAPE_PASSWORD: 'ci-pass' };

  it("a watched registry gets its entry's credentials, bound to it", () => {
    expect(openOptionsFor('registry.example:5000', watch as never, { env } as never)).toMatchObject({ username: 'robot', password: 's3cret', credentialsFor: 'registry.example:5000' });
  });

  it('a registry only a running Pod names gets no explicit credentials (docker config only)', () => {
    const o = openOptionsFor('evil.example', watch as never, { env } as never);
    expect(o).toMatchObject({ credentialsFor: '' });
    expect(o).not.toHaveProperty('username');
  });
});

