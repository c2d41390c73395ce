/** Runs the image source conformance suite over every file-based kind: OCI layout, docker archive (classic and OCI form). */
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  corruptOciBlob,
  writeDockerArchive,
  writeOciLayout,
  type ArchiveMember,
  type BuiltImage,
} from '../../test/helpers/image-builder.js';
import { imageSourceSuite, type Damage } from './source.case.js';

const flip = (b: Buffer) => {
  const c = Buffer.from(b);
  c[c.length >> 1]! ^= 0xff;
  return c;
};
const tagPart = (t: string) => t.slice(t.lastIndexOf(':') + 1);

imageSourceSuite({
  name: 'oci-layout',
  blobDigests: () => true,
  hasMediaTypes: true,
  tagsPerImage: false,
  wrongSchema: '{"schemaVersion": 2, "manifests": "none"}',
  async write(dir, images, { tags, damage }) {
    const single = images.length === 1;
    writeOciLayout(dir, single ? images[0]! : images, { tag: single ? tagPart(tags[0]!) : 'latest' });
    const img = images[0]!;
    if (damage?.kind === 'corrupt-blob') corruptOciBlob(dir, img.layers[damage.layer]!.digest, flip);
    if (damage?.kind === 'missing-blob') rmSync(path.join(dir, 'blobs/sha256', img.layers[damage.layer]!.digest.slice(7)));
    if (damage?.kind === 'corrupt-config') corruptOciBlob(dir, img.config.digest, (b) => Buffer.from(b.toString().replace('"os"', '"OS"')));
    if (damage?.kind === 'top-document') writeFileSync(path.join(dir, 'index.json'), damage.text);
    return { kind: 'oci', path: dir, name: `oci:${dir}`, ...(single ? { tag: tagPart(tags[0]!) } : {}) };
  },
});

/** Applies a damage to the members of an archive before it is packed (members share the built images' buffers). */
function damageMembers(img: BuiltImage, damage: Damage | undefined, top: string) {
  return (members: ArchiveMember[]): ArchiveMember[] => {
    if (!damage) return members;
    const target =
      damage.kind === 'corrupt-blob' || damage.kind === 'missing-blob' ? img.layers[damage.layer]!.data : damage.kind === 'corrupt-config' ? img.config.data : undefined;
    return members.flatMap((m) => {
      if (damage.kind === 'top-document') return m.name === top ? [{ ...m, data: Buffer.from(damage.text) }] : [m];
      if (m.data !== target) return [m];
      if (damage.kind === 'missing-blob') return [];
      return [{ ...m, data: damage.kind === 'corrupt-config' ? Buffer.from(m.data!.toString().replace('"os"', '"OS"')) : flip(m.data!) }];
    });
  };
}

for (const form of ['classic', 'oci'] as const) {
  imageSourceSuite({
    name: `docker-archive (${form})`,
    blobDigests: (c) => form === 'oci' || c !== 'none',
    hasMediaTypes: form === 'oci',
    tagsPerImage: true,
    wrongSchema: form === 'oci' ? '{"schemaVersion": 2, "manifests": "none"}' : '[{"Config": 42, "Layers": "x"}]',
    async write(dir, images, { tags, damage }) {
      const file = `${dir}.tar`;
      const top = form === 'oci' ? 'index.json' : 'manifest.json';
      await writeDockerArchive(file, images, { tags, form, mutate: damageMembers(images[0]!, damage, top) });
      return { kind: 'docker-archive', path: file, name: `docker-archive:${file}`, ...(images.length === 1 ? { tag: tags[0]! } : {}) };
    },
  });
}
