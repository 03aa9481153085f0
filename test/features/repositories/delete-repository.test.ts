import {
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeRepositoriesCommand,
  ListTagsForResourceCommand,
  InvalidParameterException,
  RepositoryNotFoundException,
} from '@aws-sdk/client-ecr';
import { failure } from '../../helpers/failure.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

test('DeleteRepository returns the repository as it was, and then it is gone', async () => {
  const client = server.client();
  const { repository: created } = await client.send(
    new CreateRepositoryCommand({
      repositoryName: 'doomed',
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      tags: [{ Key: 'k', Value: 'v' }],
    }),
  );
  const { repository: deleted } = await client.send(new DeleteRepositoryCommand({ repositoryName: 'doomed' }));
  expect(deleted).toEqual(created);

  const error = await failure(client.send(new DescribeRepositoriesCommand({ repositoryNames: ['doomed'] })));
  expect(error).toBeInstanceOf(RepositoryNotFoundException);
  const { repositories } = await client.send(new DescribeRepositoriesCommand({}));
  expect(repositories?.map((r) => r.repositoryName)).not.toContain('doomed');
  // Its tags went with it.
  await expect(client.send(new ListTagsForResourceCommand({ resourceArn: created!.repositoryArn }))).rejects.toThrow(
    RepositoryNotFoundException,
  );
});

test('a deleted name can be created again, fresh', async () => {
  const client = server.client();
  await client.send(new CreateRepositoryCommand({ repositoryName: 'phoenix', imageTagMutability: 'IMMUTABLE', tags: [{ Key: 'old', Value: '1' }] }));
  await client.send(new DeleteRepositoryCommand({ repositoryName: 'phoenix' }));
  const { repository } = await client.send(new CreateRepositoryCommand({ repositoryName: 'phoenix' }));
  expect(repository?.imageTagMutability).toBe('MUTABLE');
  const { tags } = await client.send(new ListTagsForResourceCommand({ resourceArn: repository!.repositoryArn }));
  expect(tags).toEqual([]);
});

test('force is accepted on an empty repository', async () => {
  const client = server.client();
  await client.send(new CreateRepositoryCommand({ repositoryName: 'forced' }));
  const { repository } = await client.send(new DeleteRepositoryCommand({ repositoryName: 'forced', force: true }));
  expect(repository?.repositoryName).toBe('forced');
});

test('deleting a repository that does not exist is RepositoryNotFoundException', async () => {
  const error = await failure(server.client().send(new DeleteRepositoryCommand({ repositoryName: 'never-was' })));
  expect(error).toBeInstanceOf(RepositoryNotFoundException);
  expect(error.message).toBe("The repository with name 'never-was' does not exist in the registry with id '000000000000'");
  expect(error.$metadata?.httpStatusCode).toBe(400);
});

test('deleting twice: the second is RepositoryNotFoundException', async () => {
  const client = server.client();
  await client.send(new CreateRepositoryCommand({ repositoryName: 'once' }));
  await client.send(new DeleteRepositoryCommand({ repositoryName: 'once' }));
  await expect(client.send(new DeleteRepositoryCommand({ repositoryName: 'once' }))).rejects.toThrow(RepositoryNotFoundException);
});

test('deleting only removes the named repository', async () => {
  const client = server.client();
  for (const repositoryName of ['keep/a', 'keep/ab', 'keep/a/b']) await client.send(new CreateRepositoryCommand({ repositoryName }));
  await client.send(new DeleteRepositoryCommand({ repositoryName: 'keep/a' }));
  const { repositories } = await client.send(new DescribeRepositoriesCommand({ repositoryNames: ['keep/ab', 'keep/a/b'] }));
  expect(repositories).toHaveLength(2);
});

test('a repository of another account is not deleted by the default account', async () => {
  const other = server.client({ accountId: '444444444444' });
  await other.send(new CreateRepositoryCommand({ repositoryName: 'not-yours' }));
  await expect(server.client().send(new DeleteRepositoryCommand({ repositoryName: 'not-yours' }))).rejects.toThrow(
    RepositoryNotFoundException,
  );
  const { repositories } = await other.send(new DescribeRepositoriesCommand({ repositoryNames: ['not-yours'] }));
  expect(repositories).toHaveLength(1);
  // Named by registryId, it is that registry's repository that goes.
  const { repository } = await server.client().send(new DeleteRepositoryCommand({ repositoryName: 'not-yours', registryId: '444444444444' }));
  expect(repository?.registryId).toBe('444444444444');
  await expect(other.send(new DescribeRepositoriesCommand({ repositoryNames: ['not-yours'] }))).rejects.toThrow(RepositoryNotFoundException);
});

test('an invalid name is InvalidParameterException (DeleteRepository does not declare ValidationException)', async () => {
  const error = await failure(server.client().send(new DeleteRepositoryCommand({ repositoryName: 'Nope' })));
  expect(error).toBeInstanceOf(InvalidParameterException);
  expect(error.message).toBe(
    "Invalid parameter at 'repositoryName' failed to satisfy constraint: " +
      "'must satisfy regular expression '[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(\\/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*''",
  );
});
