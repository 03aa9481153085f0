import { Readable } from 'node:stream';
import { PutImageCommand, type ECRClient } from '@aws-sdk/client-ecr';
import { appendToUpload, completeUpload, startUpload } from '../../src/features/layers/uploads.js';
import type { Scope } from '../../src/lib/scope.js';
import { MEDIA, sha256, type Descriptor } from './registry.js';
import type { TestServer } from './server.js';

export { MEDIA, sha256, type Descriptor };

// Images for tests: blobs go in through the upload service (as the registry and the layer
// actions put them there), manifests through PutImage.

export const DEFAULT_SCOPE: Scope = { accountId: '000000000000', region: 'us-east-1' };

/** Stores `bytes` as a blob linked to the repository; resolves with its descriptor. */
export async function pushBlob(
  server: TestServer,
  repositoryName: string,
  bytes: Buffer | string,
  mediaType: string,
  scope: Scope = DEFAULT_SCOPE,
): Promise<Descriptor> {
  const data = Buffer.from(bytes);
  const deps = { store: server.store, clock: server.clock };
  const { id, record } = await startUpload(deps, scope, repositoryName);
  await appendToUpload(server.store, id, Readable.from([data]));
  const digest = sha256(data);
  const result = await completeUpload(deps, id, record, digest);
  if (!result.completed) throw new Error(`blob upload did not verify: ${result.actual}`);
  return { mediaType, digest, size: data.length };
}

export interface BuiltImage {
  manifest: string;
  digest: string;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface ImageOptions {
  format?: 'docker' | 'oci';
  /** Makes the image unique (goes into the config and the layers). */
  seed?: string;
  layerCount?: number;
  /** OCI only: an artifact manifest naming a subject. */
  subject?: Descriptor;
  artifactType?: string;
  annotations?: Record<string, string>;
  scope?: Scope;
}

/** Uploads a config and layers and returns an image manifest that references them (not yet pushed). */
export async function buildImage(server: TestServer, repositoryName: string, options: ImageOptions = {}): Promise<BuiltImage> {
  const { format = 'docker', seed = 'image', layerCount = 1, scope } = options;
  const docker = format === 'docker';
  const layers: Descriptor[] = [];
  for (let i = 0; i < layerCount; i++) {
    layers.push(await pushBlob(server, repositoryName, `layer ${i} of ${seed}`, docker ? MEDIA.dockerLayer : MEDIA.ociLayer, scope));
  }
  const configDocument = {
    architecture: 'amd64',
    os: 'linux',
    config: { Env: [`SEED=${seed}`] },
    rootfs: { type: 'layers', diff_ids: layers.map((layer) => sha256(`diff ${layer.digest}`)) },
    history: layers.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `step ${i}` })),
  };
  const configMediaType = options.artifactType && !docker ? MEDIA.ociEmpty : docker ? MEDIA.dockerConfig : MEDIA.ociConfig;
  const config = await pushBlob(
    server,
    repositoryName,
    configMediaType === MEDIA.ociEmpty ? '{}' : JSON.stringify(configDocument),
    configMediaType,
    scope,
  );
  const mediaType = docker ? MEDIA.dockerManifest : MEDIA.ociManifest;
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType,
    ...(options.artifactType ? { artifactType: options.artifactType } : {}),
    config,
    layers,
    ...(options.subject ? { subject: options.subject } : {}),
    ...(options.annotations ? { annotations: options.annotations } : {}),
  });
  return { manifest, digest: sha256(manifest), mediaType, config, layers };
}

/** Builds an image and pushes it with PutImage (tagged when `tag` is given). */
export async function putImage(
  server: TestServer,
  client: ECRClient,
  repositoryName: string,
  tag?: string,
  options: ImageOptions = {},
): Promise<BuiltImage> {
  const image = await buildImage(server, repositoryName, options);
  await client.send(new PutImageCommand({ repositoryName, imageManifest: image.manifest, imageTag: tag }));
  return image;
}

/** An index (OCI) or list (Docker) of already pushed images. */
export function indexOf(images: BuiltImage[], format: 'docker' | 'oci' = 'oci'): { manifest: string; digest: string } {
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: format === 'oci' ? MEDIA.ociIndex : MEDIA.dockerManifestList,
    manifests: images.map((image, i) => ({
      mediaType: image.mediaType,
      digest: image.digest,
      size: Buffer.byteLength(image.manifest),
      platform: { architecture: i === 0 ? 'amd64' : `arm${i}`, os: 'linux' },
    })),
  });
  return { manifest, digest: sha256(manifest) };
}
