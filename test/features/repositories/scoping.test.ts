import {
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeRepositoriesCommand,
  RepositoryNotFoundException,
} from '@aws-sdk/client-ecr';
import { startTestServer, type TestServer } from '../../helpers/server.js';

describe('accounts and regions', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());

  test('a repository belongs to the account of the access key and the region of the credential scope', async () => {
    const owner = server.client({ accountId: '111111111111' });
    const { repository } = await owner.send(new CreateRepositoryCommand({ repositoryName: 'scoped/app' }));
    expect(repository).toMatchObject({
      registryId: '111111111111',
      repositoryArn: 'arn:aws:ecr:us-east-1:111111111111:repository/scoped/app',
    });
    const { repositories } = await owner.send(new DescribeRepositoriesCommand({}));
    expect(repositories?.map((r) => [r.repositoryName, r.registryId])).toEqual([['scoped/app', '111111111111']]);
  });

  test('it is invisible to the default account', async () => {
    const stranger = server.client();
    const { repositories } = await stranger.send(new DescribeRepositoriesCommand({}));
    expect(repositories?.map((r) => r.repositoryName)).not.toContain('scoped/app');
    await expect(stranger.send(new DescribeRepositoriesCommand({ repositoryNames: ['scoped/app'] }))).rejects.toThrow(
      RepositoryNotFoundException,
    );
  });

  test('it is invisible to the same account in another region, even naming the registry', async () => {
    const west = server.client({ accountId: '111111111111', region: 'us-west-2' });
    const { repositories } = await west.send(new DescribeRepositoriesCommand({}));
    expect(repositories).toEqual([]);
    await expect(west.send(new DescribeRepositoriesCommand({ registryId: '111111111111', repositoryNames: ['scoped/app'] }))).rejects.toThrow(
      RepositoryNotFoundException,
    );
  });

  test('the same name can exist once per account and region, independently', async () => {
    const east = server.client({ accountId: '111111111111' });
    const west = server.client({ accountId: '111111111111', region: 'eu-west-1' });
    const other = server.client({ accountId: '222222222222' });
    const a = await west.send(new CreateRepositoryCommand({ repositoryName: 'scoped/app', imageTagMutability: 'IMMUTABLE' }));
    const b = await other.send(new CreateRepositoryCommand({ repositoryName: 'scoped/app' }));
    expect(a.repository?.repositoryArn).toBe('arn:aws:ecr:eu-west-1:111111111111:repository/scoped/app');
    expect(b.repository?.repositoryArn).toBe('arn:aws:ecr:us-east-1:222222222222:repository/scoped/app');

    // Deleting one leaves the others.
    await west.send(new DeleteRepositoryCommand({ repositoryName: 'scoped/app' }));
    expect((await east.send(new DescribeRepositoriesCommand({ repositoryNames: ['scoped/app'] }))).repositories).toHaveLength(1);
    expect((await other.send(new DescribeRepositoriesCommand({ repositoryNames: ['scoped/app'] }))).repositories).toHaveLength(1);
  });

  test("a region whose name is a prefix of another's does not see the other's repositories", async () => {
    // Account ids are fixed-length, region names are not: the scope prefix must end where the region does.
    const short = server.client({ accountId: '666666666666', region: 'ap-south-1' });
    const long = server.client({ accountId: '666666666666', region: 'ap-south-10' });
    await long.send(new CreateRepositoryCommand({ repositoryName: 'long-region' }));
    expect((await short.send(new DescribeRepositoriesCommand({}))).repositories).toEqual([]);
  });

  test('ARNs use the partition of the region', async () => {
    const china = server.client({ accountId: '777777777777', region: 'cn-north-1' });
    const { repository } = await china.send(new CreateRepositoryCommand({ repositoryName: 'partitioned' }));
    expect(repository?.repositoryArn).toBe('arn:aws-cn:ecr:cn-north-1:777777777777:repository/partitioned');
  });
});

describe('--registry-host template', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ registryHost: '{account}.dkr.ecr.{region}.localhost:5080' });
  });
  afterAll(() => server.close());

  test('repositoryUri is built from the template with the account and region filled in', async () => {
    const { repository } = await server.client().send(new CreateRepositoryCommand({ repositoryName: 'web/api' }));
    expect(repository?.repositoryUri).toBe('000000000000.dkr.ecr.us-east-1.localhost:5080/web/api');

    const other = server.client({ accountId: '111111111111', region: 'eu-central-1' });
    const created = await other.send(new CreateRepositoryCommand({ repositoryName: 'svc' }));
    expect(created.repository?.repositoryUri).toBe('111111111111.dkr.ecr.eu-central-1.localhost:5080/svc');
    const { repositories } = await other.send(new DescribeRepositoriesCommand({}));
    expect(repositories?.[0].repositoryUri).toBe('111111111111.dkr.ecr.eu-central-1.localhost:5080/svc');
  });

  test("a registryId puts that account in the URI, with the caller's region", async () => {
    await server.client({ accountId: '333333333333' }).send(new CreateRepositoryCommand({ repositoryName: 'shared' }));
    const { repositories } = await server.client().send(new DescribeRepositoriesCommand({ registryId: '333333333333' }));
    expect(repositories?.map((r) => r.repositoryUri)).toEqual(['333333333333.dkr.ecr.us-east-1.localhost:5080/shared']);
  });
});
