/** What every image source (registry, OCI layout, docker archive) gives the scanner. */
import type { Readable } from 'node:stream';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export type ImageRef =
  | {
      kind: 'registry';
      /** Registry host as Docker names it: docker.io, ghcr.io, 127.0.0.1:5000 */
      registry: string;
      /** library/alpine on Docker Hub */
      repository: string;
      tag?: string;
      digest?: string;
      /** Canonical form: docker.io/library/alpine:3.20 */
      name: string;
    }
  | { kind: 'oci'; path: string; tag?: string; digest?: string; name: string }
  | { kind: 'docker-archive'; path: string; tag?: string; name: string }
  /** A CycloneDX or SPDX JSON file standing in for the image: scanned for vulnerabilities only. */
  | { kind: 'sbom'; path: string; name: string };

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
  urls?: string[];
}

export interface Manifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** The image config as the OCI image spec defines it; only what the scanner reads is typed. */
export interface ImageConfig {
  architecture?: string;
  os?: string;
  variant?: string;
  created?: string;
  author?: string;
  config?: {
    User?: string;
    Env?: string[] | null;
    Cmd?: string[] | null;
    Entrypoint?: string[] | null;
    Labels?: Record<string, string> | null;
    WorkingDir?: string;
    ExposedPorts?: Record<string, unknown> | null;
  };
  rootfs: { type: string; diff_ids: string[] };
  history?: Array<{ created?: string; created_by?: string; empty_layer?: boolean; comment?: string }>;
}

/** One layer blob of an image. */
export interface LayerBlob {
  /** Digest of the blob as stored (compressed for gzip/zstd layers). */
  digest: string;
  /** Digest of the uncompressed tar (from the config's rootfs.diff_ids): the layer's identity. */
  diffId: string;
  mediaType: string;
  /** Stored size in bytes, or -1 when unknown. */
  size: number;
  /**
   * The raw blob bytes. The stream fails with a `digest-mismatch` ShipshapeError at its end when
   * the bytes do not match `digest`, and with `too-large` when it runs past `size`.
   */
  open(): Promise<Readable>;
  /**
   * Offered by sources that can for small blobs: the whole raw blob, checked against `digest` and
   * `size` (digest-mismatch as open's stream), or undefined when the blob is not as small as its
   * descriptor says (walkLayer then takes the stream, which gives that case its errors).
   */
  readSmall?(): Promise<Buffer | undefined>;
}

/** An image opened from any source, resolved to one platform's manifest. */
export interface ImageSource {
  ref: ImageRef;
  /** Digest of the manifest that was selected (sha256:...). */
  digest: string;
  manifest: Manifest;
  /** Digest of the config blob. */
  configDigest: string;
  config: ImageConfig;
  /** Layers in order, base first. */
  layers: LayerBlob[];
  close(): Promise<void>;
}

/** One tar entry, with its path normalised to an absolute path inside the image ("/etc/os-release"). */
export interface EntryMeta {
  path: string;
  type: 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';
  mode: number;
  size: number;
  uid: number;
  gid: number;
  /** Symlink target as written, or hardlink target normalised to an absolute path. */
  linkname?: string;
}

/** Everything the scanner keeps from one layer after a single pass over it (and what the cache stores). */
export interface LayerIndex {
  digest: string;
  diffId: string;
  /** Every entry of the layer except whiteout markers, in tar order. */
  entries: EntryMeta[];
  /** Contents of the regular files (and hardlinks to them) some consumer asked for, by path. */
  files: Map<string, Buffer>;
  /** Paths deleted by `.wh.NAME` markers in this layer. */
  whiteouts: string[];
  /** Directories made opaque by `.wh..wh..opq` in this layer. */
  opaqueDirs: string[];
}

/** A squashed entry: what the final filesystem holds at a path, and which layer wrote it. */
export interface FileEntry extends EntryMeta {
  layer: string; // diffId of the layer that wrote it
}

/** Read-only view of the image's final (squashed) filesystem. */
export interface FileView {
  /** The entry at a path, without following a final symlink. */
  stat(path: string): FileEntry | undefined;
  /** The path reached by following symlinks (in every component), or undefined if it dangles. */
  resolve(path: string): string | undefined;
  /** Contents of a regular file, following symlinks and hardlinks; undefined when absent or not kept. */
  read(path: string): Buffer | undefined;
  /** Every path present in the final filesystem. */
  paths(): Iterable<string>;
  /** Names directly inside a directory. */
  list(dir: string): string[];
}

/** Options for opening an image from any source. */
export interface OpenOptions {
  /** Platform to select from an index; default: the host's. */
  platform?: Platform;
  /** Registry credentials given on the command line (override env and docker config). */
  username?: string;
  password?: string;
  /**
   * The registry that `username`/`password` and the SHIPSHAPE_* variables belong to: the registry
   * of the reference the user named. Any other registry (a base image's, a redirect's) gets only
   * what the docker config names for it. '' or unset = no registry (the image came from a file; a
   * client made without a binding). The entry points given a reference (openImage, verify, attest,
   * promote) set it to that reference's registry when unset (docs/registry.md, "Where credentials are sent").
   */
  credentialsFor?: string;
  /** Extra CA certificates (PEM file paths) trusted for registry TLS. */
  caCerts?: string[];
  /** Registry hosts (host[:port]) reached over plain HTTP. */
  insecureRegistries?: string[];
  /** Per-request timeout for registry calls, in milliseconds. */
  timeoutMs?: number;
  /** Path of the docker config file; default $DOCKER_CONFIG/config.json or ~/.docker/config.json. */
  dockerConfig?: string;
}
