// The code under test: a few ECR chores written against the AWS SDK, as an application would.
// Nothing here knows about Berth; the tests point the ECRClient at it.
const {
  BatchDeleteImageCommand,
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  RepositoryNotFoundException,
  paginateDescribeImages,
  paginateListImages,
} = require('@aws-sdk/client-ecr');

/** The repository called `name`, created first if it does not exist. */
async function ensureRepository(client, name) {
  try {
    const { repositories } = await client.send(new DescribeRepositoriesCommand({ repositoryNames: [name] }));
    return { repository: repositories[0], created: false };
  } catch (error) {
    if (!(error instanceof RepositoryNotFoundException)) throw error;
  }
  const { repository } = await client.send(new CreateRepositoryCommand({ repositoryName: name }));
  return { repository, created: true };
}

/** Every image id ({ imageDigest, imageTag? }) in the repository, all pages. */
async function listImages(client, repositoryName) {
  const imageIds = [];
  for await (const page of paginateListImages({ client }, { repositoryName })) imageIds.push(...page.imageIds);
  return imageIds;
}

/**
 * Deletes every tagged image but the `keep` most recently pushed (untagged images are left
 * alone). Resolves with the deleted images, newest first, as { imageDigest, imageTags }.
 */
async function removeOldTags(client, repositoryName, keep) {
  const tagged = [];
  const pages = paginateDescribeImages({ client }, { repositoryName, filter: { tagStatus: 'TAGGED' } });
  for await (const page of pages) tagged.push(...page.imageDetails);
  tagged.sort((a, b) => b.imagePushedAt - a.imagePushedAt);
  const old = tagged.slice(keep);
  // BatchDeleteImage takes at most 100 image ids a call.
  for (let start = 0; start < old.length; start += 100) {
    const imageIds = old.slice(start, start + 100).map(({ imageDigest }) => ({ imageDigest }));
    const { failures } = await client.send(new BatchDeleteImageCommand({ repositoryName, imageIds }));
    if (failures.length > 0) throw new Error(`could not delete ${failures.map((f) => `${f.imageId.imageDigest}: ${f.failureReason}`).join(', ')}`);
  }
  return old.map(({ imageDigest, imageTags }) => ({ imageDigest, imageTags }));
}

module.exports = { ensureRepository, listImages, removeOldTags };
