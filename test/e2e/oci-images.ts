// OCI image layouts on disk (image-spec "image-layout"), built from scratch so the end-to-end
// tests need no network and no base image: real gzipped tar layers, a config whose
// rootfs.diff_ids are the digests of the uncompressed tars, manifests and an index. skopeo
// reads them as `oci:<dir>:<tag>`, podman as `oci:<dir>:<tag>` too.
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

export const OCI_MEDIA = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  index: 'application/vnd.oci.image.index.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

/** The annotation that names a tag in a layout's index.json. */
const REF_NAME = 'org.opencontainers.image.ref.name';

export const sha256 = (bytes: Buffer | string): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string; variant?: string };
  annotations?: Record<string, string>;
}

/** A file in a layer; a name ending in `/` is a directory. */
export interface LayerEntry {
  name: string;
  content?: Buffer | string;
}

export interface BuiltLayer extends Descriptor {
  /** sha256 of the uncompressed tar: the config's rootfs.diff_ids entry. */
  diffId: string;
  bytes: Buffer;
}

export interface BuiltImage {
  /** The manifest's descriptor (with platform when built for an index). */
  descriptor: Descriptor;
  manifestBytes: Buffer;
  config: Descriptor;
  layers: BuiltLayer[];
  /** Every blob the image needs besides its manifest: config and layers. */
  blobDigests: string[];
}

export interface BuiltIndex {
  descriptor: Descriptor;
  indexBytes: Buffer;
  images: BuiltImage[];
}

// ---- tar ------------------------------------------------------------------------------------

const BLOCK = 512;
/** A fixed mtime (2024-01-01) so the same content always makes the same layer digest. */
const MTIME = 1_704_067_200;

function octal(value: number, width: number): string {
  return value.toString(8).padStart(width - 1, '0') + '\0';
}

function tarHeader(name: string, size: number, directory: boolean): Buffer {
  if (Buffer.byteLength(name) > 100) throw new Error(`tar name too long for this writer: ${name}`);
  const header = Buffer.alloc(BLOCK);
  header.write(name, 0, 100, 'utf8');
  header.write(octal(directory ? 0o755 : 0o644, 8), 100, 'ascii');
  header.write(octal(0, 8), 108, 'ascii'); // uid
  header.write(octal(0, 8), 116, 'ascii'); // gid
  header.write(octal(size, 12), 124, 'ascii');
  header.write(octal(MTIME, 12), 136, 'ascii');
  header.write(directory ? '5' : '0', 156, 'ascii');
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');
  header.write('root', 265, 'ascii');
  header.write('root', 297, 'ascii');
  // The checksum is computed with its own field read as spaces.
  header.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii');
  return header;
}

/** A POSIX ustar archive of the entries, ended by two zero blocks. */
export function tar(entries: LayerEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const directory = entry.name.endsWith('/');
    const content = directory ? Buffer.alloc(0) : Buffer.from(entry.content ?? '');
    parts.push(tarHeader(entry.name, content.length, directory), content);
    const padding = (BLOCK - (content.length % BLOCK)) % BLOCK;
    if (padding) parts.push(Buffer.alloc(padding));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}

/** The regular files of a (gzipped) tar: name -> content. Enough for the archives written here and by podman. */
export function untar(archive: Buffer): Map<string, Buffer> {
  const data = archive[0] === 0x1f && archive[1] === 0x8b ? gunzipSync(archive) : archive;
  const files = new Map<string, Buffer>();
  let offset = 0;
  let longName: string | undefined;
  let paxPath: string | undefined;
  while (offset + BLOCK <= data.length) {
    const header = data.subarray(offset, offset + BLOCK);
    if (header.every((byte) => byte === 0)) break;
    const field = (start: number, length: number) => header.toString('utf8', start, start + length).replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = field(156, 1) || '0';
    const prefix = field(345, 155);
    const body = data.subarray(offset + BLOCK, offset + BLOCK + size);
    const name = paxPath ?? longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    if (type === 'L') {
      longName = body.toString('utf8').replace(/\0.*$/s, '');
    } else if (type === 'x') {
      const path = /^\d+ path=(.*)$/m.exec(body.toString('utf8'));
      paxPath = path?.[1];
    } else {
      if (type === '0' || type === '7') files.set(name.replace(/^\.\//, ''), Buffer.from(body));
      longName = undefined;
      paxPath = undefined;
    }
    offset += BLOCK + Math.ceil(size / BLOCK) * BLOCK;
  }
  return files;
}

// ---- layouts --------------------------------------------------------------------------------

/** Bytes that do not compress (a fixed xorshift stream), so a layer has a real size on the wire. */
export function noise(length: number, seed: number): Buffer {
  const bytes = Buffer.alloc(length);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

/** An OCI image layout being written to `dir`: blobs as they are added, index.json on finish(). */
export class OciLayout {
  private readonly refs: Descriptor[] = [];

  constructor(readonly dir: string) {}

  async addBlob(bytes: Buffer, mediaType: string): Promise<Descriptor> {
    const digest = sha256(bytes);
    const blobDir = join(this.dir, 'blobs', 'sha256');
    await mkdir(blobDir, { recursive: true });
    await writeFile(join(blobDir, digest.slice('sha256:'.length)), bytes);
    return { mediaType, digest, size: bytes.length };
  }

  async addLayer(entries: LayerEntry[]): Promise<BuiltLayer> {
    const uncompressed = tar(entries);
    const bytes = gzipSync(uncompressed);
    return { ...(await this.addBlob(bytes, OCI_MEDIA.layer)), diffId: sha256(uncompressed), bytes };
  }

  /** An image of the given layers (each a list of entries) for one platform. */
  async addImage(layerEntries: LayerEntry[][], platform: { architecture: string; os: string } = { architecture: 'amd64', os: 'linux' }): Promise<BuiltImage> {
    const layers: BuiltLayer[] = [];
    for (const entries of layerEntries) layers.push(await this.addLayer(entries));
    const configDocument = {
      created: '2024-01-01T00:00:00Z',
      architecture: platform.architecture,
      os: platform.os,
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/sh'], WorkingDir: '/' },
      rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.diffId) },
      history: layers.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `berth e2e layer ${i}` })),
    };
    const config = await this.addBlob(Buffer.from(JSON.stringify(configDocument)), OCI_MEDIA.config);
    const manifestBytes = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MEDIA.manifest,
        config,
        layers: layers.map(({ mediaType, digest, size }) => ({ mediaType, digest, size })),
      }),
    );
    const descriptor = { ...(await this.addBlob(manifestBytes, OCI_MEDIA.manifest)), platform };
    return { descriptor, manifestBytes, config, layers, blobDigests: [config.digest, ...layers.map((layer) => layer.digest)] };
  }

  async addIndex(images: BuiltImage[]): Promise<BuiltIndex> {
    const indexBytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: OCI_MEDIA.index, manifests: images.map((image) => image.descriptor) }));
    const descriptor = await this.addBlob(indexBytes, OCI_MEDIA.index);
    return { descriptor, indexBytes, images };
  }

  /** Names a manifest or index in index.json (the `<tag>` of `oci:<dir>:<tag>`). */
  tag(descriptor: Descriptor, tag: string): void {
    const { mediaType, digest, size } = descriptor;
    this.refs.push({ mediaType, digest, size, annotations: { [REF_NAME]: tag } });
  }

  async finish(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await writeFile(join(this.dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    await writeFile(join(this.dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: this.refs }));
  }
}

/** Layer contents for a three-layer image; `seed` makes them (and so the digests) unique. */
export function multiLayerContents(seed: string): LayerEntry[][] {
  return [
    [{ name: 'etc/' }, { name: 'etc/berth-release', content: `berth e2e ${seed}\n` }],
    [{ name: 'app/' }, { name: 'app/hello.txt', content: `hello from ${seed}\n` }],
    // Incompressible, so this layer is large on the wire (and crosses chunk boundaries).
    [{ name: 'data/' }, { name: 'data/noise.bin', content: noise(1_200_000, seed.length * 7919 + 17) }, { name: 'data/seed', content: seed }],
  ];
}

/** Writes a layout holding one three-layer amd64 image tagged `tag`. */
export async function writeMultiLayerLayout(dir: string, tag: string, seed = tag): Promise<BuiltImage> {
  const layout = new OciLayout(dir);
  const image = await layout.addImage(multiLayerContents(seed));
  layout.tag(image.descriptor, tag);
  await layout.finish();
  return image;
}

/** Writes a layout holding an index of an amd64 and an arm64 image (sharing a base layer), tagged `tag`. */
export async function writeMultiArchLayout(dir: string, tag: string, seed = tag): Promise<BuiltIndex> {
  const layout = new OciLayout(dir);
  const base: LayerEntry[] = [{ name: 'etc/' }, { name: 'etc/berth-release', content: `berth e2e multi-arch ${seed}\n` }];
  const amd64 = await layout.addImage(
    [base, [{ name: 'bin/' }, { name: 'bin/arch', content: `amd64 ${seed}\n` }, { name: 'bin/payload', content: noise(300_000, 64) }]],
    { architecture: 'amd64', os: 'linux' },
  );
  // arm64 is the larger child, so the index's ECR size is its size.
  const arm64 = await layout.addImage(
    [base, [{ name: 'bin/' }, { name: 'bin/arch', content: `arm64 ${seed}\n` }, { name: 'bin/payload', content: noise(600_000, 128) }]],
    { architecture: 'arm64', os: 'linux' },
  );
  const index = await layout.addIndex([amd64, arm64]);
  layout.tag(index.descriptor, tag);
  await layout.finish();
  return index;
}

// ---- reading layouts back -------------------------------------------------------------------

export interface LayoutContents {
  /** index.json's entries. */
  refs: Descriptor[];
  /** Digests of every blob file. */
  blobs: Set<string>;
  read(digest: string): Promise<Buffer>;
}

export async function readLayout(dir: string): Promise<LayoutContents> {
  const index = JSON.parse(await readFile(join(dir, 'index.json'), 'utf8')) as { manifests?: Descriptor[] };
  const names = await readdir(join(dir, 'blobs', 'sha256'));
  return {
    refs: index.manifests ?? [],
    blobs: new Set(names.map((name) => `sha256:${name}`)),
    read: (digest) => readFile(join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length))),
  };
}

/** The ref in a layout's index.json named `tag`. */
export function refNamed(contents: LayoutContents, tag: string): Descriptor | undefined {
  return contents.refs.find((ref) => ref.annotations?.[REF_NAME] === tag);
}
