import { createHash } from 'node:crypto';
import { CompleteLayerUploadCommand, InitiateLayerUploadCommand, UploadLayerPartCommand } from '@aws-sdk/client-ecr';
import type { Transcript } from './transcript.js';

// Images pushed through the API alone (layer actions, then PutImage), so the same steps run
// over HTTP and in-process.

export const sha256 = (bytes: Buffer | string): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';

/** Pushes a blob through the layer actions, recording every step; resolves with its digest. */
export async function pushLayer(t: Transcript, repositoryName: string, bytes: Buffer): Promise<string> {
  const { uploadId } = await t.ok(new InitiateLayerUploadCommand({ repositoryName }));
  await t.ok(new UploadLayerPartCommand({ repositoryName, uploadId, partFirstByte: 0, partLastByte: bytes.length - 1, layerPartBlob: bytes }));
  const { layerDigest } = await t.ok(new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [sha256(bytes)] }));
  return layerDigest!;
}

export interface Pushed {
  manifest: string;
  digest: string;
  size: number;
  layer: string;
}

/** Uploads a config and one layer (both seeded) and returns a manifest naming them (not yet put). */
export async function buildImage(t: Transcript, repositoryName: string, seed: string, format: 'docker' | 'oci' = 'docker', subject?: Pushed): Promise<Pushed> {
  const layerBytes = Buffer.from(`layer of ${seed} `.repeat(64));
  const configBytes = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(`diff ${seed}`)] } }));
  const config = await pushLayer(t, repositoryName, configBytes);
  const layer = await pushLayer(t, repositoryName, layerBytes);
  const docker = format === 'docker';
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: docker ? DOCKER_MANIFEST : OCI_MANIFEST,
    ...(subject ? { artifactType: 'application/vnd.example.signature' } : {}),
    config: { mediaType: docker ? 'application/vnd.docker.container.image.v1+json' : 'application/vnd.oci.image.config.v1+json', size: configBytes.length, digest: config },
    layers: [{ mediaType: docker ? 'application/vnd.docker.image.rootfs.diff.tar.gzip' : 'application/vnd.oci.image.layer.v1.tar+gzip', size: layerBytes.length, digest: layer }],
    ...(subject ? { subject: { mediaType: OCI_MANIFEST, digest: subject.digest, size: subject.size } } : {}),
  });
  return { manifest, digest: sha256(manifest), size: Buffer.byteLength(manifest), layer };
}

