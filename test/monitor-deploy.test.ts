/** deploy/monitor: the manifests build with kustomize, name the objects the issue asks for, and run commands and flags the CLI has. */
import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { runCli } from './helpers/cli.js';
import { repoRoot } from './helpers/shared.js';

const dir = path.join(repoRoot, 'deploy', 'monitor');
const kubectl = spawnSync('sh', ['-c', 'command -v kubectl'], { stdio: 'ignore' }).status === 0;

describe('deploy/monitor', () => {
  const docs = readdirSync(dir)
    .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
    .flatMap((f) => parseAllDocuments(readFileSync(path.join(dir, f), 'utf8')).map((d) => d.toJS() as { kind: string; metadata: { name: string }; spec?: any }));

  it('serve Deployment, worker Deployment with replicas, a CronJob, the Secret, a NetworkPolicy', () => {
    const kinds = docs.map((d) => `${d.kind}/${d.metadata.name}`).sort();
    expect(kinds).toEqual(expect.arrayContaining(['ConfigMap/shipshape-monitor', 'CronJob/shipshape-monitor-rescan', 'Deployment/shipshape-monitor', 'Deployment/shipshape-monitor-worker', 'NetworkPolicy/shipshape-monitor', 'Secret/shipshape-monitor', 'Service/shipshape-monitor']));
    expect(docs.find((d) => d.metadata.name === 'shipshape-monitor-worker')!.spec.replicas).toBeGreaterThan(1);
  });

  it.skipIf(!kubectl)('kubectl kustomize builds them', () => {
    const out = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8' });
    expect(out).toMatch(/kind: CronJob/);
  });

  it('every container runs a monitor command with flags the CLI knows; the config in the ConfigMap parses', async () => {
    const pods = docs.flatMap((d) => d.spec?.template?.spec?.containers ?? d.spec?.jobTemplate?.spec?.template?.spec?.containers ?? []) as Array<{ args: string[] }>;
    expect(pods.length).toBe(3);
    for (const c of pods) {
      expect(c.args[0]).toBe('monitor');
      const help = await runCli(['monitor', c.args[1]!, '--help']);
      for (const flag of c.args.filter((a) => a.startsWith('--'))) expect(help.stdout, `${c.args[1]} ${flag}`).toContain(flag);
    }
    const { parseConfig } = await import('../src/monitor/config.js');
    const cm = docs.find((d) => d.kind === 'ConfigMap') as unknown as { data: Record<string, string> };
    expect(parseConfig(cm.data['monitor.yaml']!, 'monitor.yaml').watch).toHaveLength(1);
  });
});
