// The other way round from skopeo.test.ts: an image written through the ECR API alone (the
// layer upload actions, then PutImage with a Docker schema 2 manifest, as the SDK does it) is
// pulled by skopeo over the registry, and what arrives is what was uploaded.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  DescribeImagesCommand,
  GetAuthorizationTokenCommand,
  InitiateLayerUploadCommand,
  PutImageCommand,
  UploadLayerPartCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { noise, readLayout, refNamed, sha256, tar, untar } from './oci-images.js';
import { describeWithTools, expectSuccess, requireTools, skopeo, tempDir } from './registry-clients.js';

const DOCKER = {
  manifest: 'application/vnd.docker.distribution.manifest.v2+json',
  config: 'application/vnd.docker.container.image.v1+json',
  layer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

const ACCOUNT = '456789012345';
const REGION = 'us-west-2';
const REPOSITORY = 'e2e/sdk-pushed';
/** ECR's smallest part but the last: 5 MiB. */
const PART_SIZE = 5 * 1024 * 1024;
const TEST_TIMEOUT_MS = 120_000;

interface Blob {
  mediaType: string;
  digest: string;
  size: number;
  bytes: Buffer;
}

/** Uploads one blob with InitiateLayerUpload, UploadLayerPart (in PART_SIZE parts) and CompleteLayerUpload. */
async function uploadLayer(client: ECRClient, bytes: Buffer, mediaType: string): Promise<Blob> {
  const digest = sha256(bytes);
  const { uploadId } = await client.send(new InitiateLayerUploadCommand({ repositoryName: REPOSITORY }));
  for (let first = 0; first < bytes.length; first += PART_SIZE) {
    const part = bytes.subarray(first, Math.min(first + PART_SIZE, bytes.length));
    const uploaded = await client.send(
      new UploadLayerPartCommand({
        repositoryName: REPOSITORY,
        uploadId,
        partFirstByte: first,
        partLastByte: first + part.length - 1,
        layerPartBlob: part,
      }),
    );
    expect(uploaded).toMatchObject({ uploadId, lastByteReceived: first + part.length - 1 });
  }
  const completed = await client.send(new CompleteLayerUploadCommand({ repositoryName: REPOSITORY, uploadId, layerDigests: [digest] }));
  expect(completed).toMatchObject({ uploadId, layerDigest: digest });
  return { mediaType, digest, size: bytes.length, bytes };
}

describeWithTools(['skopeo'])('an image put with the SDK, pulled with skopeo', () => {
  let server: TestServer;
  let client: ECRClient;
  let work: Awaited<ReturnType<typeof tempDir>>;

  beforeAll(async () => {
    requireTools(['skopeo']);
    server = await startTestServer({ requireAuth: true });
    client = server.client({ accountId: ACCOUNT, region: REGION });
    work = await tempDir('put-image');
    await client.send(new CreateRepositoryCommand({ repositoryName: REPOSITORY }));
  }, 60_000);
  afterAll(async () => {
    await server?.close();
    await work?.remove();
  });

  test('layers and config uploaded in parts, a schema 2 manifest put, the same bytes pulled', async () => {
    const tars = [
      tar([{ name: 'etc/' }, { name: 'etc/os-release', content: 'NAME="Berth SDK image"\n' }]),
      // Incompressible and over 5 MiB, so it takes two parts.
      tar([{ name: 'opt/' }, { name: 'opt/blob.bin', content: noise(PART_SIZE + 300_000, 4242) }]),
    ];
    const layers: Blob[] = [];
    for (const uncompressed of tars) layers.push(await uploadLayer(client, gzipSync(uncompressed), DOCKER.layer));
    const configDocument = {
      architecture: 'amd64',
      os: 'linux',
      config: { Cmd: ['/bin/true'] },
      rootfs: { type: 'layers', diff_ids: tars.map((uncompressed) => sha256(uncompressed)) },
      history: tars.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `sdk layer ${i}` })),
    };
    const config = await uploadLayer(client, Buffer.from(JSON.stringify(configDocument)), DOCKER.config);
    const descriptor = ({ mediaType, digest, size }: Blob) => ({ mediaType, digest, size });
    const manifest = JSON.stringify({ schemaVersion: 2, mediaType: DOCKER.manifest, config: descriptor(config), layers: layers.map(descriptor) }, null, 3);
    const manifestDigest = sha256(manifest);

    const put = await client.send(
      new PutImageCommand({ repositoryName: REPOSITORY, imageManifest: manifest, imageManifestMediaType: DOCKER.manifest, imageTag: 'sdk' }),
    );
    expect(put.image?.imageId).toEqual({ imageDigest: manifestDigest, imageTag: 'sdk' });
    const described = await client.send(new DescribeImagesCommand({ repositoryName: REPOSITORY, imageIds: [{ imageTag: 'sdk' }] }));
    expect(described.imageDetails?.[0]).toMatchObject({
      imageDigest: manifestDigest,
      imageTags: ['sdk'],
      imageSizeInBytes: layers.reduce((sum, layer) => sum + layer.size, 0),
      imageManifestMediaType: DOCKER.manifest,
      artifactMediaType: DOCKER.config,
    });

    // skopeo logs in with the token from GetAuthorizationToken: base64 of `AWS:<password>`.
    const { authorizationData } = await client.send(new GetAuthorizationTokenCommand({}));
    const creds = Buffer.from(authorizationData?.[0]?.authorizationToken ?? '', 'base64').toString('utf8');
    const tool = skopeo(work.path);
    const source = `docker://127.0.0.1:${server.port}/${REPOSITORY}:sdk`;

    // dir: keeps the manifest as served and names each blob by its digest.
    const dir = join(work.path, 'dir-out');
    expectSuccess(await tool.run('copy', '--src-tls-verify=false', '--src-creds', creds, source, `dir:${dir}`), 'skopeo copy to dir:');
    expect(await readFile(join(dir, 'manifest.json'), 'utf8')).toBe(manifest);
    for (const blob of [config, ...layers]) {
      const bytes = await readFile(join(dir, blob.digest.slice('sha256:'.length)));
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(blob.digest.slice('sha256:'.length));
      expect(bytes.equals(blob.bytes)).toBe(true);
    }
    expect(untar(await readFile(join(dir, layers[0].digest.slice('sha256:'.length)))).get('etc/os-release')?.toString()).toBe('NAME="Berth SDK image"\n');

    // oci: converts the manifest to OCI's media types, but the layer bytes stay the same.
    const oci = join(work.path, 'oci-out');
    expectSuccess(await tool.run('copy', '--src-tls-verify=false', '--src-creds', creds, source, `oci:${oci}:sdk`), 'skopeo copy to oci:');
    const layout = await readLayout(oci);
    expect(refNamed(layout, 'sdk')).toBeDefined();
    for (const layer of layers) expect((await layout.read(layer.digest)).equals(layer.bytes)).toBe(true);
  }, TEST_TIMEOUT_MS);
});
