import { CreateRepositoryCommand } from '@aws-sdk/client-ecr';
import { rawCall, startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

test('timestamps are epoch seconds on the wire', async () => {
  const before = Date.now() / 1000;
  const created = await rawCall(server.endpoint, 'CreateRepository', JSON.stringify({ repositoryName: 'wire/timestamps' }));
  const after = Date.now() / 1000;
  expect(created.status).toBe(200);
  const createdAt = (created.json.repository as Record<string, unknown>).createdAt;
  expect(typeof createdAt).toBe('number');
  expect(createdAt as number).toBeGreaterThanOrEqual(Math.floor(before));
  expect(createdAt as number).toBeLessThanOrEqual(Math.ceil(after));

  const described = await rawCall(server.endpoint, 'DescribeRepositories', JSON.stringify({ repositoryNames: ['wire/timestamps'] }));
  const [repository] = described.json.repositories as Array<Record<string, unknown>>;
  expect(repository.createdAt).toBe(createdAt);
});

test('the SDK reads the wire timestamp back as the same instant', async () => {
  const { repository } = await server.client().send(new CreateRepositoryCommand({ repositoryName: 'wire/sdk-time' }));
  const raw = await rawCall(server.endpoint, 'DescribeRepositories', JSON.stringify({ repositoryNames: ['wire/sdk-time'] }));
  const [described] = raw.json.repositories as Array<Record<string, unknown>>;
  expect(repository!.createdAt!.getTime()).toBe(Math.round((described.createdAt as number) * 1000));
});

test('absent members are left out of the JSON, not sent as null', async () => {
  const created = await rawCall(server.endpoint, 'CreateRepository', JSON.stringify({ repositoryName: 'wire/sparse' }));
  const repository = created.json.repository as Record<string, unknown>;
  expect(Object.keys(repository).sort()).toEqual([
    'createdAt',
    'encryptionConfiguration',
    'imageScanningConfiguration',
    'imageTagMutability',
    'registryId',
    'repositoryArn',
    'repositoryName',
    'repositoryUri',
  ]);
  expect(repository.encryptionConfiguration).toEqual({ encryptionType: 'AES256' });
  const described = await rawCall(server.endpoint, 'DescribeRepositories', JSON.stringify({ repositoryNames: ['wire/sparse'] }));
  expect(Object.keys(described.json)).toEqual(['repositories']);
});

test('the region and account come from the SigV4 credential scope', async () => {
  const authorization =
    'AWS4-HMAC-SHA256 Credential=123456789012/20240101/ap-northeast-1/ecr/aws4_request, SignedHeaders=host, Signature=abc';
  const created = await rawCall(server.endpoint, 'CreateRepository', JSON.stringify({ repositoryName: 'wire/scoped' }), {
    Authorization: authorization,
  });
  expect(created.status).toBe(200);
  expect((created.json.repository as Record<string, unknown>).repositoryArn).toBe(
    'arn:aws:ecr:ap-northeast-1:123456789012:repository/wire/scoped',
  );
  // Without credentials the default account and region apply, where it does not exist.
  const unsigned = await rawCall(server.endpoint, 'DescribeRepositories', JSON.stringify({ repositoryNames: ['wire/scoped'] }));
  expect(unsigned.json.__type).toBe('RepositoryNotFoundException');
});
