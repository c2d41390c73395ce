/** `shipshape admission serve|check|certs`: the admission webhook's commands; flags, output and exit codes only. */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { ShipshapeError } from '../errors.js';
import type { RegistryOptions } from '../registry/types.js';
import { collect, parseDuration, writeOutput } from './common.js';

interface RegistryFlags {
  username?: string;
  password?: string;
  caCert?: string[];
  insecureRegistry?: string[];
  dockerConfig?: string;
}

interface ServeFlags extends RegistryFlags {
  quiet?: boolean;
  config: string;
  tlsCert: string;
  tlsKey: string;
  port: string;
  host: string;
  webhookTimeout: string;
  watchInterval: string;
}

interface CheckFlags extends RegistryFlags {
  quiet?: boolean;
  output?: string;
  config: string;
  image?: string[];
  namespace: string;
  format: string;
}

interface CertsFlags {
  quiet?: boolean;
  output?: string;
  out: string;
  service: string;
  namespace: string;
  dns?: string[];
  ip?: string[];
  days: string;
  force?: boolean;
}

function withRegistryFlags(c: Command): Command {
  return c
    .option('--username <user>', 'registry user name (also SHIPSHAPE_USERNAME)')
    .option('--password <password>', 'registry password (also SHIPSHAPE_PASSWORD)')
    .option('--ca-cert <file>', 'extra CA certificate (PEM) for registry TLS; repeatable', collect)
    .option('--insecure-registry <host>', 'reach this registry over plain HTTP; repeatable', collect)
    .option('--docker-config <file>', 'docker config.json with registry credentials (e.g. a mounted .dockerconfigjson)');
}

function registryOptions(f: RegistryFlags): RegistryOptions {
  return {
    ...(f.username ? { username: f.username } : {}),
    ...(f.password ? { password: f.password } : {}),
    caCerts: f.caCert ?? [],
    insecureRegistries: f.insecureRegistry ?? [],
    ...(f.dockerConfig ? { dockerConfig: f.dockerConfig } : {}),
  };
}

function portOf(s: string): number {
  if (!/^\d+$/.test(s) || Number(s) > 65535) throw new ShipshapeError('usage', `--port: invalid port "${s}"`);
  return Number(s);
}

export function registerAdmission(program: Command, setExit: (code: number) => void): void {
  const adm = program.command('admission').description('the Kubernetes admission webhook: serve it, check its policy, make its certificates');

  withRegistryFlags(
    adm
      .command('serve')
      .description('serve /validate, /mutate (AdmissionReview), /imagepolicy (ImageReview), /healthz, /readyz, /metrics over HTTPS')
      .requiredOption('--config <file>', 'admission policy (admission.yaml)')
      .requiredOption('--tls-cert <file>', 'serving certificate (PEM); re-read when it changes')
      .requiredOption('--tls-key <file>', 'its private key (PEM); re-read when it changes')
      .option('--port <port>', 'port to listen on', '8443')
      .option('--host <address>', 'address to listen on', '0.0.0.0')
      .option('--webhook-timeout <duration>', "the webhook configurations' timeoutSeconds; lookups stop 1 s before it", '10s')
      .option('--watch-interval <duration>', 'how often the policy, key and certificate files are checked for changes', '2s')
      .option('-q, --quiet', 'no start-up line on stderr (the request log lines stay)'),
  ).action(async (flags: ServeFlags) => {
    const { startAdmissionServer } = await import('../admission/server.js');
    // Fail at start, not on every lookup: an explicit docker config must be there.
    if (flags.dockerConfig && !existsSync(flags.dockerConfig)) throw new ShipshapeError('usage', `--docker-config: ${flags.dockerConfig} does not exist`);
    const webhookTimeoutMs = parseDuration(flags.webhookTimeout, '--webhook-timeout');
    const server = await startAdmissionServer({
      policyFile: flags.config,
      certFile: flags.tlsCert,
      keyFile: flags.tlsKey,
      port: portOf(flags.port),
      host: flags.host,
      webhookTimeoutMs,
      watchIntervalMs: parseDuration(flags.watchInterval, '--watch-interval'),
      registry: registryOptions(flags),
    });
    if (!flags.quiet) process.stderr.write(`shipshape: admission webhook listening on ${server.url}\n`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.removeListener('SIGTERM', stop);
        process.removeListener('SIGINT', stop);
        // Kubernetes sends SIGTERM, then keeps routing for a moment: finish what is in flight.
        server.close().then(resolve, resolve);
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
  });

  withRegistryFlags(
    adm
      .command('check')
      .description('validate an admission policy; with --image, decide those images as the webhook would (exit 1 when denied)')
      .requiredOption('--config <file>', 'admission policy (admission.yaml)')
      .option('--image <ref>', 'an image to decide; repeatable', collect)
      .option('--namespace <ns>', 'the namespace the images would run in', 'default')
      .option('-f, --format <format>', 'text or json', 'text')
      .option('-o, --output <file>', 'write the result to a file instead of stdout')
      .option('-q, --quiet', 'print nothing: the exit code says it'),
  ).action(async (flags: CheckFlags) => {
    const out = (text: string) => {
      if (!flags.quiet || flags.output) writeOutput(text, flags.output);
    };
    if (flags.format !== 'text' && flags.format !== 'json') throw new ShipshapeError('usage', `--format: unknown format "${flags.format}" (text or json)`);
    const { loadAdmissionPolicy, AdmissionEngine } = await import('../admission/index.js');
    const policy = loadAdmissionPolicy(flags.config);
    if (!flags.image?.length) {
      const summary = {
        policy: flags.config,
        digest: policy.global.digest,
        mode: policy.global.mode,
        trustedKeys: policy.global.trustedKeyFiles,
        namespaces: policy.namespaces.map((n) => ({ namespace: n.pattern, mode: n.policy.mode, digest: n.policy.digest })),
        exemptNamespaces: policy.exemptNamespaces,
      };
      out(
        flags.format === 'json'
          ? `${JSON.stringify(summary, null, 2)}\n`
          : `${flags.config}: valid (mode ${summary.mode}, ${summary.trustedKeys.length} trusted key(s), ${summary.namespaces.length} namespace override(s), policy ${summary.digest})\n`,
      );
      return;
    }
    const engine = new AdmissionEngine({ policy, registry: registryOptions(flags) });
    const d = await engine.decide({ namespace: flags.namespace, images: flags.image }).finally(() => engine.close());
    if (flags.format === 'json') out(`${JSON.stringify(d, null, 2)}\n`);
    else {
      const lines = d.images.map((i) => `${i.allowed ? 'ALLOW' : 'DENY '} ${i.image}${i.digest ? ` (${i.digest})` : ''}: ${i.reasons.join('; ') || 'verified'}`);
      lines.push(...d.warnings.map((w) => `warning: ${w}`));
      lines.push(d.allowed ? `admitted in namespace ${flags.namespace} (${d.mode})` : `denied in namespace ${flags.namespace} (${d.mode})`);
      out(`${lines.join('\n')}\n`);
    }
    setExit(d.allowed ? 0 : 1);
  });

  adm
    .command('certs')
    .description('make a CA and the webhook serving certificate; prints the caBundle for the webhook configurations')
    .requiredOption('--out <dir>', 'directory for ca.crt, ca.key, tls.crt, tls.key')
    .option('--service <name>', 'the webhook Service', 'shipshape-admission')
    .option('--namespace <ns>', "the webhook's namespace", 'shipshape-system')
    .option('--dns <name>', 'another DNS name for the certificate; repeatable', collect)
    .option('--ip <address>', 'an IP address for the certificate; repeatable', collect)
    .option('--days <n>', 'validity in days', '365')
    .option('--force', 'replace existing files')
    .option('-o, --output <file>', 'write the caBundle to a file instead of stdout')
    .option('-q, --quiet', 'do not list the files written on stderr')
    .action(async (flags: CertsFlags) => {
      const { makeWebhookCerts } = await import('../admission/certs.js');
      const r = await makeWebhookCerts({
        outDir: flags.out,
        service: flags.service,
        namespace: flags.namespace,
        ...(flags.dns ? { dnsNames: flags.dns } : {}),
        ...(flags.ip ? { ipAddresses: flags.ip } : {}),
        days: Number(flags.days),
        ...(flags.force ? { force: true } : {}),
      });
      if (!flags.quiet) process.stderr.write(`shipshape: wrote ${Object.values(r.files).join(', ')} for ${r.dnsNames.join(', ')}\n`);
      writeOutput(`${r.caBundle}\n`, flags.output);
    });
}
