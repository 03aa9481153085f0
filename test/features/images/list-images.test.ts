import {
  CreateRepositoryCommand,
  InvalidParameterException,
  ListImagesCommand,
  PutImageCommand,
  RepositoryNotFoundException,
  paginateListImages,
  type ECRClient,
  type ImageIdentifier,
} from '@aws-sdk/client-ecr';
import { failure } from '../../helpers/failure.js';
import { putImage, type BuiltImage } from '../../helpers/images.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
let client: ECRClient;
let multi: BuiltImage;
let single: BuiltImage;
let bare: BuiltImage;
beforeAll(async () => {
  server = await startTestServer();
  client = server.client();
  await client.send(new CreateRepositoryCommand({ repositoryName: 'app' }));
  multi = await putImage(server, client, 'app', 'a', { seed: 'multi' });
  for (const tag of ['b', 'c']) await client.send(new PutImageCommand({ repositoryName: 'app', imageManifest: multi.manifest, imageTag: tag }));
  single = await putImage(server, client, 'app', 'solo', { seed: 'single' });
  bare = await putImage(server, client, 'app', undefined, { seed: 'bare' });
});
afterAll(() => server.close());

const key = (id: ImageIdentifier) => `${id.imageDigest}|${id.imageTag ?? ''}`;
const sorted = (ids: ImageIdentifier[] | undefined) => (ids ?? []).map(key).sort();

test('one id per tag, and the bare digest for an untagged image', async () => {
  const { imageIds, nextToken } = await client.send(new ListImagesCommand({ repositoryName: 'app' }));
  expect(nextToken).toBeUndefined();
  expect(sorted(imageIds)).toEqual(
    sorted([
      { imageDigest: multi.digest, imageTag: 'a' },
      { imageDigest: multi.digest, imageTag: 'b' },
      { imageDigest: multi.digest, imageTag: 'c' },
      { imageDigest: single.digest, imageTag: 'solo' },
      { imageDigest: bare.digest },
    ]),
  );
  expect(imageIds!.find((id) => id.imageDigest === bare.digest)).toEqual({ imageDigest: bare.digest });
});

test('filter.tagStatus TAGGED, UNTAGGED and ANY', async () => {
  const list = async (tagStatus: 'TAGGED' | 'UNTAGGED' | 'ANY') =>
    (await client.send(new ListImagesCommand({ repositoryName: 'app', filter: { tagStatus } }))).imageIds;
  expect(await list('UNTAGGED')).toEqual([{ imageDigest: bare.digest }]);
  expect((await list('TAGGED'))!.map((id) => id.imageTag).sort()).toEqual(['a', 'b', 'c', 'solo']);
  expect(await list('ANY')).toHaveLength(5);
});

test('filter.imageStatus ARCHIVED lists nothing: every image is ACTIVE', async () => {
  expect((await client.send(new ListImagesCommand({ repositoryName: 'app', filter: { imageStatus: 'ARCHIVED' } }))).imageIds).toEqual([]);
  expect((await client.send(new ListImagesCommand({ repositoryName: 'app', filter: { imageStatus: 'ACTIVE' } }))).imageIds).toHaveLength(5);
});

test('pages of one and two split an image\'s tags and still list every id exactly once', async () => {
  const everything = sorted((await client.send(new ListImagesCommand({ repositoryName: 'app' }))).imageIds);
  for (const pageSize of [1, 2]) {
    const seen: ImageIdentifier[] = [];
    for await (const page of paginateListImages({ client, pageSize }, { repositoryName: 'app' })) {
      expect(page.imageIds!.length).toBeLessThanOrEqual(pageSize);
      seen.push(...page.imageIds!);
    }
    expect(sorted(seen)).toEqual(everything);
  }
});

test('a page that ends inside an image resumes with its remaining tags', async () => {
  const first = await client.send(new ListImagesCommand({ repositoryName: 'app', filter: { tagStatus: 'TAGGED' }, maxResults: 1 }));
  const firstId = first.imageIds![0];
  const rest: ImageIdentifier[] = [];
  let token = first.nextToken;
  while (token) {
    const page = await client.send(new ListImagesCommand({ repositoryName: 'app', filter: { tagStatus: 'TAGGED' }, maxResults: 1, nextToken: token }));
    rest.push(...page.imageIds!);
    token = page.nextToken;
  }
  expect(sorted([firstId, ...rest])).toEqual(
    sorted([
      { imageDigest: multi.digest, imageTag: 'a' },
      { imageDigest: multi.digest, imageTag: 'b' },
      { imageDigest: multi.digest, imageTag: 'c' },
      { imageDigest: single.digest, imageTag: 'solo' },
    ]),
  );
});

test('without maxResults a page holds 100 ids', async () => {
  await client.send(new CreateRepositoryCommand({ repositoryName: 'tags' }));
  const image = await putImage(server, client, 'tags', 't000', { seed: 'many-tags' });
  for (let i = 1; i < 101; i++) {
    await client.send(new PutImageCommand({ repositoryName: 'tags', imageManifest: image.manifest, imageTag: `t${String(i).padStart(3, '0')}` }));
  }
  const first = await client.send(new ListImagesCommand({ repositoryName: 'tags' }));
  expect(first.imageIds).toHaveLength(100);
  expect(first.nextToken).toEqual(expect.any(String));
  const second = await client.send(new ListImagesCommand({ repositoryName: 'tags', nextToken: first.nextToken }));
  expect(second.imageIds).toEqual([{ imageDigest: image.digest, imageTag: 't100' }]);
  expect(second.nextToken).toBeUndefined();
});

test('a nextToken Berth did not issue is InvalidParameterException', async () => {
  const error = await failure(client.send(new ListImagesCommand({ repositoryName: 'app', nextToken: 'garbage' })));
  expect(error).toBeInstanceOf(InvalidParameterException);
  expect(error.message).toBe("Invalid parameter at 'nextToken' failed to satisfy constraint: 'Invalid nextToken provided'");
});

test('maxResults outside 1..1000 is InvalidParameterException', async () => {
  await expect(client.send(new ListImagesCommand({ repositoryName: 'app', maxResults: 0 }))).rejects.toThrow(InvalidParameterException);
  await expect(client.send(new ListImagesCommand({ repositoryName: 'app', maxResults: 1001 }))).rejects.toThrow(InvalidParameterException);
});

test('a missing repository is RepositoryNotFoundException', async () => {
  const error = await failure(client.send(new ListImagesCommand({ repositoryName: 'missing' })));
  expect(error).toBeInstanceOf(RepositoryNotFoundException);
  expect(error.message).toBe("The repository with name 'missing' does not exist in the registry with id '000000000000'");
});
