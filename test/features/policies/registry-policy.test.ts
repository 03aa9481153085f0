import {
  DeleteRegistryPolicyCommand,
  GetRegistryPolicyCommand,
  InvalidParameterException,
  PutRegistryPolicyCommand,
  RegistryPolicyNotFoundException,
} from '@aws-sdk/client-ecr';
import { startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const replicationPolicy = (account: string) => ({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'AllowReplication',
      Effect: 'Allow',
      Principal: { AWS: `arn:aws:iam::${account}:root` },
      Action: ['ecr:CreateRepository', 'ecr:ReplicateImage'],
      Resource: 'arn:aws:ecr:us-east-1:000000000000:repository/*',
    },
  ],
});

const formatted = (account: string) =>
  [
    '{',
    '  "Version" : "2012-10-17",',
    '  "Statement" : [ {',
    '    "Sid" : "AllowReplication",',
    '    "Effect" : "Allow",',
    '    "Principal" : {',
    `      "AWS" : "arn:aws:iam::${account}:root"`,
    '    },',
    '    "Action" : [ "ecr:CreateRepository", "ecr:ReplicateImage" ],',
    '    "Resource" : "arn:aws:ecr:us-east-1:000000000000:repository/*"',
    '  } ]',
    '}',
  ].join('\n');

async function notFound(promise: Promise<unknown>, account: string) {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RegistryPolicyNotFoundException);
  expect((error as Error).message).toBe(`Registry policy does not exist in the registry with id '${account}'`);
}

test('PutRegistryPolicy, GetRegistryPolicy and DeleteRegistryPolicy round-trip the policy', async () => {
  const client = server.client({ accountId: '222222222222' });
  await notFound(client.send(new GetRegistryPolicyCommand({})), '222222222222');

  const put = await client.send(new PutRegistryPolicyCommand({ policyText: JSON.stringify(replicationPolicy('333333333333')) }));
  expect(put).toMatchObject({ registryId: '222222222222', policyText: formatted('333333333333') });

  const got = await client.send(new GetRegistryPolicyCommand({}));
  expect(got).toMatchObject({ registryId: '222222222222', policyText: formatted('333333333333') });

  const deleted = await client.send(new DeleteRegistryPolicyCommand({}));
  expect(deleted).toMatchObject({ registryId: '222222222222', policyText: formatted('333333333333') });

  await notFound(client.send(new GetRegistryPolicyCommand({})), '222222222222');
  await notFound(client.send(new DeleteRegistryPolicyCommand({})), '222222222222');
});

test('the registry policy belongs to one account in one region', async () => {
  const mine = server.client({ accountId: '444444444444' });
  await mine.send(new PutRegistryPolicyCommand({ policyText: JSON.stringify(replicationPolicy('555555555555')) }));

  await notFound(server.client().send(new GetRegistryPolicyCommand({})), '000000000000');
  await notFound(server.client({ accountId: '444444444444', region: 'eu-west-1' }).send(new GetRegistryPolicyCommand({})), '444444444444');
  expect((await mine.send(new GetRegistryPolicyCommand({}))).policyText).toBe(formatted('555555555555'));
});

test.each([
  ['not JSON', 'nope'],
  ['no Resource (a registry policy names the repositories it covers)', JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::333333333333:root' }, Action: 'ecr:ReplicateImage' }],
  })],
  ['an empty Statement list', JSON.stringify({ Version: '2012-10-17', Statement: [] })],
  ['a statement that is not an object', JSON.stringify({ Version: '2012-10-17', Statement: ['ecr:*'] })],
])('a registry policy with %s is InvalidParameterException and changes nothing', async (_what, policyText) => {
  const client = server.client({ accountId: '666666666666' });
  await client.send(new PutRegistryPolicyCommand({ policyText: JSON.stringify(replicationPolicy('777777777777')) }));
  const error = await client.send(new PutRegistryPolicyCommand({ policyText })).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(InvalidParameterException);
  expect((error as Error).message).toBe("Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid registry policy provided'");
  expect((await client.send(new GetRegistryPolicyCommand({}))).policyText).toBe(formatted('777777777777'));
});
