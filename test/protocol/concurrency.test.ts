import {
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeRepositoriesCommand,
  ListTagsForResourceCommand,
  RepositoryAlreadyExistsException,
  RepositoryNotFoundException,
  TagResourceCommand,
} from '@aws-sdk/client-ecr';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  // A slow store widens the window between an action's read and its write, so requests that
  // are not serialised would overlap there every time rather than by luck.
  const repositories = server.store.tables.repositories;
  const get = repositories.get.bind(repositories);
  repositories.get = async (key) => {
    const value = await get(key);
    await new Promise((resolve) => setTimeout(resolve, 5));
    return value;
  };
});
afterAll(() => server.close());

test('20 parallel CreateRepository of one name: exactly one succeeds, 19 are RepositoryAlreadyExistsException', async () => {
  // Separate clients, so the requests travel on separate connections and really overlap.
  const results = await Promise.allSettled(
    Array.from({ length: 20 }, (_, i) =>
      server.client().send(new CreateRepositoryCommand({ repositoryName: 'contested', tags: [{ Key: 'winner', Value: String(i) }] })),
    ),
  );
  const succeeded = results.filter((r) => r.status === 'fulfilled');
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  expect(succeeded).toHaveLength(1);
  expect(failed).toHaveLength(19);
  for (const { reason } of failed) expect(reason).toBeInstanceOf(RepositoryAlreadyExistsException);

  // The stored repository is the winner's, whole.
  const { repositories } = await server.client().send(new DescribeRepositoriesCommand({ repositoryNames: ['contested'] }));
  expect(repositories).toHaveLength(1);
  const winner = (succeeded[0] as PromiseFulfilledResult<{ repository?: { repositoryArn?: string } }>).value.repository!;
  const { tags } = await server.client().send(new ListTagsForResourceCommand({ resourceArn: winner.repositoryArn }));
  expect(tags).toHaveLength(1);
});

test('parallel creates of different names all succeed', async () => {
  const names = Array.from({ length: 25 }, (_, i) => `parallel-${String(i).padStart(2, '0')}`);
  await Promise.all(names.map((repositoryName) => server.client().send(new CreateRepositoryCommand({ repositoryName }))));
  const { repositories } = await server.client().send(new DescribeRepositoriesCommand({ repositoryNames: names }));
  expect(repositories?.map((r) => r.repositoryName).sort()).toEqual(names);
});

test('parallel TagResource calls on one repository lose no tag', async () => {
  const { repository } = await server.client().send(new CreateRepositoryCommand({ repositoryName: 'many-taggers' }));
  await Promise.all(
    Array.from({ length: 20 }, (_, i) =>
      server.client().send(new TagResourceCommand({ resourceArn: repository!.repositoryArn, tags: [{ Key: `k${i}`, Value: `v${i}` }] })),
    ),
  );
  const { tags } = await server.client().send(new ListTagsForResourceCommand({ resourceArn: repository!.repositoryArn }));
  expect(tags).toHaveLength(20);
});

test('20 parallel DeleteRepository of one repository: one returns it, 19 are RepositoryNotFoundException', async () => {
  await server.client().send(new CreateRepositoryCommand({ repositoryName: 'delete-race' }));
  const results = await Promise.allSettled(
    Array.from({ length: 20 }, () => server.client().send(new DeleteRepositoryCommand({ repositoryName: 'delete-race' }))),
  );
  expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  expect(failed).toHaveLength(19);
  for (const { reason } of failed) expect(reason).toBeInstanceOf(RepositoryNotFoundException);
});
