import { CreateRepositoryCommand, DescribeRepositoriesCommand, CreatePullThroughCacheRuleCommand, type Repository } from '@aws-sdk/client-ecr';
import { loadModel, type MemberType } from '../../src/model/model.js';
import type { OperationName } from '../../src/model/generated/operations.js';
import { rawCall, startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
  const client = server.client();
  await client.send(new CreateRepositoryCommand({ repositoryName: 'existing', tags: [{ Key: 'k', Value: 'v' }] }));
  await client.send(new CreateRepositoryCommand({ repositoryName: 'other/one', imageTagMutability: 'IMMUTABLE' }));
});
afterAll(() => server.close());

const TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921';

async function everyRepository(): Promise<Repository[]> {
  const { repositories } = await server.client().send(new DescribeRepositoriesCommand({}));
  return repositories ?? [];
}

interface Answer {
  status: number;
  headers: Headers;
  json: Record<string, unknown>;
}

/** Checks the AWS JSON error shape every refusal must have. */
function expectAwsError(answer: Answer, status: number, type: string): void {
  expect(answer.status).toBe(status);
  expect(answer.json.__type).toBe(type);
  expect(answer.json.message).toEqual(expect.any(String));
  expect((answer.json.message as string).length).toBeGreaterThan(0);
  expect(answer.headers.get('x-amzn-ErrorType')).toBe(type);
  expect(answer.headers.get('x-amzn-RequestId')).toMatch(/^[0-9a-f-]{36}$/);
  expect(answer.headers.get('content-type')).toBe('application/x-amz-json-1.1');
}

/** Runs a bad request and checks the server still answers and nothing it stores changed. */
async function refusedWithoutHarm(send: () => Promise<Answer>, status: number, type: string): Promise<Answer> {
  const before = await everyRepository();
  const answer = await send();
  expectAwsError(answer, status, type);
  expect(await everyRepository()).toEqual(before);
  return answer;
}

describe('malformed bodies', () => {
  test.each(['{"repositoryName": ', '{repositoryName: "x"}', "{'repositoryName': 'x'}", '{"a":1}}', 'not json at all'])(
    'malformed JSON %s is 400 SerializationException',
    async (body) => {
      await refusedWithoutHarm(() => rawCall(server.endpoint, 'CreateRepository', body), 400, 'SerializationException');
    },
  );

  test.each(['[]', '"text"', '42', 'null', 'true'])('a JSON %s that is not an object is 400 SerializationException', async (body) => {
    await refusedWithoutHarm(() => rawCall(server.endpoint, 'CreateRepository', body), 400, 'SerializationException');
  });

  test('invalid UTF-8 is refused, not a server fault', async () => {
    const body = new Uint8Array(Buffer.concat([Buffer.from('{"repositoryName": "'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]));
    const before = await everyRepository();
    const response = await fetch(`${server.endpoint}/`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-amz-json-1.1', 'X-Amz-Target': `${TARGET_PREFIX}.CreateRepository` },
      body,
    });
    const json = (await response.json()) as Record<string, unknown>;
    // Decoded with replacement characters, the name fails the pattern; CreateRepository answers
    // that as InvalidParameterException (it does not declare ValidationException).
    expectAwsError({ status: response.status, headers: response.headers, json }, 400, 'InvalidParameterException');
    expect(json.message).toMatch(/^Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '/);
    expect(await everyRepository()).toEqual(before);
  });

  test('a body nested thousands of levels deep is 400 SerializationException, not a server fault', async () => {
    const depth = 200_000;
    for (const body of [`{"unknown":${'['.repeat(depth)}${']'.repeat(depth)}}`, `{"repositoryName":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`]) {
      await refusedWithoutHarm(() => rawCall(server.endpoint, 'CreateRepository', body), 400, 'SerializationException');
    }
  });

  test('an empty body is an empty input', async () => {
    const answer = await rawCall(server.endpoint, 'DescribeRepositories', '');
    expect(answer.status).toBe(200);
    expect((answer.json.repositories as unknown[]).length).toBe(2);
  });
});

describe('members of the wrong JSON type', () => {
  test.each([
    ['a number for repositoryName', 'CreateRepository', { repositoryName: 5 }, 'NUMBER_VALUE can not be converted to a String'],
    ['a string for maxResults', 'DescribeRepositories', { maxResults: '5' }, 'STRING_VALUE can not be converted to an Integer'],
    ['an object for a list', 'DescribeRepositories', { repositoryNames: { existing: true } }, 'Start of structure or map found where not expected.'],
    ['a list for a structure', 'CreateRepository', { repositoryName: 'ok-name', imageScanningConfiguration: [true] }, 'Start of list found where not expected'],
    ['a string for a boolean', 'CreateRepository', { repositoryName: 'ok-name', imageScanningConfiguration: { scanOnPush: 'yes' } }, 'STRING_VALUE can not be converted to a Boolean'],
    ['a number for a tag value', 'TagResource', { resourceArn: 'arn:aws:ecr:us-east-1:000000000000:repository/existing', tags: [{ Key: 'k', Value: 1 }] }, 'NUMBER_VALUE can not be converted to a String'],
  ])('%s is 400 SerializationException', async (_what, operation, input, message) => {
    const answer = await refusedWithoutHarm(() => rawCall(server.endpoint, operation, JSON.stringify(input)), 400, 'SerializationException');
    expect(answer.json.message).toBe(message);
  });

  test('a constraint failure is 400 ValidationException in AWS wording where the operation declares ValidationException', async () => {
    const answer = await refusedWithoutHarm(
      () => rawCall(server.endpoint, 'PutImageScanningConfiguration', JSON.stringify({ repositoryName: 'Existing', imageScanningConfiguration: {} })),
      400,
      'ValidationException',
    );
    expect(answer.json.message).toMatch(
      /^1 validation error detected: Value 'Existing' at 'repositoryName' failed to satisfy constraint: Member must satisfy regular expression pattern: /,
    );
  });

  test("a constraint failure is 400 InvalidParameterException in ECR's wording for the older operations", async () => {
    const answer = await refusedWithoutHarm(
      () => rawCall(server.endpoint, 'CreateRepository', JSON.stringify({ repositoryName: 'Existing' })),
      400,
      'InvalidParameterException',
    );
    expect(answer.json.message).toMatch(/^Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '.+''$/);
  });
});

/** An input that breaks one of the operation's model constraints, or undefined if it has none to break. */
function constraintBreakingInput(operation: OperationName): Record<string, unknown> | undefined {
  const model = loadModel();
  const members = Object.entries(model.structures[model.operations[operation].input].members);
  const registryId = members.find(([name, type]) => name === 'registryId' && type.type === 'string' && type.pattern);
  if (registryId) return { registryId: 'x' };
  if (members.some(([, type]) => type.required)) return {};
  const breaking = (type: MemberType): unknown => {
    if (type.type === 'string' && type.enum) return 'NOT_A_MODELED_VALUE';
    if (type.type === 'string' && (type.length?.min ?? 0) > 0) return '';
    if (type.type === 'number' && type.range?.min !== undefined) return type.range.min - 1;
    if (type.type === 'list' && (type.length?.min ?? 0) > 0) return [];
    return undefined;
  };
  for (const [name, type] of members) {
    const value = breaking(type);
    if (value !== undefined) return { [name]: value };
  }
  return undefined;
}

describe('constraint failures answer an error the operation models', () => {
  const model = loadModel();
  const operations = Object.keys(model.operations) as OperationName[];

  test('every operation with input members gets a constraint-breaking input', () => {
    const without = operations.filter((name) => constraintBreakingInput(name) === undefined);
    // Only operations whose input has no members at all have nothing to break.
    expect(without).toEqual(operations.filter((name) => Object.keys(model.structures[model.operations[name].input].members).length === 0));
    expect(operations.length - without.length).toBeGreaterThan(50);
  });

  test.each(operations.filter((name) => constraintBreakingInput(name) !== undefined))('%s', async (operation) => {
    const { errors } = model.operations[operation];
    const answer = await rawCall(server.endpoint, operation, JSON.stringify(constraintBreakingInput(operation)));
    expect(answer.status).toBe(400);
    expect(['ValidationException', 'InvalidParameterException']).toContain(answer.json.__type);
    expect(errors).toContain(answer.json.__type);
    // ValidationException whenever the operation declares it; InvalidParameterException only when it does not.
    if (errors.includes('ValidationException')) {
      expect(answer.json.__type).toBe('ValidationException');
      expect(answer.json.message).toMatch(/^\d+ validation errors? detected: Value .+ at '[^']+' failed to satisfy constraint: Member must /);
    } else {
      expect(answer.json.__type).toBe('InvalidParameterException');
      expect(answer.json.message).toMatch(/^Invalid parameter at '[^']+' failed to satisfy constraint: '(?!Member )must .+'$/);
      expect(answer.json.message).not.toContain(';');
    }
  });
});

describe('operation routing', () => {
  test.each([
    `${TARGET_PREFIX}.NoSuchOperation`,
    `${TARGET_PREFIX}.createRepository`,
    'SomeOtherService_20200101.CreateRepository',
    `${TARGET_PREFIX}.`,
    `${TARGET_PREFIX}.constructor`,
    `${TARGET_PREFIX}.__proto__`,
    'CreateRepository',
  ])('target %s is 400 UnknownOperationException', async (target) => {
    // rawCall prefixes names without a dot; send these as they are.
    const answer = await refusedWithoutHarm(
      () => rawCall(server.endpoint, undefined, JSON.stringify({ repositoryName: 'never-made' }), { 'X-Amz-Target': target }),
      400,
      'UnknownOperationException',
    );
    expect(answer.json.message).toContain(target);
  });

  test('a missing X-Amz-Target is 400 UnknownOperationException', async () => {
    await refusedWithoutHarm(
      () => rawCall(server.endpoint, undefined, JSON.stringify({ repositoryName: 'never-made' })),
      400,
      'UnknownOperationException',
    );
  });

  test('an unknown target with a broken body is still UnknownOperationException (routing comes first)', async () => {
    await refusedWithoutHarm(() => rawCall(server.endpoint, 'Nope', '{{{'), 400, 'UnknownOperationException');
  });
});

describe('request ids', () => {
  test('every response, success or failure, has its own x-amzn-RequestId', async () => {
    const answers = [
      await rawCall(server.endpoint, 'DescribeRepositories', '{}'),
      await rawCall(server.endpoint, 'DescribeRepositories', '{}'),
      await rawCall(server.endpoint, 'CreateRepository', '{'),
      await rawCall(server.endpoint, 'Nope', '{}'),
      await rawCall(server.endpoint, 'DescribeRepositories', JSON.stringify({ repositoryNames: ['missing-one'] })),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 400, 400, 400]);
    const ids = answers.map((a) => a.headers.get('x-amzn-RequestId'));
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
    // A success carries no error type.
    expect(answers[0].headers.get('x-amzn-ErrorType')).toBeNull();
    expect(answers[0].headers.get('content-type')).toBe('application/x-amz-json-1.1');
  });

  test('a modeled ECR error has the same shape', async () => {
    const answer = await rawCall(server.endpoint, 'DescribeRepositories', JSON.stringify({ repositoryNames: ['missing-one'] }));
    expectAwsError(answer, 400, 'RepositoryNotFoundException');
    expect(answer.json.message).toBe("The repository with name 'missing-one' does not exist in the registry with id '000000000000'");
  });
});

describe('operations not built yet', () => {
  test('CreatePullThroughCacheRule is HTTP 501 naming the operation, and the server carries on', async () => {
    const input = { ecrRepositoryPrefix: 'hub', upstreamRegistryUrl: 'registry-1.docker.io' };
    const answer = await refusedWithoutHarm(() => rawCall(server.endpoint, 'CreatePullThroughCacheRule', JSON.stringify(input)), 501, 'NotImplementedException');
    expect(answer.json.message).toContain('CreatePullThroughCacheRule');
    const again = await rawCall(server.endpoint, 'DescribeRepositories', '{}');
    expect(again.status).toBe(200);
  });

  test('the SDK sees the 501 as an error named NotImplementedException', async () => {
    const error = await server
      .client()
      .send(new CreatePullThroughCacheRuleCommand({ ecrRepositoryPrefix: 'hub', upstreamRegistryUrl: 'registry-1.docker.io' }))
      .then(
        () => undefined,
        (e: Error & { $metadata?: { httpStatusCode?: number } }) => e,
      );
    expect(error?.name).toBe('NotImplementedException');
    expect(error?.message).toContain('CreatePullThroughCacheRule');
    expect(error?.$metadata?.httpStatusCode).toBe(501);
  });
});
