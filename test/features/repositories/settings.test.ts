import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  InvalidParameterException,
  PutImageScanningConfigurationCommand,
  PutImageTagMutabilityCommand,
  RepositoryNotFoundException,
  ValidationException,
  type ECRClient,
  type ImageTagMutability,
  type Repository,
} from '@aws-sdk/client-ecr';
import { failure } from '../../helpers/failure.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
let client: ECRClient;
beforeAll(async () => {
  server = await startTestServer();
  client = server.client();
});
afterAll(() => server.close());

let counter = 0;
async function freshRepository(): Promise<string> {
  const repositoryName = `settings-${++counter}`;
  await client.send(new CreateRepositoryCommand({ repositoryName }));
  return repositoryName;
}

const describe1 = async (repositoryName: string, registryId?: string): Promise<Repository> =>
  (await client.send(new DescribeRepositoriesCommand({ repositoryNames: [repositoryName], registryId }))).repositories![0];

describe('PutImageTagMutability', () => {
  test.each<ImageTagMutability>(['IMMUTABLE', 'MUTABLE'])('%s is answered and reflected by DescribeRepositories', async (mode) => {
    const repositoryName = await freshRepository();
    const result = await client.send(new PutImageTagMutabilityCommand({ repositoryName, imageTagMutability: mode }));
    expect(result).toMatchObject({ registryId: '000000000000', repositoryName, imageTagMutability: mode });
    expect(result.imageTagMutabilityExclusionFilters).toBeUndefined();
    expect((await describe1(repositoryName)).imageTagMutability).toBe(mode);
  });

  test.each<ImageTagMutability>(['MUTABLE_WITH_EXCLUSION', 'IMMUTABLE_WITH_EXCLUSION'])('%s with filters is answered and reflected', async (mode) => {
    const repositoryName = await freshRepository();
    const filters = [{ filterType: 'WILDCARD' as const, filter: 'release-*' }];
    const result = await client.send(
      new PutImageTagMutabilityCommand({ repositoryName, imageTagMutability: mode, imageTagMutabilityExclusionFilters: filters }),
    );
    expect(result).toMatchObject({ repositoryName, imageTagMutability: mode, imageTagMutabilityExclusionFilters: filters });
    const described = await describe1(repositoryName);
    expect(described.imageTagMutability).toBe(mode);
    expect(described.imageTagMutabilityExclusionFilters).toEqual(filters);
  });

  test('going back to a plain mode drops the old filters', async () => {
    const repositoryName = await freshRepository();
    await client.send(
      new PutImageTagMutabilityCommand({
        repositoryName,
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'dev-*' }],
      }),
    );
    await client.send(new PutImageTagMutabilityCommand({ repositoryName, imageTagMutability: 'IMMUTABLE' }));
    const described = await describe1(repositoryName);
    expect(described.imageTagMutability).toBe('IMMUTABLE');
    expect(described.imageTagMutabilityExclusionFilters).toBeUndefined();
  });

  test('filters missing for a *_WITH_EXCLUSION mode, or given with a plain mode, are InvalidParameterException and change nothing', async () => {
    const repositoryName = await freshRepository();
    const missing = await failure(client.send(new PutImageTagMutabilityCommand({ repositoryName, imageTagMutability: 'MUTABLE_WITH_EXCLUSION' })));
    expect(missing).toBeInstanceOf(InvalidParameterException);
    expect(missing.message).toBe(
      "Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: 'ImageTagMutabilityExclusionFilters can't be null when imageTagMutability is set as MUTABLE_WITH_EXCLUSION'",
    );
    const extra = await failure(
      client.send(
        new PutImageTagMutabilityCommand({
          repositoryName,
          imageTagMutability: 'IMMUTABLE',
          imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'x' }],
        }),
      ),
    );
    expect(extra).toBeInstanceOf(InvalidParameterException);
    expect((await describe1(repositoryName)).imageTagMutability).toBe('MUTABLE');
  });

  test('an unknown repository is RepositoryNotFoundException', async () => {
    const error = await failure(client.send(new PutImageTagMutabilityCommand({ repositoryName: 'nowhere', imageTagMutability: 'IMMUTABLE' })));
    expect(error).toBeInstanceOf(RepositoryNotFoundException);
    expect(error.message).toBe("The repository with name 'nowhere' does not exist in the registry with id '000000000000'");
  });

  // PutImageTagMutability does not declare ValidationException (PutImageScanningConfiguration, below, does).
  test('a missing or unknown mode is InvalidParameterException', async () => {
    const repositoryName = await freshRepository();
    const missing = await failure(client.send(new PutImageTagMutabilityCommand({ repositoryName } as never)));
    expect(missing).toBeInstanceOf(InvalidParameterException);
    expect(missing.message).toBe("Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'must not be null'");
    const unknown = await failure(
      client.send(new PutImageTagMutabilityCommand({ repositoryName, imageTagMutability: 'frozen' as ImageTagMutability })),
    );
    expect(unknown).toBeInstanceOf(InvalidParameterException);
    expect(unknown.message).toBe(
      "Invalid parameter at 'imageTagMutability' failed to satisfy constraint: " +
        "'must satisfy enum value set: [IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE, MUTABLE_WITH_EXCLUSION]'",
    );
  });

  test('with registryId it changes that registry\'s repository', async () => {
    const other = server.client({ accountId: '555555555555' });
    await other.send(new CreateRepositoryCommand({ repositoryName: 'elsewhere' }));
    const result = await client.send(
      new PutImageTagMutabilityCommand({ registryId: '555555555555', repositoryName: 'elsewhere', imageTagMutability: 'IMMUTABLE' }),
    );
    expect(result.registryId).toBe('555555555555');
    expect((await describe1('elsewhere', '555555555555')).imageTagMutability).toBe('IMMUTABLE');
  });
});

describe('PutImageScanningConfiguration', () => {
  test('turning scanOnPush on and off is answered and reflected by DescribeRepositories', async () => {
    const repositoryName = await freshRepository();
    const on = await client.send(new PutImageScanningConfigurationCommand({ repositoryName, imageScanningConfiguration: { scanOnPush: true } }));
    expect(on).toMatchObject({ registryId: '000000000000', repositoryName, imageScanningConfiguration: { scanOnPush: true } });
    expect((await describe1(repositoryName)).imageScanningConfiguration).toEqual({ scanOnPush: true });

    const off = await client.send(new PutImageScanningConfigurationCommand({ repositoryName, imageScanningConfiguration: { scanOnPush: false } }));
    expect(off.imageScanningConfiguration).toEqual({ scanOnPush: false });
    expect((await describe1(repositoryName)).imageScanningConfiguration).toEqual({ scanOnPush: false });
  });

  test('changing scanning keeps the other settings', async () => {
    const repositoryName = `settings-${++counter}`;
    await client.send(
      new CreateRepositoryCommand({
        repositoryName,
        imageTagMutability: 'IMMUTABLE',
        encryptionConfiguration: { encryptionType: 'KMS', kmsKey: 'arn:aws:kms:us-east-1:000000000000:key/k' },
      }),
    );
    const before = await describe1(repositoryName);
    await client.send(new PutImageScanningConfigurationCommand({ repositoryName, imageScanningConfiguration: { scanOnPush: true } }));
    const after = await describe1(repositoryName);
    expect(after).toEqual({ ...before, imageScanningConfiguration: { scanOnPush: true } });
  });

  test('an unknown repository is RepositoryNotFoundException', async () => {
    await expect(
      client.send(new PutImageScanningConfigurationCommand({ repositoryName: 'nowhere', imageScanningConfiguration: { scanOnPush: true } })),
    ).rejects.toThrow(RepositoryNotFoundException);
  });

  test('a missing configuration is ValidationException', async () => {
    const repositoryName = await freshRepository();
    const error = await failure(client.send(new PutImageScanningConfigurationCommand({ repositoryName } as never)));
    expect(error).toBeInstanceOf(ValidationException);
    expect(error.message).toBe(
      "1 validation error detected: Value null at 'imageScanningConfiguration' failed to satisfy constraint: Member must not be null",
    );
  });
});
