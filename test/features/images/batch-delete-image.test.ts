import {
  BatchDeleteImageCommand,
  BatchGetImageCommand,
  CreateRepositoryCommand,
  DescribeImagesCommand,
  ImageNotFoundException,
  PutImageCommand,
  RepositoryNotFoundException,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { failure } from '../../helpers/failure.js';
import { indexOf, putImage, sha256 } from '../../helpers/images.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
let client: ECRClient;
beforeAll(async () => {
  server = await startTestServer();
  client = server.client();
  await client.send(new CreateRepositoryCommand({ repositoryName: 'app' }));
});
afterAll(() => server.close());

const del = (imageIds: Array<{ imageTag?: string; imageDigest?: string }>) =>
  client.send(new BatchDeleteImageCommand({ repositoryName: 'app', imageIds }));

const tagImage = (manifest: string, imageTag: string) =>
  client.send(new PutImageCommand({ repositoryName: 'app', imageManifest: manifest, imageTag }));

const tagsOf = async (imageDigest: string) =>
  (await client.send(new DescribeImagesCommand({ repositoryName: 'app', imageIds: [{ imageDigest }] }))).imageDetails?.[0].imageTags;

test('by tag, on an image with other tags, removes only that tag', async () => {
  const image = await putImage(server, client, 'app', 'keep', { seed: 'two-tags' });
  await tagImage(image.manifest, 'drop');
  const { imageIds, failures } = await del([{ imageTag: 'drop' }]);
  expect(failures).toEqual([]);
  expect(imageIds).toEqual([{ imageDigest: image.digest, imageTag: 'drop' }]);
  expect(await tagsOf(image.digest)).toEqual(['keep']);
});

test('by tag, the image\'s last tag, deletes the image', async () => {
  const image = await putImage(server, client, 'app', 'only', { seed: 'last-tag' });
  const { imageIds } = await del([{ imageTag: 'only' }]);
  expect(imageIds).toEqual([{ imageDigest: image.digest, imageTag: 'only' }]);
  const error = await failure(client.send(new DescribeImagesCommand({ repositoryName: 'app', imageIds: [{ imageDigest: image.digest }] })));
  expect(error).toBeInstanceOf(ImageNotFoundException);
});

test('by digest, the image and all its tags go, one id per tag', async () => {
  const image = await putImage(server, client, 'app', 'a', { seed: 'by-digest' });
  await tagImage(image.manifest, 'b');
  const { imageIds, failures } = await del([{ imageDigest: image.digest }]);
  expect(failures).toEqual([]);
  expect(imageIds).toEqual([
    { imageDigest: image.digest, imageTag: 'a' },
    { imageDigest: image.digest, imageTag: 'b' },
  ]);
  const { images, failures: gone } = await client.send(
    new BatchGetImageCommand({ repositoryName: 'app', imageIds: [{ imageTag: 'a' }, { imageTag: 'b' }, { imageDigest: image.digest }] }),
  );
  expect(images).toEqual([]);
  expect(gone?.map((f) => f.failureCode)).toEqual(['ImageNotFound', 'ImageNotFound', 'ImageNotFound']);
});

test('by digest, an untagged image is answered by its digest alone', async () => {
  const image = await putImage(server, client, 'app', undefined, { seed: 'untagged' });
  const { imageIds } = await del([{ imageDigest: image.digest }]);
  expect(imageIds).toEqual([{ imageDigest: image.digest }]);
});

test('by tag and the matching digest, the image goes', async () => {
  const image = await putImage(server, client, 'app', 'both', { seed: 'both' });
  const { imageIds } = await del([{ imageTag: 'both', imageDigest: image.digest }]);
  expect(imageIds).toEqual([{ imageDigest: image.digest, imageTag: 'both' }]);
  const error = await failure(client.send(new DescribeImagesCommand({ repositoryName: 'app', imageIds: [{ imageDigest: image.digest }] })));
  expect(error).toBeInstanceOf(ImageNotFoundException);
});

test('a tag that does not name the digest is ImageTagDoesNotMatchDigest, and nothing is deleted', async () => {
  const a = await putImage(server, client, 'app', 'mismatch-a', { seed: 'mismatch-a' });
  await putImage(server, client, 'app', 'mismatch-b', { seed: 'mismatch-b' });
  const { imageIds, failures } = await del([{ imageTag: 'mismatch-b', imageDigest: a.digest }]);
  expect(imageIds).toEqual([]);
  expect(failures).toEqual([
    {
      imageId: { imageTag: 'mismatch-b', imageDigest: a.digest },
      failureCode: 'ImageTagDoesNotMatchDigest',
      failureReason: 'Invalid image tag for image digest',
    },
  ]);
  expect(await tagsOf(a.digest)).toEqual(['mismatch-a']);
});

test('unknown, empty and malformed ids are failures with ECR\'s codes', async () => {
  const unknown = sha256('unknown');
  const { imageIds, failures } = await del([{ imageTag: 'nope' }, { imageDigest: unknown }, {}, { imageDigest: 'sha256:xyz' }]);
  expect(imageIds).toEqual([]);
  expect(failures).toEqual([
    { imageId: { imageTag: 'nope' }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' },
    { imageId: { imageDigest: unknown }, failureCode: 'ImageNotFound', failureReason: 'Requested image not found' },
    { imageId: {}, failureCode: 'MissingDigestAndTag', failureReason: 'Invalid request parameters: both tag and digest cannot be null' },
    {
      imageId: { imageDigest: 'sha256:xyz' },
      failureCode: 'InvalidImageDigest',
      failureReason: "Invalid request parameters: image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+'",
    },
  ]);
});

test('an image an index still references is ImageReferencedByManifestList, and stays', async () => {
  const child = await putImage(server, client, 'app', 'child', { seed: 'child', format: 'oci' });
  const index = indexOf([child]);
  await tagImage(index.manifest, 'parent');
  const { imageIds, failures } = await del([{ imageDigest: child.digest }]);
  expect(imageIds).toEqual([]);
  expect(failures).toEqual([
    {
      imageId: { imageDigest: child.digest },
      failureCode: 'ImageReferencedByManifestList',
      failureReason: `Requested image referenced by manifest list: [${index.digest}]`,
    },
  ]);
  expect(await tagsOf(child.digest)).toEqual(['child']);
  // Once the index is gone, the child can go.
  await del([{ imageDigest: index.digest }]);
  expect((await del([{ imageDigest: child.digest }])).imageIds).toEqual([{ imageDigest: child.digest, imageTag: 'child' }]);
});

test('an id given twice is acted on once', async () => {
  const image = await putImage(server, client, 'app', 'twice', { seed: 'twice' });
  const { imageIds, failures } = await del([{ imageDigest: image.digest }, { imageDigest: image.digest }]);
  expect(imageIds).toEqual([{ imageDigest: image.digest, imageTag: 'twice' }]);
  expect(failures).toEqual([]);
});

test('deleted and failed ids are answered together', async () => {
  const image = await putImage(server, client, 'app', 'mixed', { seed: 'mixed' });
  const { imageIds, failures } = await del([{ imageTag: 'mixed' }, { imageTag: 'mixed-missing' }]);
  expect(imageIds).toEqual([{ imageDigest: image.digest, imageTag: 'mixed' }]);
  expect(failures?.map((f) => f.imageId)).toEqual([{ imageTag: 'mixed-missing' }]);
});

test('a missing repository is RepositoryNotFoundException', async () => {
  const error = await failure(client.send(new BatchDeleteImageCommand({ repositoryName: 'missing', imageIds: [{ imageTag: 'x' }] })));
  expect(error).toBeInstanceOf(RepositoryNotFoundException);
  expect(error.message).toBe("The repository with name 'missing' does not exist in the registry with id '000000000000'");
});
