/** Types of signing, attestation and verification: the contract promote, admission and monitor share (notes/CONTRACT.md). */
import type { KeyObject } from 'node:crypto';
import type { RegistryOptions } from '../registry/types.js';
import type { RegistryPool } from '../registry/pool.js';
import type { ScanReport, Severity } from '../model/index.js';
import type { ScanOptions } from '../scan/index.js';

export const SCAN_PREDICATE_TYPE = 'https://shipshape.dev/attestations/scan/v1';
export const CYCLONEDX_PREDICATE_TYPE = 'https://cyclonedx.org/bom';

/** The scan predicate (in-toto v1 statement, DSSE envelope). */
export interface ScanPredicate {
  verdict: 'pass' | 'fail';
  reasons: string[]; // why it failed (empty on pass)
  policyDigest: string; // sha256:… of the canonical policy inputs
  db: { builtAt: string; digest: string } | null;
  scanner: { name: 'shipshape'; version: string };
  counts: Record<Severity, number>; // findings (not suppressed) by severity
  findings: string[]; // finding ids (not suppressed)
  suppressed: Array<{ id: string; reason: string }>;
  scannedAt: string; // RFC 3339
}

export interface VerifyOptions {
  /** Trusted public keys, PEM text (PKIX "PUBLIC KEY"); a signature by any of them counts. */
  keys: string[];
  /** Require a cosign signature on the digest (default true). */
  requireSignature?: boolean;
  /** Require a scan attestation (default true). */
  requireAttestation?: boolean;
  /** Newest valid scan attestation must be at most this old. */
  maxAgeMs?: number;
  /** Its verdict must be 'pass'. */
  requirePass?: boolean;
  registry?: RegistryOptions;
  /** Registry clients to reuse across calls (a server's); default a client of the call's own, closed at its end. */
  pool?: RegistryPool;
  now?: () => Date;
}

export interface VerifiedAttestation {
  predicateType: string;
  digest: string; // digest of the attestation manifest or envelope
  keyId: string; // which trusted key verified it (sha256 of the key's DER, hex)
  predicate: ScanPredicate;
  ageMs: number;
  /** The envelope that verified (for `verify --format sigstore-bundle`). */
  envelope?: DsseEnvelope;
}

export interface VerifyResult {
  /** The image as asked, and what it resolved to. */
  reference: string;
  registry: string;
  repository: string;
  digest: string; // sha256:… of the image manifest / index
  verified: boolean; // every requirement met
  reasons: string[]; // one line per unmet requirement, naming it
  signature: { found: boolean; valid: boolean; keyId?: string };
  attestation?: VerifiedAttestation; // the newest valid scan attestation, when one was found
}

/** An ECDSA P-256 signing key, loaded and decrypted (attest/keys.ts). Never printed or logged. */
export interface SigningKey {
  /** The private key; a KeyObject so its bytes never sit in a plain string. */
  privateKey: KeyObject;
  /** PKIX "PUBLIC KEY" PEM of the matching public key. */
  publicKeyPem: string;
  /** sha256 of the public key's DER, hex. */
  keyId: string;
}

/** What `attest()` is given. */
export interface AttestOptions {
  key: SigningKey;
  registry?: RegistryOptions;
  /** A finished report: no scan is run (the monitor passes one re-matched from a stored SBOM). */
  report?: ScanReport;
  /** A CycloneDX SBOM to attest too (default: one made from the report's packages). */
  sbom?: object;
  /** How to scan when no report is given. */
  scan?: ScanOptions;
  /** Also attach a cosign signature (default false: `attest` adds attestations only). */
  sign?: boolean;
  /** Digest of the policy inputs (default: computed from the scan options' policy). */
  policyDigest?: string;
  now?: () => Date;
}

/** One thing pushed to a registry: what it is and the digest it has there. */
export interface PushedArtifact {
  kind: 'signature' | 'attestation' | 'sbom-attestation' | 'referrers-index' | 'tag';
  /** Digest of the manifest pushed (for a DSSE-in-referrer attestation: the referrer manifest). */
  digest: string;
  /** Where it is found: 'referrers' (OCI 1.1 subject) or the tag it went under. */
  stored: string[];
  predicateType?: string;
}

export interface AttestResult {
  registry: string;
  repository: string;
  /** The image digest the statements name. */
  digest: string;
  predicate: ScanPredicate;
  pushed: PushedArtifact[];
  /** The signed scan attestation as a DSSE envelope (for `--bundle`). */
  envelope: DsseEnvelope;
  report: ScanReport;
}

export interface PromoteOptions {
  /**
   * Needed unless dryRun. A promise is awaited only once the scan is done (its failure still
   * stops the promote before anything is written), so a key's scrypt runs beside the scan.
   */
  key?: SigningKey | Promise<SigningKey>;
  /**
   * How SRC is opened and scanned (database, cache, policy, registry access). A promise lets DEST's
   * reads and the uploads start while a caller still prepares them; a function is called when they
   * are needed (a registry or archive SRC: at once; an OCI layout: once its largest blobs are on
   * their way to DEST), so that making them does not hold up DEST's first requests. Their failure
   * stops the promote before anything is written, and is the error reported.
   */
  scan: ScanOptions | Promise<ScanOptions> | (() => Promise<ScanOptions>);
  /** Access to DEST (credentials come from its host; never SRC's). */
  registry?: RegistryOptions;
  dryRun?: boolean;
  /** Overwrite DEST's tag when it points at another digest. */
  forceTag?: boolean;
  onProgress?: (event: PromoteProgress) => void;
  now?: () => Date;
}

export type PromoteProgress =
  | { phase: 'scan'; done: number; total: number }
  | { phase: 'upload'; bytes: number; totalBytes: number }
  | { phase: 'sign' };

export interface PromoteResult {
  source: string;
  destination: string; // host/repo[:tag]
  /** The digest at SRC, which is the digest at DEST. */
  digest: string;
  /** `DEST@sha256:…`. */
  pinned: string;
  verdict: 'pass' | 'fail';
  reasons: string[];
  /** One report per platform scanned. */
  reports: ScanReport[];
  dryRun: boolean;
  /** Blobs uploaded, mounted or already present; manifests pushed. */
  copied: { blobs: { uploaded: number; mounted: number; skipped: number; bytes: number }; manifests: number };
  pushed: PushedArtifact[];
  /** What --dry-run would do, or did. */
  plan: string[];
}

/** A DSSE envelope (https://github.com/secure-systems-lab/dsse/blob/master/envelope.md). */
export interface DsseEnvelope {
  payloadType: string;
  payload: string; // base64
  signatures: Array<{ keyid: string; sig: string }>;
}

/** An in-toto v1 statement (https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md). */
export interface InTotoStatement<P = unknown> {
  _type: 'https://in-toto.io/Statement/v1';
  subject: Array<{ name: string; digest: Record<string, string> }>;
  predicateType: string;
  predicate: P;
}
