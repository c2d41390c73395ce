/**
 * promote(): SRC → digest (once) → scan every platform (blob uploads staged meanwhile, uncommitted)
 * → verdict → on pass only: sign and attest (their blobs staged too), commit every blob once the
 * image's bytes are all up and verified, push manifests byte for byte by digest beside the
 * attachments', push the tag last. On a failed verdict nothing is written to DEST (docs/signatures.md).
 */
import { Readable } from 'node:stream';
import { buildAttachments } from '../attest/artifacts.js';
import { attach, attachmentBlobs, readAttachState } from '../attest/store.js';
import type { PromoteOptions, PromoteResult, PushedArtifact, SigningKey } from '../attest/types.js';
import { ShipshapeError } from '../errors.js';
import { parseRegistryReference } from '../image/reference.js';
import type { ScanReport } from '../model/index.js';
import type { ScanOptions } from '../scan/index.js';
import { RegistryClient } from '../registry/client.js';
import { namedBy } from '../registry/credentials.js';
import { getManifestIfPresent } from '../registry/referrers.js';
import { blobExists, mountBlob, putManifest, SessionPool, StagedUploads } from '../registry/upload.js';
import { openCopySource, type CopySource } from './source.js';

export { openCopySource, type CopySource } from './source.js';

/** DEST as `host[:port]/repo[:tag]`: a registry reference without a digest. */
export function parseDestination(dest: string): { registry: string; repository: string; tag?: string; name: string } {
  const ref = parseRegistryReference(dest.startsWith('docker://') ? dest.slice('docker://'.length) : dest);
  if (ref.digest) throw new ShipshapeError('usage', `DEST ${dest}: give a tag or none, not a digest (the digest is SRC's)`);
  // A bare name would mean Docker Hub: promote is for a private registry, so DEST must name its host.
  const first = dest.replace(/^docker:\/\//, '').split('/')[0]!;
  if (!dest.replace(/^docker:\/\//, '').includes('/') || !(first.includes('.') || first.includes(':') || first === 'localhost')) {
    throw new ShipshapeError('usage', `DEST ${dest}: name the registry host, e.g. registry.example.com/team/app:1.0`);
  }
  const explicitTag = /:[\w][\w.-]{0,127}$/.test(dest.slice(dest.lastIndexOf('/') + 1));
  return { registry: ref.registry, repository: ref.repository, ...(explicitTag && ref.tag ? { tag: ref.tag } : {}), name: `${ref.registry}/${ref.repository}` };
}

/** Upload sessions opened for the image's blobs before any is needed; more are opened as blobs take them. */
const MAX_SESSIONS_AHEAD = 8;

/**
 * How long the scan waits for the largest blobs to be on their way: a DEST slow to open sessions
 * does not hold up the scan (nor a failed verdict's quick answer) for longer.
 */
const FLOWING_WAIT_MS = 1000;

/** `p`, or nothing after `ms`. */
async function untilOr(p: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

function childDigests(source: CopySource): string[] {
  return source.top.kind === 'index' ? source.images.map((n) => n.digest) : [];
}

export async function promote(src: string, dest: string, opts: PromoteOptions): Promise<PromoteResult> {
  const d = parseDestination(dest);
  if (!opts.key && !opts.dryRun) throw new ShipshapeError('usage', 'promote needs a signing key (only --dry-run goes without)');
  const now = opts.now?.() ?? new Date();
  // A key still being decrypted is awaited after the scan, before the first write.
  const keyReady: Promise<SigningKey> | undefined = opts.key === undefined ? undefined : Promise.resolve(opts.key);
  keyReady?.catch(() => undefined);
  // Scan options still in the making are awaited only by what needs them: the scan, and a source
  // other than an OCI layout; DEST's reads and the uploads start meanwhile. Options made by a
  // function are asked for only then (for an OCI layout: once the largest blobs are on their way).
  let asked: Promise<ScanOptions> | undefined;
  const scanOptions = (): Promise<ScanOptions> => {
    if (!asked) {
      const scan = opts.scan;
      asked = typeof scan === 'function' ? Promise.resolve().then(scan) : Promise.resolve(scan);
      asked.catch(() => undefined);
    }
    return asked;
  };
  if (typeof opts.scan !== 'function') scanOptions();
  // Their failure (a usage error) is reported rather than one of DEST's that raced it.
  const orScanError = async (err: unknown): Promise<never> => {
    await scanOptions();
    throw err;
  };
  const source = await openCopySource(src, async () => (await scanOptions()).open ?? {}).catch(orScanError);
  // DEST gets a dozen HEADs and then uploads: its connections are kept after a HEAD (undici would
  // close each one, and the next request would connect anew).
  const client = new RegistryClient(d.registry, namedBy(d.registry, { keepAliveAfterHead: true, ...opts.registry }));
  const plan: string[] = [];
  const timeouts = opts.registry?.timeoutMs !== undefined ? { timeoutMs: opts.registry.timeoutMs } : {};
  let staged: StagedUploads<CopySource['blobs'][number]> | undefined;
  let attStaged: StagedUploads | undefined;
  let attSessions: SessionPool | undefined;
  let blobSessions: SessionPool | undefined;
  try {
    const digest = source.top.digest;
    const pinned = `${d.name}@${digest}`;
    // 1. Read DEST (nothing written): where the tag points, what the cosign tags hold, which blobs are there.
    // Each missing blob starts uploading as soon as its HEAD answers, into a session that is not
    // committed until the verdict passed (a conflict found meanwhile cancels them all).
    const heads = new Map(source.blobs.map((b) => [b.digest, blobExists(client, d.repository, b.digest)]));
    for (const h of heads.values()) h.catch(() => undefined);
    const mountFrom = source.registry && source.registry.host === d.registry && source.registry.repository !== d.repository ? source.registry.repository : undefined;
    let totalBytes = source.blobs.reduce((n, b) => n + Math.max(0, b.size), 0);
    if (!opts.dryRun && !mountFrom && source.blobs.length) {
      // Every blob's session is asked for at once, beside its HEAD; the largest blob takes the first to open.
      blobSessions = new SessionPool(client, d.repository);
      blobSessions.open(Math.min(source.blobs.length, MAX_SESSIONS_AHEAD));
      staged = new StagedUploads(client, d.repository, source.blobs, (b) => source.openBlob(b), (bytes) => opts.onProgress?.({ phase: 'upload', bytes, totalBytes }), {
        sessions: blobSessions,
        ...timeouts,
        needed: async (b) => !(await heads.get(b.digest)),
      });
      staged.start();
    }
    const present = new Set<string>();
    const [current, state] = await Promise.all([
      d.tag ? getManifestIfPresent(client, d.repository, d.tag) : undefined,
      readAttachState(client, d.repository, digest),
      ...source.blobs.map(async (b) => (await heads.get(b.digest)) && present.add(b.digest)),
    ]).catch(orScanError);
    if (current && current.digest !== digest && !opts.forceTag) {
      throw new ShipshapeError('conflict', `${d.name}:${d.tag} already points at ${current.digest}, not ${digest}: give --force-tag to move it`);
    }
    const missing = source.blobs.filter((b) => !present.has(b.digest));
    totalBytes = missing.reduce((n, b) => n + Math.max(0, b.size), 0);
    for (const b of source.blobs) {
      plan.push(`${present.has(b.digest) ? 'skip (present)' : mountFrom ? `mount from ${mountFrom}` : 'upload'} blob ${b.digest} (${b.size} bytes)`);
    }
    for (const n of source.nodes) plan.push(`push ${n.kind} ${n.digest} (${n.mediaType || 'manifest'})`);
    plan.push(`sign ${digest}; attest scan verdict and ${source.images.length} SBOM(s); store as ${state.api ? 'OCI 1.1 referrers' : `referrers tag schema + cosign ${'.sig/.att'} tags`}`);
    if (d.tag) plan.push(`tag ${d.name}:${d.tag} → ${digest}${current && current.digest !== digest ? ` (was ${current.digest})` : ''}`);

    // 2. Scan, while the uploads run; a key that fails to load stops the scan's wait at once.
    let reports: ScanReport[];
    let scanOpts: ScanOptions;
    try {
      // The scan's module loading and its reads from the layer cache hold the event loop for tens
      // of ms at a time; bytes already sending keep the registry busy meanwhile, a PATCH not yet
      // begun would wait for the scan (docs/performance.md, issue 12).
      if (!asked && staged) await untilOr(staged.flowing, FLOWING_WAIT_MS);
      const scanModule = import('./scan.js');
      scanOpts = await scanOptions();
      const { scanSource } = await scanModule;
      const scanning = scanSource(source, scanOpts, (done, total) => opts.onProgress?.({ phase: 'scan', done, total }));
      scanning.catch(() => undefined);
      reports = await (keyReady ? Promise.race([scanning, keyReady.then(() => scanning)]) : scanning);
      if (keyReady) await keyReady;
    } catch (err) {
      await staged?.cancel();
      staged = undefined;
      throw err;
    }
    const pass = reports.every((r) => r.verdict.pass);
    const reasons = reports.flatMap((r) => r.verdict.reasons.map((x) => (reports.length > 1 && r.image.platform ? `${r.image.platform}: ${x}` : x)));
    const result: PromoteResult = {
      source: src,
      destination: `${d.name}${d.tag ? `:${d.tag}` : ''}`,
      digest,
      pinned,
      verdict: pass ? 'pass' : 'fail',
      reasons,
      reports,
      dryRun: Boolean(opts.dryRun),
      copied: { blobs: { uploaded: 0, mounted: 0, skipped: present.size, bytes: 0 }, manifests: 0 },
      pushed: [],
      plan,
    };
    if (!pass || opts.dryRun) {
      await staged?.cancel();
      staged = undefined;
      return result;
    }

    // 3. Sign and attest the digest; the attachments' blobs are staged like the image's (sessions
    // not committed) while the image's bytes may still travel. Their sessions are opened now, while
    // the statements are made and signed (a guess at their number: the signature, each statement's
    // envelope and bundle, their manifests' configs); not earlier, where their POSTs would take the
    // registry's CPU from the image's first bytes, nor for a failed verdict.
    attSessions = new SessionPool(client, d.repository);
    attSessions.open(4 * (1 + source.images.length));
    const key = await keyReady!;
    opts.onProgress?.({ phase: 'sign' });
    const { statementsFor } = await import('./scan.js');
    const { statements } = await statementsFor(reports, { scan: scanOpts, platformDigests: childDigests(source), now });
    const attachments = buildAttachments(key, d.name, { mediaType: source.top.mediaType, digest, size: source.top.bytes.length }, statements, { sign: true, now });
    const attBlobs = new Map(attachmentBlobs(digest, attachments, state).map((b) => [b.desc.digest, b.data]));
    // All at once: they are small and in memory already (most go with the commit's PUT).
    attStaged = new StagedUploads(client, d.repository, [...attBlobs].map(([digest, data]) => ({ digest, size: data.length })), async (b) => Readable.from([attBlobs.get(b.digest)!]), undefined, {
      ...timeouts,
      parallel: attBlobs.size,
      ...(attSessions ? { sessions: attSessions } : {}),
    });
    attStaged.start();
    // 4. Once every image byte is at DEST and matched its digest: blobs committed (or mounted), the
    // attachments' beside them; then manifests and indexes by digest, children first, exactly the
    // bytes SRC holds (image manifests together, indexes after, in order), beside the attachments'
    // manifests (which name only their own blobs and, as subject, the digest).
    await staged?.uploaded();
    const attCommitted = attStaged.commit().then(() => (attStaged = undefined));
    // Every attachment blob has its session by now: the sessions left over go, beside the commits.
    const leftover = (async () => {
      await attStaged?.uploaded().catch(() => undefined);
      await Promise.all([attSessions?.close(), blobSessions?.close()]);
    })();
    attCommitted.catch(() => undefined);
    const imagePushed = (async () => {
      if (staged) {
        const done = await staged.commit();
        staged = undefined;
        result.copied.blobs.uploaded = done.count;
        result.copied.blobs.bytes = done.bytes;
      } else if (mountFrom) {
        for (const b of missing) {
          if (await mountBlob(client, d.repository, b.digest, mountFrom)) result.copied.blobs.mounted++;
          else {
            const up = new StagedUploads(client, d.repository, [b], (x) => source.openBlob(x), undefined, timeouts);
            up.start();
            const done = await up.commit();
            result.copied.blobs.uploaded += done.count;
            result.copied.blobs.bytes += done.bytes;
          }
        }
      }
      await Promise.all(source.nodes.filter((n) => n.kind === 'manifest').map((n) => putManifest(client, d.repository, n.digest, n.mediaType, n.bytes)));
      for (const n of source.nodes.filter((x) => x.kind === 'index')) await putManifest(client, d.repository, n.digest, n.mediaType, n.bytes);
      result.copied.manifests = source.nodes.length;
    })();
    imagePushed.catch(() => undefined);
    // 5. The tag, last: checked again (beside the attaching), since another writer may have moved it during the run.
    const [, pushed, again] = await Promise.all([
      imagePushed.then(() => leftover),
      attach(client, d.repository, digest, attachments, state, { blobs: attCommitted }),
      d.tag ? getManifestIfPresent(client, d.repository, d.tag) : undefined,
    ]);
    result.pushed.push(...pushed);
    if (d.tag) {
      if (again && again.digest !== digest && !opts.forceTag) {
        throw new ShipshapeError('conflict', `${d.name}:${d.tag} was moved to ${again.digest} during the promote: the image is at ${pinned}, the tag was left alone`);
      }
      await putManifest(client, d.repository, d.tag, source.top.mediaType, source.top.bytes);
      result.pushed.push({ kind: 'tag', digest, stored: [d.tag] });
    }
    return result;
  } finally {
    await staged?.cancel().catch(() => undefined);
    await attStaged?.cancel().catch(() => undefined);
    await attSessions?.close().catch(() => undefined);
    await blobSessions?.close().catch(() => undefined);
    await client.close();
    await source.close();
  }
}

export type { PromoteOptions, PromoteResult, PushedArtifact };
