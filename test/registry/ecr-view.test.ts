import {
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeImagesCommand,
  RepositoryNotEmptyException,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { failure } from '../helpers/failure.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createRepository, expectOciError, pushImage, uniqueName, v2 } from '../helpers/registry.js';

// What the registry does, as the ECR API sees it: pulls through /v2 are recorded as
// lastRecordedPullTime, and a repository holding pushed images is deleted only with force.

let server: TestServer;
let client: ECRClient;
beforeAll(async () => {
  server = await startTestServer();
  client = server.client();
});
afterAll(() => server.close());

const detailOf = async (repositoryName: string, imageDigest: string) =>
  (await client.send(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageDigest }] }))).imageDetails![0];

test('a manifest GET through /v2 is a pull (lastRecordedPullTime); a HEAD is not', async () => {
  const name = await createRepository(server, uniqueName('pulls'));
  const image = await pushImage(server, name, { tag: 'v1' });
  expect((await detailOf(name, image.digest)).lastRecordedPullTime).toBeUndefined();

  expect((await v2(server, 'HEAD', `/v2/${name}/manifests/v1`)).status).toBe(200);
  expect((await detailOf(name, image.digest)).lastRecordedPullTime).toBeUndefined();

  const start = Math.floor(Date.now() / 1000) * 1000;
  expect((await v2(server, 'GET', `/v2/${name}/manifests/v1`)).status).toBe(200);
  const pulledAt = (await detailOf(name, image.digest)).lastRecordedPullTime;
  expect(pulledAt).toBeInstanceOf(Date);
  expect(pulledAt!.getTime()).toBeGreaterThanOrEqual(start);
});

test('a repository with pushed images is RepositoryNotEmptyException without force, and nothing is removed', async () => {
  const name = await createRepository(server, uniqueName('not-empty'));
  const image = await pushImage(server, name, { tag: 'v1' });
  const error = await failure(client.send(new DeleteRepositoryCommand({ repositoryName: name })));
  expect(error).toBeInstanceOf(RepositoryNotEmptyException);
  expect(error.message).toBe(
    `The repository with name '${name}' in registry with id '000000000000' cannot be deleted because it still contains images`,
  );
  expect((await v2(server, 'GET', `/v2/${name}/manifests/v1`)).status).toBe(200);
  expect((await detailOf(name, image.digest)).imageTags).toEqual(['v1']);
});

test('force deletes the repository with its images: the registry forgets them, and a new repository of that name starts empty', async () => {
  const name = await createRepository(server, uniqueName('forced'));
  const image = await pushImage(server, name, { tag: 'v1' });
  await client.send(new DeleteRepositoryCommand({ repositoryName: name, force: true }));
  expectOciError(await v2(server, 'GET', `/v2/${name}/manifests/v1`), 404, 'NAME_UNKNOWN');

  await client.send(new CreateRepositoryCommand({ repositoryName: name }));
  expect((await client.send(new DescribeImagesCommand({ repositoryName: name }))).imageDetails).toEqual([]);
  expectOciError(await v2(server, 'GET', `/v2/${name}/manifests/${image.digest}`), 404, 'MANIFEST_UNKNOWN');
  // Its blobs are no longer linked to the repository (the collector frees the bytes later).
  expect((await v2(server, 'HEAD', `/v2/${name}/blobs/${image.layers[0].digest}`)).status).toBe(404);
  expect((await v2(server, 'GET', `/v2/${name}/tags/list`)).json<{ tags: string[] }>().tags).toEqual([]);
});
