/**
 * attest(): a new signed scan attestation (and SBOM attestations) for an image already in a
 * registry, by digest; scans it (every platform) unless given a finished report, as the monitor does.
 */
import { buildAttachments } from '../attest/artifacts.js';
import { attach, readAttachState } from '../attest/store.js';
import type { AttestOptions, AttestResult } from '../attest/types.js';
import { ShipshapeError } from '../errors.js';
import { parseRegistryReference } from '../image/reference.js';
import { RegistryClient } from '../registry/client.js';
import { namedBy } from '../registry/credentials.js';
import { scanSource, statementsFor } from './scan.js';
import { openCopySource } from './source.js';

export async function attest(image: string, opts: AttestOptions): Promise<AttestResult> {
  const ref = parseRegistryReference(image);
  const now = opts.now?.() ?? new Date();
  const client = new RegistryClient(ref.registry, namedBy(ref.registry, opts.registry ?? {}));
  try {
    const head = await client.getManifest(ref.repository, ref.digest ?? ref.tag ?? 'latest');
    const digest = head.digest;
    const pinned = `${ref.registry}/${ref.repository}@${digest}`;
    // Read before writing: a foreign .sig/.att tag stops us before anything is pushed.
    const state = await readAttachState(client, ref.repository, digest);
    let reports;
    let platformDigests: string[] = [];
    if (opts.report) {
      reports = [opts.report];
    } else {
      if (!opts.scan) throw new ShipshapeError('usage', 'attest: give a report or scan options');
      const source = await openCopySource(pinned, { ...(opts.registry ?? {}), ...(opts.scan.open ?? {}) });
      try {
        if (source.top.digest !== digest) throw new ShipshapeError('digest-mismatch', `${image}: resolved to ${digest}, then read as ${source.top.digest}`);
        platformDigests = source.top.kind === 'index' ? source.images.map((n) => n.digest) : [];
        reports = await scanSource(source, opts.scan);
      } finally {
        await source.close();
      }
    }
    const { predicate, statements } = await statementsFor(reports, {
      ...(opts.policyDigest ? { policyDigest: opts.policyDigest } : {}),
      ...(opts.scan ? { scan: opts.scan } : {}),
      ...(opts.sbom ? { sbom: opts.sbom } : {}),
      platformDigests,
      now,
    });
    const attachments = buildAttachments(opts.key, `${ref.registry}/${ref.repository}`, { mediaType: head.mediaType, digest, size: head.bytes.length }, statements, { sign: opts.sign ?? false, now });
    const pushed = await attach(client, ref.repository, digest, attachments, state);
    return { registry: ref.registry, repository: ref.repository, digest, predicate, pushed, envelope: attachments.attestations[0]!.envelope, report: reports[0]! };
  } finally {
    await client.close();
  }
}
