import {
  CreateRepositoryCommand,
  DescribeRepositoriesCommand,
  InvalidParameterException,
  InvalidTagParameterException,
  ListTagsForResourceCommand,
  RepositoryAlreadyExistsException,
  TooManyTagsException,
  type CreateRepositoryCommandInput,
  type ImageTagMutability,
} from '@aws-sdk/client-ecr';
import { failure } from '../../helpers/failure.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

let counter = 0;
const uniqueName = (base: string) => `${base}-${++counter}`;
const create = (input: CreateRepositoryCommandInput) => server.client().send(new CreateRepositoryCommand(input));
const describeOne = async (repositoryName: string) =>
  (await server.client().send(new DescribeRepositoriesCommand({ repositoryNames: [repositoryName] }))).repositories![0];

// CreateRepository's modeled errors have InvalidParameterException and not ValidationException, so
// real ECR answers model violations as InvalidParameterException naming the first one, e.g.
// "Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must have length greater than or equal to 2'".
const invalidAt = (path: string, constraint: string) => `Invalid parameter at '${path}' failed to satisfy constraint: '${constraint}'`;

/** The model's repository-name pattern, as AWS prints it. */
const NAME_PATTERN = '[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*(\\/[a-z0-9]+((\\.|_|__|-+)[a-z0-9]+)*)*';

test('CreateRepository returns the repository as ECR describes it', async () => {
  const { repository } = await server.client().send(new CreateRepositoryCommand({ repositoryName: 'team/app' }));
  expect(repository).toMatchObject({
    repositoryName: 'team/app',
    registryId: '000000000000',
    repositoryArn: 'arn:aws:ecr:us-east-1:000000000000:repository/team/app',
    repositoryUri: `127.0.0.1:${server.port}/team/app`,
    imageTagMutability: 'MUTABLE',
    imageScanningConfiguration: { scanOnPush: false },
    encryptionConfiguration: { encryptionType: 'AES256' },
  });
  expect(repository?.createdAt).toBeInstanceOf(Date);
  expect(repository?.encryptionConfiguration?.kmsKey).toBeUndefined();
  expect(repository?.imageTagMutabilityExclusionFilters).toBeUndefined();
});

test('createdAt is the time of creation', async () => {
  const before = Date.now();
  const { repository } = await create({ repositoryName: uniqueName('timed') });
  const after = Date.now();
  const created = repository!.createdAt!.getTime();
  // Epoch seconds on the wire keep milliseconds as a fraction; allow a second of rounding.
  expect(created).toBeGreaterThanOrEqual(before - 1000);
  expect(created).toBeLessThanOrEqual(after + 1000);
});

test('a second CreateRepository of the same name is RepositoryAlreadyExistsException', async () => {
  const client = server.client();
  await client.send(new CreateRepositoryCommand({ repositoryName: 'twice' }));
  const error = await failure(client.send(new CreateRepositoryCommand({ repositoryName: 'twice' })));
  expect(error).toBeInstanceOf(RepositoryAlreadyExistsException);
  expect(error.message).toBe("The repository with name 'twice' already exists in the registry with id '000000000000'");
  expect(error.$metadata?.httpStatusCode).toBe(400);
});

test('names with every allowed separator and nesting are accepted', async () => {
  for (const name of ['a1', 'a.b', 'a_b', 'a__b', 'a-b', 'a---b', 'x/y/z', 'team.one/app_two/svc-3']) {
    const { repository } = await create({ repositoryName: name });
    expect(repository?.repositoryName).toBe(name);
  }
});

describe('tags', () => {
  test('are stored and listed', async () => {
    const name = uniqueName('tagged');
    const tags = [
      { Key: 'team', Value: 'platform' },
      { Key: 'cost-center', Value: '' },
      { Key: 'a:b/c=d+e@f_g.h', Value: 'é ü 1' },
    ];
    const { repository } = await create({ repositoryName: name, tags });
    const listed = await server.client().send(new ListTagsForResourceCommand({ resourceArn: repository!.repositoryArn }));
    expect(listed.tags).toEqual(expect.arrayContaining(tags));
    expect(listed.tags).toHaveLength(3);
  });

  test('exactly 50 are allowed', async () => {
    const tags = Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}`, Value: `v${i}` }));
    const { repository } = await create({ repositoryName: uniqueName('fifty'), tags });
    const listed = await server.client().send(new ListTagsForResourceCommand({ resourceArn: repository!.repositoryArn }));
    expect(listed.tags).toHaveLength(50);
  });

  test('more than 50 is TooManyTagsException, and nothing is created', async () => {
    const name = uniqueName('too-many');
    const tags = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: `v${i}` }));
    const error = await failure(create({ repositoryName: name, tags }));
    expect(error).toBeInstanceOf(TooManyTagsException);
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect((await failure(describeOne(name))).name).toBe('RepositoryNotFoundException');
  });

  test.each([
    ['an empty key', ''],
    ['a key over 128 characters', 'k'.repeat(129)],
    ['a key with characters outside the tagging alphabet', 'bad*key'],
    ['a key reserved for AWS', 'aws:created-by'],
    ['a key reserved for AWS in any case', 'AWS:Thing'],
  ])('%s is InvalidTagParameterException', async (_what, Key) => {
    const name = uniqueName('bad-tag');
    const error = await failure(create({ repositoryName: name, tags: [{ Key, Value: 'v' }] }));
    expect(error).toBeInstanceOf(InvalidTagParameterException);
    expect(error.$metadata?.httpStatusCode).toBe(400);
    expect((await failure(describeOne(name))).name).toBe('RepositoryNotFoundException');
  });

  test('a value over 256 characters or with bad characters is InvalidTagParameterException', async () => {
    await expect(create({ repositoryName: uniqueName('v'), tags: [{ Key: 'k', Value: 'v'.repeat(257) }] })).rejects.toThrow(
      InvalidTagParameterException,
    );
    await expect(create({ repositoryName: uniqueName('v'), tags: [{ Key: 'k', Value: 'semi;colon' }] })).rejects.toThrow(
      InvalidTagParameterException,
    );
    const { repository } = await create({ repositoryName: uniqueName('v'), tags: [{ Key: 'k', Value: 'v'.repeat(256) }] });
    expect(repository).toBeDefined();
  });

  test('the same key twice is InvalidTagParameterException', async () => {
    const tags = [
      { Key: 'dup', Value: '1' },
      { Key: 'dup', Value: '2' },
    ];
    await expect(create({ repositoryName: uniqueName('dup'), tags })).rejects.toThrow(InvalidTagParameterException);
  });
});

describe('imageTagMutability', () => {
  test.each<ImageTagMutability>(['MUTABLE', 'IMMUTABLE'])('%s is stored and described', async (mode) => {
    const name = uniqueName(mode.toLowerCase());
    const { repository } = await create({ repositoryName: name, imageTagMutability: mode });
    expect(repository?.imageTagMutability).toBe(mode);
    expect(repository?.imageTagMutabilityExclusionFilters).toBeUndefined();
    expect((await describeOne(name)).imageTagMutability).toBe(mode);
  });

  test.each<ImageTagMutability>(['MUTABLE_WITH_EXCLUSION', 'IMMUTABLE_WITH_EXCLUSION'])('%s with filters is stored and described', async (mode) => {
    const name = uniqueName(mode.toLowerCase().replaceAll('_', '-'));
    const filters = [
      { filterType: 'WILDCARD' as const, filter: 'latest' },
      { filterType: 'WILDCARD' as const, filter: 'dev-*' },
    ];
    const { repository } = await create({ repositoryName: name, imageTagMutability: mode, imageTagMutabilityExclusionFilters: filters });
    expect(repository?.imageTagMutability).toBe(mode);
    expect(repository?.imageTagMutabilityExclusionFilters).toEqual(filters);
    const described = await describeOne(name);
    expect(described.imageTagMutability).toBe(mode);
    expect(described.imageTagMutabilityExclusionFilters).toEqual(filters);
  });

  test.each<ImageTagMutability>(['MUTABLE_WITH_EXCLUSION', 'IMMUTABLE_WITH_EXCLUSION'])(
    '%s without filters is InvalidParameterException',
    async (mode) => {
      const name = uniqueName('no-filters');
      const error = await failure(create({ repositoryName: name, imageTagMutability: mode }));
      expect(error).toBeInstanceOf(InvalidParameterException);
      // Real ECR's wording (captured in aws/aws-cdk#35246).
      expect(error.message).toBe(
        `Invalid parameter at 'imageTagMutabilityExclusionFilters' failed to satisfy constraint: 'ImageTagMutabilityExclusionFilters can't be null when imageTagMutability is set as ${mode}'`,
      );
      expect((await failure(describeOne(name))).name).toBe('RepositoryNotFoundException');
    },
  );

  test.each<ImageTagMutability | undefined>(['MUTABLE', 'IMMUTABLE', undefined])(
    'filters with a plain mode (%s) are InvalidParameterException',
    async (mode) => {
      const error = await failure(
        create({
          repositoryName: uniqueName('plain-filters'),
          imageTagMutability: mode,
          imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'latest' }],
        }),
      );
      expect(error).toBeInstanceOf(InvalidParameterException);
      expect(error.message).toContain('imageTagMutabilityExclusionFilters');
    },
  );

  test('the same filter twice is InvalidParameterException', async () => {
    const error = await failure(
      create({
        repositoryName: uniqueName('dup-filter'),
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: [
          { filterType: 'WILDCARD', filter: 'v*' },
          { filterType: 'WILDCARD', filter: 'v*' },
        ],
      }),
    );
    expect(error).toBeInstanceOf(InvalidParameterException);
  });

  test('an unknown mode is InvalidParameterException naming the allowed values', async () => {
    const error = await failure(create({ repositoryName: uniqueName('mode'), imageTagMutability: 'SOMETIMES' as ImageTagMutability }));
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(error.message).toBe(
      invalidAt('imageTagMutability', 'must satisfy enum value set: [IMMUTABLE, IMMUTABLE_WITH_EXCLUSION, MUTABLE, MUTABLE_WITH_EXCLUSION]'),
    );
  });
});

describe('imageScanningConfiguration', () => {
  test('scanOnPush true is kept', async () => {
    const name = uniqueName('scan');
    const { repository } = await create({ repositoryName: name, imageScanningConfiguration: { scanOnPush: true } });
    expect(repository?.imageScanningConfiguration).toEqual({ scanOnPush: true });
    expect((await describeOne(name)).imageScanningConfiguration).toEqual({ scanOnPush: true });
  });

  test('an empty configuration means no scan on push', async () => {
    const { repository } = await create({ repositoryName: uniqueName('scan-empty'), imageScanningConfiguration: {} });
    expect(repository?.imageScanningConfiguration).toEqual({ scanOnPush: false });
  });
});

describe('encryptionConfiguration', () => {
  test('AES256 has no KMS key', async () => {
    const { repository } = await create({ repositoryName: uniqueName('aes'), encryptionConfiguration: { encryptionType: 'AES256' } });
    expect(repository?.encryptionConfiguration).toEqual({ encryptionType: 'AES256' });
  });

  test('AES256 with a KMS key is InvalidParameterException', async () => {
    const error = await failure(
      create({
        repositoryName: uniqueName('aes-key'),
        encryptionConfiguration: { encryptionType: 'AES256', kmsKey: 'arn:aws:kms:us-east-1:000000000000:key/abc' },
      }),
    );
    expect(error).toBeInstanceOf(InvalidParameterException);
  });

  test('KMS with a key keeps that key', async () => {
    const kmsKey = 'arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const name = uniqueName('kms-key');
    const { repository } = await create({ repositoryName: name, encryptionConfiguration: { encryptionType: 'KMS', kmsKey } });
    expect(repository?.encryptionConfiguration).toEqual({ encryptionType: 'KMS', kmsKey });
    expect((await describeOne(name)).encryptionConfiguration).toEqual({ encryptionType: 'KMS', kmsKey });
  });

  /** A KMS key ARN (not an alias ARN) of the registry, as real ECR reports the AWS-managed key. */
  const MANAGED_KEY = /^arn:aws:kms:us-east-1:000000000000:key\/[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  test("KMS without a key reports the ARN of the registry's AWS-managed ECR key", async () => {
    const name = uniqueName('kms');
    const { repository } = await create({ repositoryName: name, encryptionConfiguration: { encryptionType: 'KMS' } });
    expect(repository?.encryptionConfiguration?.encryptionType).toBe('KMS');
    expect(repository?.encryptionConfiguration?.kmsKey).toMatch(MANAGED_KEY);
    expect((await describeOne(name)).encryptionConfiguration).toEqual(repository?.encryptionConfiguration);
  });

  test('the AWS-managed key is one per registry: the same for every repository, another in another account or region', async () => {
    const kms = { encryptionType: 'KMS' as const };
    const first = (await create({ repositoryName: uniqueName('kms-a'), encryptionConfiguration: kms })).repository;
    const second = (await create({ repositoryName: uniqueName('kms-b'), encryptionConfiguration: kms })).repository;
    expect(second?.encryptionConfiguration?.kmsKey).toBe(first?.encryptionConfiguration?.kmsKey);

    const otherAccount = server.client({ accountId: '111122223333' });
    const inOtherAccount = (await otherAccount.send(new CreateRepositoryCommand({ repositoryName: 'kms-c', encryptionConfiguration: kms }))).repository;
    expect(inOtherAccount?.encryptionConfiguration?.kmsKey).toMatch(/^arn:aws:kms:us-east-1:111122223333:key\//);

    const otherRegion = server.client({ region: 'eu-west-1' });
    const inOtherRegion = (await otherRegion.send(new CreateRepositoryCommand({ repositoryName: 'kms-d', encryptionConfiguration: kms }))).repository;
    expect(inOtherRegion?.encryptionConfiguration?.kmsKey).toMatch(/^arn:aws:kms:eu-west-1:000000000000:key\//);

    const keyId = (arn: string | undefined) => arn?.split('/')[1];
    const ids = new Set([first, inOtherAccount, inOtherRegion].map((r) => keyId(r?.encryptionConfiguration?.kmsKey)));
    expect(ids.size).toBe(3);
  });

  test('KMS_DSSE is accepted and also falls back to the AWS-managed key', async () => {
    const { repository } = await create({ repositoryName: uniqueName('dsse'), encryptionConfiguration: { encryptionType: 'KMS_DSSE' } });
    expect(repository?.encryptionConfiguration?.encryptionType).toBe('KMS_DSSE');
    expect(repository?.encryptionConfiguration?.kmsKey).toMatch(MANAGED_KEY);
  });

  test('a missing encryptionType is InvalidParameterException', async () => {
    const error = await failure(
      create({ repositoryName: uniqueName('enc'), encryptionConfiguration: {} as CreateRepositoryCommandInput['encryptionConfiguration'] }),
    );
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(error.message).toBe(invalidAt('encryptionConfiguration.encryptionType', 'must not be null'));
  });
});

describe('invalid names', () => {
  test.each(['Upper', 'has space', '-leading', 'trailing-', 'a..b', 'a/', '/a', 'a//b', 'a_-b', 'a___b', 'ü-umlaut'])(
    "'%s' is InvalidParameterException in ECR's wording",
    async (name) => {
      const error = await failure(create({ repositoryName: name }));
      expect(error).toBeInstanceOf(InvalidParameterException);
      expect(error.$metadata?.httpStatusCode).toBe(400);
      expect(error.message).toBe(invalidAt('repositoryName', `must satisfy regular expression '${NAME_PATTERN}'`));
    },
  );

  test('one character is too short', async () => {
    const error = await failure(create({ repositoryName: 'a' }));
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(error.message).toBe("Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must have length greater than or equal to 2'");
  });

  test('256 characters is the longest name', async () => {
    const name = `${'a'.repeat(127)}/${'b'.repeat(128)}`;
    expect(name).toHaveLength(256);
    const { repository } = await create({ repositoryName: name });
    expect(repository?.repositoryName).toBe(name);
  });

  test('257 characters is too long', async () => {
    const name = 'a'.repeat(257);
    const error = await failure(create({ repositoryName: name }));
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(error.message).toBe(invalidAt('repositoryName', 'must have length less than or equal to 256'));
  });

  test('an empty name breaks both length and pattern, and only the first is reported', async () => {
    const error = await failure(create({ repositoryName: '' }));
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(error.message).toBe(invalidAt('repositoryName', 'must have length greater than or equal to 2'));
  });

  test('a registryId that is not 12 digits is InvalidParameterException', async () => {
    const error = await failure(create({ repositoryName: uniqueName('reg'), registryId: '12345' }));
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(error.message).toBe(invalidAt('registryId', "must satisfy regular expression '[0-9]{12}'"));
  });
});
