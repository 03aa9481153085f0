import {
  CreateRepositoryCommand,
  InvalidParameterException,
  InvalidTagParameterException,
  ListTagsForResourceCommand,
  RepositoryNotFoundException,
  TagResourceCommand,
  TooManyTagsException,
  UntagResourceCommand,
  type ECRClient,
  type Tag,
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
/** A fresh repository; returns its ARN. */
async function repository(tags?: Tag[]): Promise<string> {
  const { repository: created } = await client.send(new CreateRepositoryCommand({ repositoryName: `tags-${++counter}`, tags }));
  return created!.repositoryArn!;
}

const tagsOf = async (resourceArn: string): Promise<Tag[]> => {
  const { tags } = await client.send(new ListTagsForResourceCommand({ resourceArn }));
  return [...(tags ?? [])].sort((a, b) => (a.Key! < b.Key! ? -1 : a.Key! > b.Key! ? 1 : 0));
};

const tagsNumbered = (from: number, count: number): Tag[] =>
  Array.from({ length: count }, (_, i) => ({ Key: `k${from + i}`, Value: `v${from + i}` }));

describe('TagResource and ListTagsForResource', () => {
  test('a repository without tags lists an empty list', async () => {
    expect(await tagsOf(await repository())).toEqual([]);
  });

  test('adds new keys and overwrites the value of existing ones', async () => {
    const arn = await repository([
      { Key: 'a', Value: '1' },
      { Key: 'b', Value: '2' },
    ]);
    const result = await client.send(
      new TagResourceCommand({
        resourceArn: arn,
        tags: [
          { Key: 'b', Value: 'two' },
          { Key: 'c', Value: '3' },
        ],
      }),
    );
    expect(result.$metadata.httpStatusCode).toBe(200);
    expect(await tagsOf(arn)).toEqual([
      { Key: 'a', Value: '1' },
      { Key: 'b', Value: 'two' },
      { Key: 'c', Value: '3' },
    ]);
  });

  test('tag keys are case-sensitive', async () => {
    const arn = await repository([{ Key: 'Env', Value: 'prod' }]);
    await client.send(new TagResourceCommand({ resourceArn: arn, tags: [{ Key: 'env', Value: 'dev' }] }));
    expect(await tagsOf(arn)).toEqual([
      { Key: 'Env', Value: 'prod' },
      { Key: 'env', Value: 'dev' },
    ]);
  });

  test('an empty tag list changes nothing', async () => {
    const arn = await repository([{ Key: 'a', Value: '1' }]);
    await client.send(new TagResourceCommand({ resourceArn: arn, tags: [] }));
    expect(await tagsOf(arn)).toEqual([{ Key: 'a', Value: '1' }]);
  });

  test('reaching exactly 50 tags is allowed; passing 50 is TooManyTagsException and changes nothing', async () => {
    const arn = await repository(tagsNumbered(0, 40));
    await client.send(new TagResourceCommand({ resourceArn: arn, tags: tagsNumbered(40, 10) }));
    expect(await tagsOf(arn)).toHaveLength(50);
    // Overwriting existing keys does not count as adding.
    await client.send(new TagResourceCommand({ resourceArn: arn, tags: [{ Key: 'k0', Value: 'new' }] }));
    const error = await failure(client.send(new TagResourceCommand({ resourceArn: arn, tags: [{ Key: 'k0', Value: 'newer' }, { Key: 'one-more', Value: 'x' }] })));
    expect(error).toBeInstanceOf(TooManyTagsException);
    expect(error.$metadata?.httpStatusCode).toBe(400);
    const after = await tagsOf(arn);
    expect(after).toHaveLength(50);
    expect(after.find((t) => t.Key === 'k0')?.Value).toBe('new');
  });

  test.each([
    ['an empty key', ''],
    ['a key over 128 characters', 'k'.repeat(129)],
    ['a key with characters outside the tagging alphabet', 'no#hash'],
    ['a key reserved for AWS', 'aws:cloudformation:stack-name'],
  ])('%s is InvalidTagParameterException and changes nothing', async (_what, Key) => {
    const arn = await repository([{ Key: 'a', Value: '1' }]);
    const error = await failure(client.send(new TagResourceCommand({ resourceArn: arn, tags: [{ Key: 'fine', Value: 'x' }, { Key, Value: 'v' }] })));
    expect(error).toBeInstanceOf(InvalidTagParameterException);
    expect(await tagsOf(arn)).toEqual([{ Key: 'a', Value: '1' }]);
  });

  test('a value over 256 characters is InvalidTagParameterException', async () => {
    const arn = await repository();
    await expect(client.send(new TagResourceCommand({ resourceArn: arn, tags: [{ Key: 'k', Value: 'v'.repeat(257) }] }))).rejects.toThrow(
      InvalidTagParameterException,
    );
  });

  test('the same key twice in one call is InvalidTagParameterException', async () => {
    const arn = await repository();
    await expect(
      client.send(
        new TagResourceCommand({
          resourceArn: arn,
          tags: [
            { Key: 'k', Value: '1' },
            { Key: 'k', Value: '2' },
          ],
        }),
      ),
    ).rejects.toThrow(InvalidTagParameterException);
  });

  // TagResource does not declare ValidationException: ECR answers InvalidParameterException.
  test('a tag without a Value is InvalidParameterException', async () => {
    const arn = await repository();
    const error = await failure(client.send(new TagResourceCommand({ resourceArn: arn, tags: [{ Key: 'k' } as Tag] })));
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(error.message).toBe("Invalid parameter at 'tags.1.member.Value' failed to satisfy constraint: 'must not be null'");
  });
});

describe('UntagResource', () => {
  test('removes the named keys and keeps the rest', async () => {
    const arn = await repository([
      { Key: 'a', Value: '1' },
      { Key: 'b', Value: '2' },
      { Key: 'c', Value: '3' },
    ]);
    const result = await client.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['a', 'c'] }));
    expect(result.$metadata.httpStatusCode).toBe(200);
    expect(await tagsOf(arn)).toEqual([{ Key: 'b', Value: '2' }]);
  });

  test('keys the repository does not have are ignored', async () => {
    const arn = await repository([{ Key: 'a', Value: '1' }]);
    await client.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['zzz', 'A'] }));
    expect(await tagsOf(arn)).toEqual([{ Key: 'a', Value: '1' }]);
  });

  test('after removing, tags can be added up to 50 again', async () => {
    const arn = await repository(tagsNumbered(0, 50));
    await client.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['k0', 'k1'] }));
    await client.send(new TagResourceCommand({ resourceArn: arn, tags: tagsNumbered(100, 2) }));
    expect(await tagsOf(arn)).toHaveLength(50);
  });

  test('a reserved aws: key or an empty key is InvalidTagParameterException', async () => {
    const arn = await repository([{ Key: 'a', Value: '1' }]);
    await expect(client.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['aws:x'] }))).rejects.toThrow(InvalidTagParameterException);
    await expect(client.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: [''] }))).rejects.toThrow(InvalidTagParameterException);
    expect(await tagsOf(arn)).toEqual([{ Key: 'a', Value: '1' }]);
  });
});

describe('the resource ARN', () => {
  const invalidArns = [
    'not-an-arn',
    'arn:aws:s3:::bucket',
    'arn:aws:ecr:us-east-1:000000000000:image/x',
    'arn:aws:ecr:us-east-1:123:repository/x',
    'arn:aws:ecr:us-east-1:000000000000:repository/',
  ];

  test.each(invalidArns)('%s is InvalidParameterException for every tag operation', async (resourceArn) => {
    for (const call of [
      client.send(new ListTagsForResourceCommand({ resourceArn })),
      client.send(new TagResourceCommand({ resourceArn, tags: [{ Key: 'k', Value: 'v' }] })),
      client.send(new UntagResourceCommand({ resourceArn, tagKeys: ['k'] })),
    ]) {
      const error = await failure(call);
      expect(error).toBeInstanceOf(InvalidParameterException);
      expect(error.message).toBe("Invalid parameter at 'resourceArn' failed to satisfy constraint: 'Invalid ARN'");
    }
  });

  test('a well-formed ARN of a repository that does not exist is RepositoryNotFoundException', async () => {
    const resourceArn = 'arn:aws:ecr:us-east-1:000000000000:repository/ghost';
    for (const call of [
      client.send(new ListTagsForResourceCommand({ resourceArn })),
      client.send(new TagResourceCommand({ resourceArn, tags: [{ Key: 'k', Value: 'v' }] })),
      client.send(new UntagResourceCommand({ resourceArn, tagKeys: ['k'] })),
    ]) {
      const error = await failure(call);
      expect(error).toBeInstanceOf(RepositoryNotFoundException);
      expect(error.message).toBe("The repository with name 'ghost' does not exist in the registry with id '000000000000'");
    }
  });

  test('a missing resourceArn is InvalidParameterException', async () => {
    const error = await failure(client.send(new ListTagsForResourceCommand({} as { resourceArn: string })));
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(error.message).toBe("Invalid parameter at 'resourceArn' failed to satisfy constraint: 'must not be null'");
  });
});
