import {
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DescribeImagesCommand,
  PutImageCommand,
  RepositoryNotFoundException,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { failure } from '../../helpers/failure.js';
import { MEDIA, indexOf, putImage, sha256, type BuiltImage } from '../../helpers/images.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
let client: ECRClient;
let docker: BuiltImage;
let oci: BuiltImage;
let index: { manifest: string; digest: string };
beforeAll(async () => {
  server = await startTestServer();
  client = server.client();
  await client.send(new CreateRepositoryCommand({ repositoryName: 'app' }));
  docker = await putImage(server, client, 'app', 'docker', { seed: 'docker' });
  oci = await putImage(server, client, 'app', 'oci', { seed: 'oci', format: 'oci' });
  await putImage(server, client, 'app', 'other', { seed: 'other' });
  index = indexOf([oci]);
  await client.send(new PutImageCommand({ repositoryName: 'app', imageManifest: index.manifest, imageTag: 'index' }));
});
afterAll(() => server.close());

const get = (imageIds: Array<{ imageTag?: string; imageDigest?: string }>, acceptedMediaTypes?: string[]) =>
  client.send(new BatchGetImageCommand({ repositoryName: 'app', imageIds, acceptedMediaTypes }));

test('by tag: the manifest exactly as pushed, with its digest and the tag', async () => {
  const { images, failures } = await get([{ imageTag: 'docker' }]);
  expect(failures).toEqual([]);
  expect(images).toEqual([
    {
      registryId: '000000000000',
      repositoryName: 'app',
      imageId: { imageDigest: docker.digest, imageTag: 'docker' },
      imageManifest: docker.manifest,
      imageManifestMediaType: MEDIA.dockerManifest,
    },
  ]);
});

test('by digest: imageId carries the digest only', async () => {
  const { images } = await get([{ imageDigest: oci.digest }]);
  expect(images?.[0].imageId).toEqual({ imageDigest: oci.digest });
  expect(images?.[0].imageManifest).toBe(oci.manifest);
  expect(images?.[0].imageManifestMediaType).toBe(MEDIA.ociManifest);
});

test('by tag and the digest it names', async () => {
  const { images, failures } = await get([{ imageTag: 'oci', imageDigest: oci.digest }]);
  expect(failures).toEqual([]);
  expect(images?.[0].imageId).toEqual({ imageDigest: oci.digest, imageTag: 'oci' });
});

test('a tag that names another image than the digest is ImageTagDoesNotMatchDigest', async () => {
  const { images, failures } = await get([{ imageTag: 'other', imageDigest: docker.digest }]);
  expect(images).toEqual([]);
  expect(failures).toEqual([
    {
      imageId: { imageTag: 'other', imageDigest: docker.digest },
      failureCode: 'ImageTagDoesNotMatchDigest',
      failureReason: 'Invalid image tag for image digest',
    },
  ]);
});

test('an unknown tag or digest is an ImageNotFound failure echoing the id', async () => {
  const unknownDigest = sha256('nothing');
  const { images, failures } = await get([{ imageTag: 'nope' }, { imageDigest: unknownDigest }]);
  expect(images).toEqual([]);
  expect(failures).toEqual([
    { imageId: { imageTag: 'nope' }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' },
    { imageId: { imageDigest: unknownDigest }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' },
  ]);
});

test('an id with neither tag nor digest is MissingDigestAndTag', async () => {
  const { failures } = await get([{}]);
  expect(failures).toEqual([
    { imageId: {}, failureCode: 'MissingDigestAndTag', failureReason: 'Invalid request parameters: both tag and digest cannot be null' },
  ]);
});

test('a malformed digest is InvalidImageDigest', async () => {
  const { failures } = await get([{ imageDigest: 'not-a-digest' }]);
  expect(failures).toEqual([
    {
      imageId: { imageDigest: 'not-a-digest' },
      failureCode: 'InvalidImageDigest',
      failureReason: "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'",
    },
  ]);
});

test('found and failed ids are answered together, in request order', async () => {
  const { images, failures } = await get([{ imageTag: 'other' }, { imageTag: 'gone' }, { imageTag: 'docker' }]);
  expect(images?.map((image) => image.imageId?.imageTag)).toEqual(['other', 'docker']);
  expect(failures?.map((f) => f.imageId?.imageTag)).toEqual(['gone']);
});

test('an id given twice is answered once', async () => {
  const { images, failures } = await get([{ imageTag: 'docker' }, { imageTag: 'docker' }, { imageTag: 'gone' }, { imageTag: 'gone' }]);
  expect(images).toHaveLength(1);
  expect(failures).toHaveLength(1);
});

describe('acceptedMediaTypes', () => {
  test('the stored type, when accepted, is served unchanged', async () => {
    const { images } = await get([{ imageTag: 'docker' }], [MEDIA.ociManifest, MEDIA.dockerManifest]);
    expect(images?.[0].imageManifest).toBe(docker.manifest);
    expect(images?.[0].imageManifestMediaType).toBe(MEDIA.dockerManifest);
  });

  test('by tag, Docker schema 2 is converted to OCI for a client that accepts only OCI', async () => {
    const { images, failures } = await get([{ imageTag: 'docker' }], [MEDIA.ociManifest]);
    expect(failures).toEqual([]);
    const [image] = images!;
    expect(image.imageManifestMediaType).toBe(MEDIA.ociManifest);
    const converted = JSON.parse(image.imageManifest!) as { mediaType: string; config: { digest: string; mediaType: string }; layers: Array<{ digest: string }> };
    expect(converted.mediaType).toBe(MEDIA.ociManifest);
    expect(converted.config).toMatchObject({ digest: docker.config.digest, mediaType: MEDIA.ociConfig });
    expect(converted.layers.map((layer) => layer.digest)).toEqual(docker.layers.map((layer) => layer.digest));
    // The id names the representation served.
    expect(image.imageId).toEqual({ imageDigest: sha256(image.imageManifest!), imageTag: 'docker' });
  });

  test('by tag, OCI is converted to Docker schema 2 for a client that accepts only Docker', async () => {
    const { images } = await get([{ imageTag: 'oci' }], [MEDIA.dockerManifest]);
    expect(images?.[0].imageManifestMediaType).toBe(MEDIA.dockerManifest);
    expect(JSON.parse(images![0].imageManifest!)).toMatchObject({ mediaType: MEDIA.dockerManifest, config: { mediaType: MEDIA.dockerConfig } });
  });

  test('by tag, Docker schema 2 is converted to signed schema 1 naming the repository and tag', async () => {
    const { images, failures } = await get([{ imageTag: 'docker' }], ['application/vnd.docker.distribution.manifest.v1+json']);
    expect(failures).toEqual([]);
    expect(images?.[0].imageManifestMediaType).toBe(MEDIA.dockerSchema1Signed);
    expect(JSON.parse(images![0].imageManifest!)).toMatchObject({ schemaVersion: 1, name: 'app', tag: 'docker' });
  });

  test('by digest nothing is converted: an unaccepted type is ImageNotFound', async () => {
    const { images, failures } = await get([{ imageDigest: docker.digest }], [MEDIA.ociManifest]);
    expect(images).toEqual([]);
    expect(failures).toEqual([{ imageId: { imageDigest: docker.digest }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' }]);
  });

  test('an index is never converted: a client that accepts only image manifests gets ImageNotFound', async () => {
    const { images, failures } = await get([{ imageTag: 'index' }], [MEDIA.dockerManifest, MEDIA.ociManifest]);
    expect(images).toEqual([]);
    expect(failures?.[0]).toMatchObject({ imageId: { imageTag: 'index' }, failureCode: 'ImageNotFound' });
    const accepted = await get([{ imageTag: 'index' }], [MEDIA.ociIndex]);
    expect(accepted.images?.[0].imageManifest).toBe(index.manifest);
  });

  test('without acceptedMediaTypes the stored manifest is served', async () => {
    const { images } = await get([{ imageTag: 'index' }]);
    expect(images?.[0].imageManifestMediaType).toBe(MEDIA.ociIndex);
  });
});

test('a get counts as a pull: DescribeImages reports lastRecordedPullTime', async () => {
  const pulled = await putImage(server, client, 'app', 'pull-me', { seed: 'pull' });
  const before = await client.send(new DescribeImagesCommand({ repositoryName: 'app', imageIds: [{ imageTag: 'pull-me' }] }));
  expect(before.imageDetails?.[0].lastRecordedPullTime).toBeUndefined();
  const start = Math.floor(Date.now() / 1000) * 1000;
  await get([{ imageTag: 'pull-me' }]);
  const after = await client.send(new DescribeImagesCommand({ repositoryName: 'app', imageIds: [{ imageDigest: pulled.digest }] }));
  const time = after.imageDetails?.[0].lastRecordedPullTime;
  expect(time).toBeInstanceOf(Date);
  expect(time!.getTime()).toBeGreaterThanOrEqual(start);
});

test('a failed get is not a pull', async () => {
  const image = await putImage(server, client, 'app', 'not-pulled', { seed: 'not-pulled' });
  await get([{ imageTag: 'not-pulled', imageDigest: docker.digest }]);
  const { imageDetails } = await client.send(new DescribeImagesCommand({ repositoryName: 'app', imageIds: [{ imageDigest: image.digest }] }));
  expect(imageDetails?.[0].lastRecordedPullTime).toBeUndefined();
});

test('a missing repository is RepositoryNotFoundException', async () => {
  const error = await failure(client.send(new BatchGetImageCommand({ repositoryName: 'missing', imageIds: [{ imageTag: 'x' }] })));
  expect(error).toBeInstanceOf(RepositoryNotFoundException);
  expect(error.message).toBe("The repository with name 'missing' does not exist in the registry with id '000000000000'");
});
