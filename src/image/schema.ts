/**
 * Schemas and media types of the documents images are made of, validated on every read.
 * Specs: https://github.com/opencontainers/image-spec/blob/main/manifest.md, image-index.md,
 * config.md; Docker schema 2: https://distribution.github.io/distribution/spec/manifest-v2-2/
 */
import { z } from 'zod';
import { ShipshapeError } from '../errors.js';
import type { Descriptor, ImageConfig, Manifest, Platform } from './types.js';

export const MediaType = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar',
  ociLayerGzip: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociLayerZstd: 'application/vnd.oci.image.layer.v1.tar+zstd',
  ociLayerNondist: 'application/vnd.oci.image.layer.nondistributable.v1.tar',
  ociLayerNondistGzip: 'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayerGzip: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  dockerLayerForeign: 'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip',
} as const;

export const INDEX_MEDIA_TYPES: readonly string[] = [MediaType.ociIndex, MediaType.dockerManifestList];
export const MANIFEST_MEDIA_TYPES: readonly string[] = [MediaType.ociManifest, MediaType.dockerManifest];
export const LAYER_MEDIA_TYPES: readonly string[] = [
  MediaType.ociLayer,
  MediaType.ociLayerGzip,
  MediaType.ociLayerZstd,
  MediaType.ociLayerNondist,
  MediaType.ociLayerNondistGzip,
  MediaType.dockerLayerGzip,
  MediaType.dockerLayerForeign,
  'application/vnd.docker.image.rootfs.diff.tar', // docker-archive layers, uncompressed
];
/** Accept header for manifest requests: every manifest and index type we read. */
export const MANIFEST_ACCEPT = [...MANIFEST_MEDIA_TYPES, ...INDEX_MEDIA_TYPES].join(', ');

const digestString = z.string().regex(/^sha(256:[a-f0-9]{64}|512:[a-f0-9]{128})$/, 'invalid digest');

const platformSchema = z.object({
  os: z.string(),
  architecture: z.string(),
  variant: z.string().optional(),
  'os.version': z.string().optional(),
});

const descriptorSchema = z.object({
  mediaType: z.string(),
  digest: digestString,
  size: z.number().int().nonnegative(),
  annotations: z.record(z.string()).optional(),
  platform: platformSchema.optional(),
  urls: z.array(z.string()).optional(),
});

const manifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
  annotations: z.record(z.string()).optional(),
});

const indexSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(descriptorSchema),
  annotations: z.record(z.string()).optional(),
});

const configSchema = z
  .object({
    architecture: z.string().optional(),
    os: z.string().optional(),
    variant: z.string().optional(),
    created: z.string().optional(),
    author: z.string().optional(),
    config: z
      .object({
        User: z.string().optional(),
        Env: z.array(z.string()).nullable().optional(),
        Cmd: z.array(z.string()).nullable().optional(),
        Entrypoint: z.array(z.string()).nullable().optional(),
        Labels: z.record(z.string()).nullable().optional(),
        WorkingDir: z.string().optional(),
        ExposedPorts: z.record(z.unknown()).nullable().optional(),
      })
      .passthrough()
      .nullable()
      .optional(),
    rootfs: z.object({ type: z.string(), diff_ids: z.array(digestString) }),
    history: z
      .array(
        z
          .object({
            created: z.string().optional(),
            created_by: z.string().optional(),
            empty_layer: z.boolean().optional(),
            comment: z.string().optional(),
          })
          .passthrough(),
      )
      .optional(),
  })
  .passthrough();

export interface Index {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

function parseJson(bytes: Buffer | string, what: string): unknown {
  try {
    return JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch (err) {
    throw new ShipshapeError('bad-image', `${what}: not valid JSON (${(err as Error).message})`, { cause: err });
  }
}

function check<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const where = issue.path.length ? ` at ${issue.path.join('.')}` : '';
    throw new ShipshapeError('bad-image', `${what}: ${issue.message}${where}`);
  }
  return r.data;
}

/** The kind of a manifest-or-index document: by its mediaType field, else by its shape. */
export function documentKind(doc: unknown, headerMediaType?: string): 'index' | 'manifest' | 'unknown' {
  const mt = (doc as { mediaType?: string })?.mediaType ?? headerMediaType;
  if (mt && INDEX_MEDIA_TYPES.includes(mt)) return 'index';
  if (mt && MANIFEST_MEDIA_TYPES.includes(mt)) return 'manifest';
  if (mt) return 'unknown';
  if (doc && typeof doc === 'object' && Array.isArray((doc as { manifests?: unknown }).manifests)) return 'index';
  if (doc && typeof doc === 'object' && 'config' in doc && 'layers' in doc) return 'manifest';
  return 'unknown';
}

export function parseIndex(bytes: Buffer | string, what = 'image index'): Index {
  return check(indexSchema, parseJson(bytes, what), what) as Index;
}

/** Parses a manifest and checks that every layer has a media type we can read. */
export function parseManifest(bytes: Buffer | string, what = 'image manifest'): Manifest {
  const m = check(manifestSchema, parseJson(bytes, what), what) as Manifest;
  if (m.mediaType && !MANIFEST_MEDIA_TYPES.includes(m.mediaType)) {
    throw new ShipshapeError('unsupported-media-type', `${what}: unsupported media type ${m.mediaType}`);
  }
  for (const l of m.layers) {
    if (!LAYER_MEDIA_TYPES.includes(l.mediaType)) {
      throw new ShipshapeError('unsupported-media-type', `${what}: layer ${l.digest} has unsupported media type ${l.mediaType}`);
    }
  }
  return m;
}

export function parseConfig(bytes: Buffer | string, what = 'image config'): ImageConfig {
  return check(configSchema, parseJson(bytes, what), what) as ImageConfig;
}

/** The host's platform in OCI terms (linux/amd64 on x86_64). */
export function hostPlatform(): Platform {
  const arch: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };
  return { os: 'linux', architecture: arch[process.arch] ?? process.arch, ...(process.arch === 'arm64' ? { variant: 'v8' } : {}) };
}

/** Parses `linux/arm64/v8`, `linux/amd64`, `arm64`. */
export function parsePlatform(s: string): Platform {
  const parts = s.split('/');
  if (parts.length === 1 && parts[0]) return { os: 'linux', architecture: parts[0] };
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !p)) {
    throw new ShipshapeError('usage', `invalid platform "${s}": expected os/arch[/variant], e.g. linux/amd64`);
  }
  return { os: parts[0]!, architecture: parts[1]!, ...(parts[2] ? { variant: parts[2] } : {}) };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** Picks the manifest for a platform from an index; arm64 without variant matches v8. */
export function selectPlatform(index: Index, want: Platform, what: string): Descriptor {
  const norm = (p: Platform) => ({
    os: p.os,
    architecture: p.architecture,
    variant: p.variant ?? (p.architecture === 'arm64' ? 'v8' : undefined),
  });
  const w = norm(want);
  const candidates = index.manifests.filter((d) => d.platform);
  const hit =
    candidates.find((d) => {
      const p = norm(d.platform!);
      return p.os === w.os && p.architecture === w.architecture && (!w.variant || p.variant === w.variant);
    }) ?? candidates.find((d) => d.platform!.os === w.os && d.platform!.architecture === w.architecture);
  if (!hit) {
    const have = candidates.map((d) => formatPlatform(d.platform!)).join(', ') || 'none';
    throw new ShipshapeError('not-found', `${what}: no manifest for platform ${formatPlatform(want)} (available: ${have})`);
  }
  return hit;
}
