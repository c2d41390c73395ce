/** `shipshape promote SRC DEST --key KEY` and `shipshape attest IMAGE --key KEY`: flags, output and exit codes; the work is in src/promote. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { AttestResult, PromoteResult, SigningKey } from '../attest/types.js';
import { ShipshapeError } from '../errors.js';
import type { ScanReport } from '../model/index.js';
import type { RegistryOptions } from '../registry/types.js';
import { progressBar, progressWanted, registryOptionsFrom, warn, writeOutput } from './common.js';
import { passphraseFromEnv, passphraseFromTerminal, readPassphrase } from './passphrase.js';
import { scanSetup, withScanOptions, type ScanFlags } from './scan.js';

interface SignFlags extends ScanFlags {
  key?: string;
  destUsername?: string;
  destPassword?: string;
}

async function loadKey(file: string | undefined): Promise<SigningKey> {
  if (!file) throw new ShipshapeError('usage', 'give the signing key with --key FILE (make one with shipshape key generate)');
  const { loadSigningKey, needsPassphrase } = await import('../attest/keys.js');
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    // loadSigningKey says why in one line
  }
  // A passphrase from the environment is had without a wait: the scrypt then starts in this same turn.
  return loadSigningKey(file, needsPassphrase(text) ? (passphraseFromEnv() ?? (await readPassphrase(file))) : undefined);
}

/** Registry access for the registry written to: its own credentials (--dest-*, SHIPSHAPE_DEST_*), else the docker config's for its host. */
function destRegistry(flags: SignFlags, open: Pick<RegistryOptions, 'caCerts' | 'insecureRegistries' | 'timeoutMs'>, registry: string): RegistryOptions {
  const username = flags.destUsername ?? process.env.SHIPSHAPE_DEST_USERNAME;
  const password = flags.destPassword ?? process.env.SHIPSHAPE_DEST_PASSWORD;
  // SHIPSHAPE_USERNAME/PASSWORD name SRC's registry (as for scan): DEST does not read them.
  const { SHIPSHAPE_USERNAME: _u, SHIPSHAPE_PASSWORD: _p, SHIPSHAPE_REGISTRY_TOKEN: _t, ...env } = process.env;
  return {
    ...(open.caCerts ? { caCerts: open.caCerts } : {}),
    ...(open.insecureRegistries ? { insecureRegistries: open.insecureRegistries } : {}),
    ...(open.timeoutMs !== undefined ? { timeoutMs: open.timeoutMs } : {}),
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    credentialsFor: registry,
    env,
  };
}

function withDestOptions(c: Command): Command {
  return c
    .option('-k, --key <file>', 'signing key (cosign format, PKCS#8 or SEC1 PEM; passphrase from SHIPSHAPE_KEY_PASSWORD or the terminal); not needed with --dry-run')
    .option('--dest-username <user>', 'user name for the registry written to (also SHIPSHAPE_DEST_USERNAME; else the docker config)')
    .option('--dest-password <password>', 'password for the registry written to (also SHIPSHAPE_DEST_PASSWORD)');
}

/** Report outputs of several platforms: FILE becomes FILE with the platform before its extension. */
function writeReports(outputs: Array<{ reporter: { render(r: ScanReport): string }; file?: string }>, reports: ScanReport[]): void {
  for (const o of outputs) {
    for (const r of reports) {
      let file = o.file;
      if (file && file !== '-' && reports.length > 1) {
        const ext = path.extname(file);
        file = `${file.slice(0, file.length - ext.length)}.${(r.image.platform ?? 'unknown').replace(/\//g, '-')}${ext}`;
      }
      writeOutput(o.reporter.render(r), file);
    }
  }
}

/** `--format json` alone on stdout means "what was pushed"; FORMAT=FILE and other formats are scan reports. */
function splitJson(formats: string[] | undefined, output: string | undefined): { resultJson: boolean; formats: string[] | undefined } {
  const list = formats ?? [];
  const bare = list.includes('json') && (!output || output === '-');
  return { resultJson: bare, formats: bare ? list.filter((f) => f !== 'json') : formats };
}

function mb(n: number): string {
  return `${(n / 1e6).toFixed(1)} MB`;
}

export function registerPromote(program: Command, setExit: (code: number) => void): void {
  const cmd = program
    .command('promote')
    .description('scan SRC and, only if it passes, copy it by digest to DEST, signed and attested (nothing is written to DEST on a failed verdict)')
    .argument('<src>', 'any image scan reads: host/repo:tag, host/repo@sha256:…, oci:DIR[:TAG], docker-archive:FILE[:TAG]')
    .argument('<dest>', 'host[:port]/repo[:tag] in the private registry');
  withDestOptions(withScanOptions(cmd))
    .option('--dry-run', 'scan and print the plan; push nothing')
    .option('--force-tag', "move DEST's tag when it points at another digest")
    .action(async (src: string, dest: string, flags: SignFlags & { dryRun?: boolean; forceTag?: boolean }, c: Command) => {
      const { resultJson, formats } = splitJson(flags.format, flags.output);
      // The key (cosign's scrypt: a few hundred ms) is decrypted beside the scan; promote() waits for it
      // before writing anything. A passphrase asked at the terminal is asked first, before any progress bar.
      const keyLoad = flags.dryRun && !flags.key ? undefined : loadKey(flags.key);
      keyLoad?.catch(() => undefined);
      // Scan setup (reporters, policy, scan options: module loading that holds the event loop) is
      // made when promote() asks for it, after DEST's first requests went out.
      let setupReady: ReturnType<typeof scanSetup> | undefined;
      const setup = () => {
        if (!setupReady) {
          setupReady = scanSetup({ ...flags, ...(formats ? { format: formats.length ? formats : ['table'] } : {}) }, c);
          setupReady.catch(() => undefined);
        }
        return setupReady;
      };
      const [key, { promote, parseDestination }] = await Promise.all([keyLoad && passphraseFromTerminal() ? keyLoad : undefined, import('../promote/index.js')]);
      const d = parseDestination(dest);
      const bar = progressWanted(flags.quiet) ? progressBar('promote') : null;
      let scanText = '';
      let upText = '';
      const r: PromoteResult = await promote(src, dest, {
        ...(key ? { key } : keyLoad ? { key: keyLoad } : {}),
        scan: async () => (await setup()).options,
        registry: destRegistry(flags, registryOptionsFrom(flags), d.registry),
        dryRun: flags.dryRun ?? false,
        forceTag: flags.forceTag ?? false,
        ...(bar
          ? {
              onProgress: (e) => {
                if (e.phase === 'scan') scanText = `layers ${e.done}/${e.total}`;
                if (e.phase === 'upload') upText = `uploaded ${mb(e.bytes)}/${mb(e.totalBytes)}`;
                bar.update(e.phase === 'upload' ? e.bytes : 0, e.phase === 'upload' ? e.totalBytes : 0, [scanText, upText, e.phase === 'sign' ? 'signing' : ''].filter(Boolean).join(' · '));
              },
            }
          : {}),
      });
      bar?.end();
      const { outputs: planned, exitCode } = await setup();
      const outputs = resultJson && !formats?.length ? [] : planned;
      for (const rep of r.reports) for (const w of rep.warnings) warn(`${w.path ? `${w.path}: ` : ''}${w.message}`, flags.quiet);
      writeReports(outputs, r.reports);
      if (resultJson) {
        const { reports: _r, ...rest } = r;
        writeOutput(`${JSON.stringify({ ...rest, reports: r.reports.map((x) => ({ platform: x.image.platform ?? null, digest: x.image.digest, verdict: x.verdict })) }, null, 2)}\n`, undefined);
      }
      if (r.verdict === 'fail') {
        process.stderr.write(`shipshape: verdict fail: nothing written to ${r.destination}\n`);
        setExit(exitCode);
        return;
      }
      if (r.dryRun) {
        process.stderr.write(`${r.plan.map((l) => `plan: ${l}`).join('\n')}\n`);
        if (!resultJson) process.stdout.write(`${r.pinned} (dry run: nothing pushed)\n`);
        return;
      }
      if (!flags.quiet) {
        const b = r.copied.blobs;
        process.stderr.write(`shipshape: copied ${b.uploaded} blobs (${mb(b.bytes)}), mounted ${b.mounted}, skipped ${b.skipped}; ${r.copied.manifests} manifests; signed and attested (${r.pushed.filter((p) => p.kind !== 'tag').length} artifacts)\n`);
      }
      if (!resultJson) process.stdout.write(`${r.pinned}\n`);
      setExit(0);
    });
}

export function registerAttest(program: Command, setExit: (code: number) => void): void {
  const cmd = program
    .command('attest')
    .description('scan a registry image and attach a new signed scan attestation (and SBOM attestations) to its digest')
    .argument('<image>', 'host[:port]/repo:tag or host[:port]/repo@sha256:…');
  withDestOptions(withScanOptions(cmd))
    .option('--sign', 'also attach a cosign signature')
    .option('--bundle <file>', 'also write the scan attestation as a Sigstore bundle v0.3 (DSSE, public key)')
    .action(async (image: string, flags: SignFlags & { sign?: boolean; bundle?: string }, c: Command) => {
      const { resultJson, formats } = splitJson(flags.format, flags.output);
      const { parseRegistryReference } = await import('../image/reference.js');
      const ref = parseRegistryReference(image);
      const [setup, key, { attest }] = await Promise.all([
        scanSetup({ ...flags, ...(formats ? { format: formats.length ? formats : ['table'] } : {}) }, c),
        loadKey(flags.key),
        import('../promote/attest.js'),
      ]);
      const outputs = resultJson && !formats?.length ? [] : setup.outputs;
      const bar = progressWanted(flags.quiet) ? progressBar('layers') : null;
      const r: AttestResult = await attest(image, {
        key,
        // The image's registry is read and written: --username/--password serve both, --dest-* override for writing.
        registry: flags.destUsername || process.env.SHIPSHAPE_DEST_USERNAME ? destRegistry(flags, setup.options.open ?? {}, ref.registry) : { ...setup.options.open, credentialsFor: ref.registry },
        scan: { ...setup.options, ...(bar ? { onLayer: (done: number, total: number) => bar.update(done, total) } : {}) },
        sign: flags.sign ?? false,
      });
      bar?.end();
      for (const w of r.report.warnings) warn(`${w.path ? `${w.path}: ` : ''}${w.message}`, flags.quiet);
      writeReports(outputs, [r.report]);
      if (flags.bundle) {
        const { toBundle } = await import('../attest/bundle.js');
        writeOutput(`${JSON.stringify(toBundle(r.envelope, key.keyId))}\n`, flags.bundle);
      }
      if (resultJson) {
        const { report: _r, envelope: _e, ...rest } = r;
        writeOutput(`${JSON.stringify(rest, null, 2)}\n`, undefined);
      } else process.stdout.write(`${r.registry}/${r.repository}@${r.digest}\n`);
      if (!flags.quiet) process.stderr.write(`shipshape: attested ${r.digest}: verdict ${r.predicate.verdict} (${r.pushed.length} artifacts pushed)\n`);
      setExit(r.predicate.verdict === 'pass' ? 0 : setup.exitCode);
    });
}
