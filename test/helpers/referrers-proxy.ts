/**
 * An OCI 1.1 referrers API in front of a registry that lacks it (Distribution 2.8): a loopback HTTP
 * proxy that passes every request through, remembers manifests pushed with a `subject`, answers
 * `GET /v2/<name>/referrers/<digest>` as the distribution spec 1.1 says (an image index, filtered
 * by ?artifactType=), and sets `OCI-Subject` on such pushes. It can also cut a request body off
 * after N bytes, to test uploads interrupted midway.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReferrersProxy {
  /** 127.0.0.1:PORT (plain HTTP). */
  host: string;
  /** Every request seen: method and path. */
  log: Array<{ method: string; path: string }>;
  /** Cut the connection of the next request matching `match` after `afterBytes` bytes of its body. */
  cutNext(match: (method: string, path: string) => boolean, afterBytes: number): void;
  stop(): Promise<void>;
}

interface Referrer {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

export async function startReferrersProxy(backend: string, opts: { referrers?: boolean } = {}): Promise<ReferrersProxy> {
  const referrers = new Map<string, Referrer[]>();
  const log: ReferrersProxy['log'] = [];
  let cut: { match: (m: string, p: string) => boolean; afterBytes: number } | undefined;
  const api = opts.referrers ?? true;

  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    const method = req.method ?? 'GET';
    log.push({ method, path: url });
    const ref = /^\/v2\/(.+)\/referrers\/(sha256:[a-f0-9]{64})(\?.*)?$/.exec(url);
    if (api && ref && method === 'GET') {
      const want = new URLSearchParams(ref[3]?.slice(1) ?? '').get('artifactType');
      const list = (referrers.get(`${ref[1]}@${ref[2]}`) ?? []).filter((r) => !want || r.artifactType === want);
      const body = JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: list });
      res.writeHead(200, { 'content-type': 'application/vnd.oci.image.index.v1+json', ...(want ? { 'oci-filters-applied': 'artifactType' } : {}) });
      res.end(body);
      return;
    }
    const cutThis = cut && cut.match(method, url) ? cut : undefined;
    if (cutThis) cut = undefined;
    const manifestPut = method === 'PUT' && /^\/v2\/(.+)\/manifests\/([^/?]+)$/.exec(url);
    const chunks: Buffer[] = [];
    const up = http.request({ host: backend.split(':')[0], port: Number(backend.split(':')[1]), method, path: url, headers: req.headers }, (ures) => {
      const headers = { ...ures.headers };
      if (manifestPut && ures.statusCode === 201) {
        const body = Buffer.concat(chunks);
        try {
          const doc = JSON.parse(body.toString('utf8')) as { subject?: { digest: string }; artifactType?: string; config?: { mediaType?: string }; annotations?: Record<string, string>; mediaType?: string };
          if (doc.subject && api) {
            const key = `${manifestPut[1]}@${doc.subject.digest}`;
            const digest = `sha256:${createHash('sha256').update(body).digest('hex')}`;
            const list = referrers.get(key) ?? [];
            if (!list.some((r) => r.digest === digest)) {
              list.push({
                mediaType: doc.mediaType ?? 'application/vnd.oci.image.manifest.v1+json',
                digest,
                size: body.length,
                artifactType: doc.artifactType ?? doc.config?.mediaType,
                ...(doc.annotations ? { annotations: doc.annotations } : {}),
              });
            }
            referrers.set(key, list);
            headers['oci-subject'] = doc.subject.digest;
          }
        } catch {
          // not JSON: the backend judged it
        }
      }
      res.writeHead(ures.statusCode ?? 502, headers);
      ures.pipe(res);
    });
    up.on('error', () => res.destroy());
    let seen = 0;
    req.on('data', (c: Buffer) => {
      if (manifestPut) chunks.push(c);
      seen += c.length;
      if (cutThis && seen >= cutThis.afterBytes) {
        up.destroy();
        req.socket.destroy();
        return;
      }
      up.write(c);
    });
    req.on('end', () => up.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    host,
    log,
    cutNext(match, afterBytes) {
      cut = { match, afterBytes };
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
