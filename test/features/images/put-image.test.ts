import {
  CreateRepositoryCommand,
  DescribeImagesCommand,
  ImageAlreadyExistsException,
  ImageDigestDoesNotMatchException,
  ImageTagAlreadyExistsException,
  InvalidParameterException,
  LayersNotFoundException,
  PutImageCommand,
  ReferencedImagesNotFoundException,
  RepositoryNotFoundException,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { failure } from '../../helpers/failure.js';
import { MEDIA, buildImage, indexOf, pushBlob, putImage, sha256 } from '../../helpers/images.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
let client: ECRClient;
beforeAll(async () => {
  server = await startTestServer();
  client = server.client();
  await client.send(new CreateRepositoryCommand({ repositoryName: 'app' }));
  await client.send(new CreateRepositoryCommand({ repositoryName: 'locked', imageTagMutability: 'IMMUTABLE' }));
});
afterAll(() => server.close());

const describe1 = async (repositoryName: string, imageDigest: string) =>
  (await client.send(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageDigest }] }))).imageDetails![0];

test('stores a tagged manifest and answers the image as ECR does', async () => {
  const image = await buildImage(server, 'app', { seed: 'first', layerCount: 2 });
  const { image: answered } = await client.send(new PutImageCommand({ repositoryName: 'app', imageManifest: image.manifest, imageTag: 'v1' }));
  expect(answered).toEqual({
    registryId: '000000000000',
    repositoryName: 'app',
    imageId: { imageDigest: sha256(image.manifest), imageTag: 'v1' },
    imageManifest: image.manifest,
    imageManifestMediaType: MEDIA.dockerManifest,
  });
  const detail = await describe1('app', image.digest);
  expect(detail.imageTags).toEqual(['v1']);
  expect(detail.imageSizeInBytes).toBe(image.layers[0].size + image.layers[1].size);
});

test('without a tag the image is stored untagged and imageId has no tag', async () => {
  const image = await buildImage(server, 'app', { seed: 'untagged' });
  const { image: answered } = await client.send(new PutImageCommand({ repositoryName: 'app', imageManifest: image.manifest }));
  expect(answered?.imageId).toEqual({ imageDigest: image.digest });
  expect((await describe1('app', image.digest)).imageTags).toBeUndefined();
});

test('the same manifest and tag again is ImageAlreadyExistsException', async () => {
  const image = await putImage(server, client, 'app', 'same', { seed: 'again' });
  const error = await failure(client.send(new PutImageCommand({ repositoryName: 'app', imageManifest: image.manifest, imageTag: 'same' })));
  expect(error).toBeInstanceOf(ImageAlreadyExistsException);
  expect(error.message).toBe(
    `Image with digest '${image.digest}' and tag 'same' already exists in the repository with name 'app' in registry with id '000000000000'`,
  );
  expect(error.$metadata?.httpStatusCode).toBe(400);
});

test('the same manifest untagged again is ImageAlreadyExistsException', async () => {
  const image = await putImage(server, client, 'app', undefined, { seed: 'again-untagged' });
  const error = await failure(client.send(new PutImageCommand({ repositoryName: 'app', imageManifest: image.manifest })));
  expect(error).toBeInstanceOf(ImageAlreadyExistsException);
  expect(error.message).toBe(
    `Image with digest '${image.digest}' already exists in the repository with name 'app' in registry with id '000000000000'`,
  );
});

test('the same manifest under a new tag adds the tag', async () => {
  const image = await putImage(server, client, 'app', 'one', { seed: 'retag' });
  const { image: answered } = await client.send(new PutImageCommand({ repositoryName: 'app', imageManifest: image.manifest, imageTag: 'two' }));
  expect(answered?.imageId).toEqual({ imageDigest: image.digest, imageTag: 'two' });
  expect((await describe1('app', image.digest)).imageTags).toEqual(['one', 'two']);
});

test('in a mutable repository a tag moves to the new image, leaving the old one untagged', async () => {
  const old = await putImage(server, client, 'app', 'moving', { seed: 'old' });
  const fresh = await putImage(server, client, 'app', 'moving', { seed: 'new' });
  expect((await describe1('app', old.digest)).imageTags).toBeUndefined();
  expect((await describe1('app', fresh.digest)).imageTags).toEqual(['moving']);
});

test('in an immutable repository moving a tag is ImageTagAlreadyExistsException', async () => {
  await putImage(server, client, 'locked', 'release', { seed: 'locked-1' });
  const other = await buildImage(server, 'locked', { seed: 'locked-2' });
  const error = await failure(client.send(new PutImageCommand({ repositoryName: 'locked', imageManifest: other.manifest, imageTag: 'release' })));
  expect(error).toBeInstanceOf(ImageTagAlreadyExistsException);
  expect(error.message).toBe(
    "The image tag 'release' already exists in the 'locked' repository and cannot be overwritten because the repository is immutable.",
  );
  // The refused image was not stored either.
  await expect(describe1('locked', other.digest)).rejects.toThrow();
});

test('imageDigest that matches the manifest is accepted', async () => {
  const image = await buildImage(server, 'app', { seed: 'digest-ok' });
  const { image: answered } = await client.send(
    new PutImageCommand({ repositoryName: 'app', imageManifest: image.manifest, imageDigest: image.digest, imageTag: 'd' }),
  );
  expect(answered?.imageId?.imageDigest).toBe(image.digest);
});

test('imageDigest that does not match is ImageDigestDoesNotMatchException', async () => {
  const image = await buildImage(server, 'app', { seed: 'digest-bad' });
  const wrong = sha256('something else');
  const error = await failure(
    client.send(new PutImageCommand({ repositoryName: 'app', imageManifest: image.manifest, imageDigest: wrong, imageTag: 'x' })),
  );
  expect(error).toBeInstanceOf(ImageDigestDoesNotMatchException);
  expect(error.message).toBe(`Provided image digest '${wrong}' does not match the digest '${image.digest}' of the image manifest`);
});

test('a manifest naming blobs the repository lacks is LayersNotFoundException', async () => {
  const config = await pushBlob(server, 'app', '{"os":"linux"}', MEDIA.dockerConfig);
  const missing = { mediaType: MEDIA.dockerLayer, digest: sha256('never uploaded'), size: 14 };
  const manifest = JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.dockerManifest, config, layers: [missing] });
  const error = await failure(client.send(new PutImageCommand({ repositoryName: 'app', imageManifest: manifest, imageTag: 'broken' })));
  expect(error).toBeInstanceOf(LayersNotFoundException);
  expect(error.message).toBe(
    `Layers with digests '[${missing.digest}]' required for pushing image into repository with name 'app' in the registry with id '000000000000' do not exist`,
  );
});

test('blobs of another repository do not count', async () => {
  await client.send(new CreateRepositoryCommand({ repositoryName: 'elsewhere' }));
  const image = await buildImage(server, 'elsewhere', { seed: 'foreign' });
  const error = await failure(client.send(new PutImageCommand({ repositoryName: 'app', imageManifest: image.manifest, imageTag: 'foreign' })));
  expect(error).toBeInstanceOf(LayersNotFoundException);
});

test('an index naming images the repository lacks is ReferencedImagesNotFoundException', async () => {
  const present = await putImage(server, client, 'app', undefined, { seed: 'child', format: 'oci' });
  const absent = await buildImage(server, 'app', { seed: 'never-pushed', format: 'oci' });
  const index = indexOf([present, absent]);
  const error = await failure(client.send(new PutImageCommand({ repositoryName: 'app', imageManifest: index.manifest, imageTag: 'multi' })));
  expect(error).toBeInstanceOf(ReferencedImagesNotFoundException);
  expect(error.message).toContain(absent.digest);
  expect(error.message).not.toContain(present.digest);
});

test('an index whose images are all present is stored as an index', async () => {
  const a = await putImage(server, client, 'app', undefined, { seed: 'arch-a', format: 'oci' });
  const b = await putImage(server, client, 'app', undefined, { seed: 'arch-b', format: 'oci' });
  const index = indexOf([a, b]);
  const { image } = await client.send(new PutImageCommand({ repositoryName: 'app', imageManifest: index.manifest, imageTag: 'multi-ok' }));
  expect(image?.imageManifestMediaType).toBe(MEDIA.ociIndex);
  expect(image?.imageId?.imageDigest).toBe(index.digest);
});

test('imageManifestMediaType gives the type of a manifest without a mediaType field', async () => {
  const built = await buildImage(server, 'app', { seed: 'no-field', format: 'oci' });
  const document = JSON.parse(built.manifest) as Record<string, unknown>;
  delete document.mediaType;
  const manifest = JSON.stringify(document);
  const { image } = await client.send(
    new PutImageCommand({ repositoryName: 'app', imageManifest: manifest, imageManifestMediaType: MEDIA.ociManifest, imageTag: 'typed' }),
  );
  expect(image?.imageManifestMediaType).toBe(MEDIA.ociManifest);
  expect((await describe1('app', sha256(manifest))).imageManifestMediaType).toBe(MEDIA.ociManifest);
});

test('a manifest that is not JSON is InvalidParameterException', async () => {
  const error = await failure(client.send(new PutImageCommand({ repositoryName: 'app', imageManifest: 'not json', imageTag: 'x' })));
  expect(error).toBeInstanceOf(InvalidParameterException);
  expect(error.message).toMatch(/^Invalid parameter at 'imageManifest' failed to satisfy constraint: /);
});

test('a tag with characters ECR does not store is InvalidParameterException, and nothing is stored', async () => {
  const image = await buildImage(server, 'app', { seed: 'bad-tag', layerCount: 1 });
  const error = await failure(client.send(new PutImageCommand({ repositoryName: 'app', imageManifest: image.manifest, imageTag: 'bad tag!' })));
  expect(error).toBeInstanceOf(InvalidParameterException);
  expect(error.message).toBe("Invalid parameter at 'imageTag' failed to satisfy constraint: 'must satisfy regular expression '[a-zA-Z0-9-_.]+''");
  const listed = await client.send(new DescribeImagesCommand({ repositoryName: 'app', imageIds: [{ imageDigest: sha256(image.manifest) }] })).catch((e: Error) => e);
  expect(listed).toBeInstanceOf(Error);
});

test('a missing repository is RepositoryNotFoundException', async () => {
  const image = await buildImage(server, 'app', { seed: 'nowhere' });
  const error = await failure(client.send(new PutImageCommand({ repositoryName: 'missing', imageManifest: image.manifest, imageTag: 'x' })));
  expect(error).toBeInstanceOf(RepositoryNotFoundException);
  expect(error.message).toBe("The repository with name 'missing' does not exist in the registry with id '000000000000'");
});

test('registryId addresses that account\'s registry', async () => {
  const other = server.client({ accountId: '111111111111' });
  await other.send(new CreateRepositoryCommand({ repositoryName: 'shared' }));
  const image = await buildImage(server, 'shared', { seed: 'cross', scope: { accountId: '111111111111', region: 'us-east-1' } });
  const { image: answered } = await client.send(
    new PutImageCommand({ registryId: '111111111111', repositoryName: 'shared', imageManifest: image.manifest, imageTag: 't' }),
  );
  expect(answered?.registryId).toBe('111111111111');
  const seen = await other.send(new DescribeImagesCommand({ repositoryName: 'shared' }));
  expect(seen.imageDetails?.map((d) => d.imageDigest)).toEqual([image.digest]);
});
