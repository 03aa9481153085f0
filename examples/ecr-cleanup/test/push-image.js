// Pushes a small image through the ECR API, as `docker push` would through the registry:
// each blob by the layer actions, then the manifest by PutImage. Works against a server and
// under mockEcr() alike, since it only uses the SDK.
const { createHash } = require('node:crypto');
const { CompleteLayerUploadCommand, InitiateLayerUploadCommand, PutImageCommand, UploadLayerPartCommand } = require('@aws-sdk/client-ecr');

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const sha256 = (bytes) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function uploadBlob(client, repositoryName, bytes) {
  const { uploadId } = await client.send(new InitiateLayerUploadCommand({ repositoryName }));
  await client.send(
    new UploadLayerPartCommand({ repositoryName, uploadId, partFirstByte: 0, partLastByte: bytes.length - 1, layerPartBlob: bytes }),
  );
  const digest = sha256(bytes);
  await client.send(new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [digest] }));
  return { digest, size: bytes.length };
}

/** Pushes a one-layer image whose layer holds `content`; resolves with its digest. */
async function pushImage(client, repositoryName, { content, tag }) {
  const layer = Buffer.from(content);
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [sha256(layer)] } }),
  );
  const manifest = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...(await uploadBlob(client, repositoryName, config)) },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...(await uploadBlob(client, repositoryName, layer)) }],
  };
  const { image } = await client.send(
    new PutImageCommand({ repositoryName, imageManifest: JSON.stringify(manifest), imageManifestMediaType: OCI_MANIFEST, imageTag: tag }),
  );
  return image.imageId.imageDigest;
}

module.exports = { pushImage };
