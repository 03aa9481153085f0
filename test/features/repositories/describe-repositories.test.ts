import {
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeRepositoriesCommand,
  InvalidParameterException,
  RepositoryNotFoundException,
  paginateDescribeRepositories,
  type ECRClient,
  type Repository,
} from '@aws-sdk/client-ecr';
import { failure } from '../../helpers/failure.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

async function createAll(client: ECRClient, names: string[]): Promise<void> {
  for (const repositoryName of names) await client.send(new CreateRepositoryCommand({ repositoryName }));
}

describe('by name', () => {
  let server: TestServer;
  let client: ECRClient;
  beforeAll(async () => {
    server = await startTestServer();
    client = server.client();
    await createAll(client, ['alpha', 'beta', 'team/gamma']);
  });
  afterAll(() => server.close());

  test('returns exactly the named repositories with their full description', async () => {
    const { repositories, nextToken } = await client.send(new DescribeRepositoriesCommand({ repositoryNames: ['team/gamma', 'alpha'] }));
    expect(nextToken).toBeUndefined();
    expect(repositories?.map((r) => r.repositoryName).sort()).toEqual(['alpha', 'team/gamma']);
    const gamma = repositories!.find((r) => r.repositoryName === 'team/gamma')!;
    expect(gamma).toEqual({
      repositoryArn: 'arn:aws:ecr:us-east-1:000000000000:repository/team/gamma',
      registryId: '000000000000',
      repositoryName: 'team/gamma',
      repositoryUri: `127.0.0.1:${server.port}/team/gamma`,
      createdAt: expect.any(Date),
      imageTagMutability: 'MUTABLE',
      imageScanningConfiguration: { scanOnPush: false },
      encryptionConfiguration: { encryptionType: 'AES256' },
    });
  });

  test('a name given twice is returned once', async () => {
    const { repositories } = await client.send(new DescribeRepositoriesCommand({ repositoryNames: ['beta', 'beta'] }));
    expect(repositories?.map((r) => r.repositoryName)).toEqual(['beta']);
  });

  test('an unknown name is RepositoryNotFoundException naming it and the registry', async () => {
    const error = await failure(client.send(new DescribeRepositoriesCommand({ repositoryNames: ['alpha', 'missing'] })));
    expect(error).toBeInstanceOf(RepositoryNotFoundException);
    expect(error.message).toBe("The repository with name 'missing' does not exist in the registry with id '000000000000'");
    expect(error.$metadata?.httpStatusCode).toBe(400);
  });

  // DescribeRepositories does not declare ValidationException: model violations are
  // InvalidParameterException "Invalid parameter at '<member>' failed to satisfy constraint: '...'".
  test('an invalid name in the list is InvalidParameterException for the whole list', async () => {
    const error = await failure(client.send(new DescribeRepositoriesCommand({ repositoryNames: ['alpha', 'Bad'] })));
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(error.message).toMatch(
      /^Invalid parameter at 'repositoryNames' failed to satisfy constraint: 'must satisfy constraint: \[Member must have length less than or equal to 256, Member must have length greater than or equal to 2, Member must satisfy regular expression pattern: .+\]'$/,
    );
  });

  test('an empty list is InvalidParameterException', async () => {
    const error = await failure(client.send(new DescribeRepositoriesCommand({ repositoryNames: [] })));
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(error.message).toBe("Invalid parameter at 'repositoryNames' failed to satisfy constraint: 'must have length greater than or equal to 1'");
  });

  test('maxResults or nextToken together with repositoryNames is InvalidParameterException', async () => {
    await expect(client.send(new DescribeRepositoriesCommand({ repositoryNames: ['alpha'], maxResults: 5 }))).rejects.toThrow(
      InvalidParameterException,
    );
    await expect(client.send(new DescribeRepositoriesCommand({ repositoryNames: ['alpha'], nextToken: 'x' }))).rejects.toThrow(
      InvalidParameterException,
    );
  });
});

describe('listing and pagination', () => {
  let server: TestServer;
  let client: ECRClient;
  const names = ['r00', 'r01', 'r02', 'r03', 'r04', 'r05', 'r06', 'r07', 'r08', 'r09'];
  beforeAll(async () => {
    server = await startTestServer();
    client = server.client();
    // Created in reverse, so the order seen comes from the listing itself.
    await createAll(client, [...names].reverse());
  });
  afterAll(() => server.close());

  test('without arguments lists every repository of the registry in one page', async () => {
    const { repositories, nextToken } = await client.send(new DescribeRepositoriesCommand({}));
    expect(nextToken).toBeUndefined();
    expect(repositories?.map((r) => r.repositoryName).sort()).toEqual(names);
  });

  test('paginateDescribeRepositories with pageSize 3 visits every repository exactly once over 4 pages', async () => {
    const pages: Repository[][] = [];
    for await (const page of paginateDescribeRepositories({ client, pageSize: 3 }, {})) pages.push(page.repositories ?? []);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 3, 1]);
    const seen = pages.flat().map((r) => r.repositoryName!);
    expect(seen).toHaveLength(names.length);
    expect([...seen].sort()).toEqual(names);
    expect(new Set(seen).size).toBe(names.length);
  });

  test('a page size that divides the count exactly ends without an empty page', async () => {
    const pages: Repository[][] = [];
    for await (const page of paginateDescribeRepositories({ client, pageSize: 5 }, {})) pages.push(page.repositories ?? []);
    expect(pages.map((p) => p.length)).toEqual([5, 5]);
  });

  test('the last page has no nextToken; every other page has one', async () => {
    const first = await client.send(new DescribeRepositoriesCommand({ maxResults: 9 }));
    expect(first.repositories).toHaveLength(9);
    expect(first.nextToken).toEqual(expect.any(String));
    const second = await client.send(new DescribeRepositoriesCommand({ maxResults: 9, nextToken: first.nextToken }));
    expect(second.repositories).toHaveLength(1);
    expect(second.nextToken).toBeUndefined();
    const all = await client.send(new DescribeRepositoriesCommand({ maxResults: 10 }));
    expect(all.repositories).toHaveLength(10);
    expect(all.nextToken).toBeUndefined();
  });

  test('a repository created while paging after the current position is still found', async () => {
    const first = await client.send(new DescribeRepositoriesCommand({ maxResults: 5 }));
    const seen = first.repositories!.map((r) => r.repositoryName!);
    await client.send(new CreateRepositoryCommand({ repositoryName: 'zz-late' }));
    try {
      let token = first.nextToken;
      while (token) {
        const page = await client.send(new DescribeRepositoriesCommand({ maxResults: 5, nextToken: token }));
        seen.push(...page.repositories!.map((r) => r.repositoryName!));
        token = page.nextToken;
      }
      expect(seen.sort()).toEqual([...names, 'zz-late']);
    } finally {
      await client.send(new DeleteRepositoryCommand({ repositoryName: 'zz-late' }));
    }
  });

  test.each(['not-a-token', 'eyJ4IjoxfQ', Buffer.from(JSON.stringify({ l: 'images', k: 'r03' })).toString('base64url')])(
    'nextToken %s is InvalidParameterException',
    async (nextToken) => {
      const error = await failure(client.send(new DescribeRepositoriesCommand({ nextToken })));
      expect(error).toBeInstanceOf(InvalidParameterException);
      expect(error.message).toContain('nextToken');
    },
  );

  test.each([
    [0, 'must have value greater than or equal to 1'],
    [1001, 'must have value less than or equal to 1000'],
    [-1, 'must have value greater than or equal to 1'],
  ])('maxResults %d is InvalidParameterException', async (maxResults, constraint) => {
    const error = await failure(client.send(new DescribeRepositoriesCommand({ maxResults })));
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(error.message).toBe(`Invalid parameter at 'maxResults' failed to satisfy constraint: '${constraint}'`);
  });

  test('maxResults 1 and 1000 are accepted', async () => {
    expect((await client.send(new DescribeRepositoriesCommand({ maxResults: 1 }))).repositories).toHaveLength(1);
    expect((await client.send(new DescribeRepositoriesCommand({ maxResults: 1000 }))).repositories).toHaveLength(10);
  });
});

describe('default scope vs registryId', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
    await createAll(server.client(), ['mine']);
    await createAll(server.client({ accountId: '222222222222' }), ['theirs']);
  });
  afterAll(() => server.close());

  test("without registryId a caller sees its own registry's repositories", async () => {
    const own = await server.client().send(new DescribeRepositoriesCommand({}));
    expect(own.repositories?.map((r) => r.repositoryName)).toEqual(['mine']);
    const other = await server.client({ accountId: '222222222222' }).send(new DescribeRepositoriesCommand({}));
    expect(other.repositories?.map((r) => r.repositoryName)).toEqual(['theirs']);
  });

  test('with registryId the named registry is described', async () => {
    const { repositories } = await server.client().send(new DescribeRepositoriesCommand({ registryId: '222222222222' }));
    expect(repositories?.map((r) => [r.repositoryName, r.registryId, r.repositoryArn])).toEqual([
      ['theirs', '222222222222', 'arn:aws:ecr:us-east-1:222222222222:repository/theirs'],
    ]);
    const mine = await server.client({ accountId: '222222222222' }).send(new DescribeRepositoriesCommand({ registryId: '000000000000' }));
    expect(mine.repositories?.map((r) => r.repositoryName)).toEqual(['mine']);
  });

  test('naming a repository of another registry without registryId is RepositoryNotFoundException for the caller registry', async () => {
    const error = await failure(server.client().send(new DescribeRepositoriesCommand({ repositoryNames: ['theirs'] })));
    expect(error).toBeInstanceOf(RepositoryNotFoundException);
    expect(error.message).toBe("The repository with name 'theirs' does not exist in the registry with id '000000000000'");
  });

  test('a registry without repositories lists none', async () => {
    const { repositories, nextToken } = await server.client().send(new DescribeRepositoriesCommand({ registryId: '333333333333' }));
    expect(repositories).toEqual([]);
    expect(nextToken).toBeUndefined();
  });
});
