// The tests of src/cleanup.js, shared by the CommonJS and the ESM test files. `connect` sets
// up one Berth target and resolves to { client, reset, stop }.
const { DescribeRepositoriesCommand, RepositoryNotFoundException } = require('@aws-sdk/client-ecr');
const { ensureRepository, listImages, removeOldTags } = require('../src/cleanup.js');
const { pushImage } = require('./push-image.js');

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function cleanupTests(connect) {
  let target;
  beforeAll(async () => {
    target = await connect();
  });
  afterAll(() => target?.stop());
  beforeEach(() => target.reset());

  test('ensureRepository creates a missing repository, then finds it', async () => {
    const first = await ensureRepository(target.client, 'team/app');
    expect(first.created).toBe(true);
    expect(first.repository.repositoryName).toBe('team/app');

    const second = await ensureRepository(target.client, 'team/app');
    expect(second).toEqual({ created: false, repository: first.repository });
    const { repositories } = await target.client.send(new DescribeRepositoriesCommand({}));
    expect(repositories.map((r) => r.repositoryName)).toEqual(['team/app']);
  });

  test('listImages lists every pushed image, and a missing repository is the SDK\'s own error', async () => {
    await ensureRepository(target.client, 'team/app');
    expect(await listImages(target.client, 'team/app')).toEqual([]);
    const digest = await pushImage(target.client, 'team/app', { content: 'layer one', tag: 'v1' });
    const untagged = await pushImage(target.client, 'team/app', { content: 'layer two' });

    const images = await listImages(target.client, 'team/app');
    expect(images).toHaveLength(2);
    expect(images).toEqual(expect.arrayContaining([{ imageDigest: digest, imageTag: 'v1' }, { imageDigest: untagged }]));
    await expect(listImages(target.client, 'team/missing')).rejects.toBeInstanceOf(RepositoryNotFoundException);
  });

  test('removeOldTags deletes all but the newest tagged images and leaves untagged ones', async () => {
    await ensureRepository(target.client, 'team/app');
    const digests = {};
    for (const tag of ['v1', 'v2', 'v3', 'v4']) {
      digests[tag] = await pushImage(target.client, 'team/app', { content: `layer of ${tag}`, tag });
      await sleep(5); // distinct imagePushedAt (milliseconds) for each push
    }
    const untagged = await pushImage(target.client, 'team/app', { content: 'no tag' });

    const removed = await removeOldTags(target.client, 'team/app', 2);
    expect(removed).toEqual([
      { imageDigest: digests.v2, imageTags: ['v2'] },
      { imageDigest: digests.v1, imageTags: ['v1'] },
    ]);
    const left = await listImages(target.client, 'team/app');
    expect(left).toHaveLength(3);
    expect(left).toEqual(
      expect.arrayContaining([
        { imageDigest: digests.v3, imageTag: 'v3' },
        { imageDigest: digests.v4, imageTag: 'v4' },
        { imageDigest: untagged },
      ]),
    );
    expect(await removeOldTags(target.client, 'team/app', 2)).toEqual([]);
  });
}

module.exports = { cleanupTests };
