import { CreateRepositoryCommand, DescribeRepositoriesCommand, GetAuthorizationTokenCommand, PutRegistryPolicyCommand } from '@aws-sdk/client-ecr';
import { resolveToken } from '../../src/features/auth/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

test('GET /_berth/health answers status and version as JSON', async () => {
  const response = await fetch(`${server.endpoint}/_berth/health`);
  expect(response.status).toBe(200);
  expect(await response.json()).toEqual({ status: 'ok', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
});

test('POST /_berth/reset wipes every account and region, and the server keeps serving', async () => {
  const home = server.client();
  const other = server.client({ accountId: '111111111111', region: 'eu-west-1' });
  await home.send(new CreateRepositoryCommand({ repositoryName: 'before-reset' }));
  await other.send(new CreateRepositoryCommand({ repositoryName: 'elsewhere' }));
  await home.send(
    new PutRegistryPolicyCommand({
      policyText: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: '*' }, Action: 'ecr:*', Resource: '*' }] }),
    }),
  );
  const { authorizationData } = await home.send(new GetAuthorizationTokenCommand({}));
  const password = Buffer.from(authorizationData![0].authorizationToken!, 'base64').toString().slice('AWS:'.length);
  expect(await resolveToken(server.store, server.clock, password)).toBeDefined();

  const response = await fetch(`${server.endpoint}/_berth/reset`, { method: 'POST', headers: { 'Content-Type': 'application/json' } });
  expect(response.status).toBe(200);

  expect((await home.send(new DescribeRepositoriesCommand({}))).repositories).toEqual([]);
  expect((await other.send(new DescribeRepositoriesCommand({}))).repositories).toEqual([]);
  expect(await resolveToken(server.store, server.clock, password)).toBeUndefined();
  await expect(home.send(new CreateRepositoryCommand({ repositoryName: 'before-reset' }))).resolves.toBeDefined();
});

test('an unknown path answers 404 JSON, not the API', async () => {
  const response = await fetch(`${server.endpoint}/nothing-here`);
  expect(response.status).toBe(404);
  expect(await response.json()).toEqual({ message: 'No route for GET /nothing-here' });
});
