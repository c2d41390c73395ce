/** `shipshape verify IMAGE --key PUB`: exit 0 verified, 1 not verified (each reason named), 2 errors. */
import type { Command } from 'commander';
import { ShipshapeError } from '../errors.js';
import { collect, parseDuration, registryOptionsFrom, withRegistryOptions, writeOutput, type ImageFlags } from './common.js';

interface VerifyFlags extends Omit<ImageFlags, 'cache'> {
  key?: string[];
  maxAge?: string;
  requirePass?: boolean;
  signature?: boolean;
  attestation?: boolean;
  format: string;
  output?: string;
}

const FORMATS = ['table', 'json', 'sigstore-bundle'];

export function registerVerify(program: Command, setExit: (code: number) => void): void {
  const cmd = program
    .command('verify')
    .description('check that a registry image is signed and attested as scanned by a trusted key (by digest: referrers, then cosign tags)')
    .argument('<image>', 'host[:port]/repo:tag or host[:port]/repo@sha256:…')
    .option('-k, --key <file>', 'trusted public key (PEM); repeatable, any of them counts', collect)
    .option('--max-age <duration>', 'the newest scan attestation must be at most this old (e.g. 7d)')
    .option('--require-pass', "the attestation's scan verdict must be pass")
    .option('--no-signature', 'do not require a cosign signature')
    .option('--no-attestation', 'do not require a scan attestation')
    .option('-f, --format <format>', 'table, json, or sigstore-bundle (the verified attestation as a Sigstore bundle v0.3)', 'table')
    .option('-o, --output <file>', 'write the result to a file instead of stdout');
  withRegistryOptions(cmd).action(async (image: string, flags: VerifyFlags) => {
    if (!flags.key?.length) throw new ShipshapeError('usage', 'verify: give at least one --key PUBLIC_KEY');
    if (!FORMATS.includes(flags.format)) throw new ShipshapeError('usage', `--format: unknown format "${flags.format}" (one of: ${FORMATS.join(', ')})`);
    const maxAgeMs = flags.maxAge !== undefined ? parseDuration(flags.maxAge, '--max-age') : undefined;
    const [{ verify }, { loadPublicKeys }] = await Promise.all([import('../attest/verify.js'), import('../attest/keys.js')]);
    const keys = await loadPublicKeys(flags.key);
    const r = await verify(image, {
      keys,
      requireSignature: flags.signature !== false,
      requireAttestation: flags.attestation !== false,
      ...(maxAgeMs !== undefined ? { maxAgeMs } : {}),
      ...(flags.requirePass ? { requirePass: true } : {}),
      registry: registryOptionsFrom(flags),
    });
    if (flags.format === 'json') {
      const { envelope: _e, ...att } = r.attestation ?? ({} as NonNullable<typeof r.attestation>);
      writeOutput(`${JSON.stringify({ ...r, ...(r.attestation ? { attestation: att } : {}) }, null, 2)}\n`, flags.output);
    } else if (flags.format === 'sigstore-bundle') {
      if (!r.attestation?.envelope) throw new ShipshapeError('not-found', `${image}: no valid scan attestation to write as a bundle`);
      const { toBundle } = await import('../attest/bundle.js');
      writeOutput(`${JSON.stringify(toBundle(r.attestation.envelope, r.attestation.keyId))}\n`, flags.output);
    } else {
      const { formatAge, countsText } = await import('../attest/verify.js');
      const lines = [`image        ${r.registry}/${r.repository}@${r.digest}`];
      lines.push(`signature    ${r.signature.valid ? `valid (key ${r.signature.keyId!.slice(0, 12)})` : r.signature.found ? 'found, not valid' : 'none'}`);
      const a = r.attestation;
      lines.push(
        a
          ? `attestation  ${a.predicate.verdict}, ${formatAge(a.ageMs)} old (scanned ${a.predicate.scannedAt}), ${countsText(a.predicate.counts)}, key ${a.keyId.slice(0, 12)}`
          : 'attestation  none valid',
      );
      lines.push(r.verified ? 'verified' : `NOT VERIFIED:\n${r.reasons.map((x) => `  - ${x}`).join('\n')}`);
      writeOutput(`${lines.join('\n')}\n`, flags.output);
    }
    if (!r.verified && flags.format !== 'table') for (const x of r.reasons) process.stderr.write(`shipshape: not verified: ${x}\n`);
    setExit(r.verified ? 0 : 1);
  });
}
