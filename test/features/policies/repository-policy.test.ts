import {
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DeleteRepositoryPolicyCommand,
  GetRepositoryPolicyCommand,
  InvalidParameterException,
  RepositoryNotFoundException,
  RepositoryPolicyNotFoundException,
  SetRepositoryPolicyCommand,
} from '@aws-sdk/client-ecr';
import { startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const pullPolicy = {
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'AllowPull',
      Effect: 'Allow',
      Principal: { AWS: 'arn:aws:iam::111111111111:root' },
      Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
    },
  ],
};

// How ECR answers the policy above: Jackson's pretty printer, not the text sent.
const pullPolicyAsEcrReturnsIt = [
  '{',
  '  "Version" : "2012-10-17",',
  '  "Statement" : [ {',
  '    "Sid" : "AllowPull",',
  '    "Effect" : "Allow",',
  '    "Principal" : {',
  '      "AWS" : "arn:aws:iam::111111111111:root"',
  '    },',
  '    "Action" : [ "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer" ]',
  '  } ]',
  '}',
].join('\n');

async function createRepository(name: string) {
  await server.client().send(new CreateRepositoryCommand({ repositoryName: name }));
}

test('SetRepositoryPolicy stores the policy; GetRepositoryPolicy returns it as ECR formats it', async () => {
  await createRepository('policy/set-get');
  const client = server.client();
  const set = await client.send(
    new SetRepositoryPolicyCommand({ repositoryName: 'policy/set-get', policyText: JSON.stringify(pullPolicy) }),
  );
  expect(set).toMatchObject({ registryId: '000000000000', repositoryName: 'policy/set-get', policyText: pullPolicyAsEcrReturnsIt });

  const got = await client.send(new GetRepositoryPolicyCommand({ repositoryName: 'policy/set-get' }));
  expect(got).toMatchObject({ registryId: '000000000000', repositoryName: 'policy/set-get', policyText: pullPolicyAsEcrReturnsIt });
  expect(JSON.parse(got.policyText!)).toEqual(pullPolicy);
});

test('a second SetRepositoryPolicy replaces the first, with or without force', async () => {
  await createRepository('policy/replace');
  const client = server.client();
  await client.send(new SetRepositoryPolicyCommand({ repositoryName: 'policy/replace', policyText: JSON.stringify(pullPolicy) }));
  const denyAll = { Version: '2008-10-17', Statement: { Effect: 'Deny', Principal: '*', Action: 'ecr:*' } };
  await client.send(new SetRepositoryPolicyCommand({ repositoryName: 'policy/replace', policyText: JSON.stringify(denyAll), force: true }));
  const got = await client.send(new GetRepositoryPolicyCommand({ repositoryName: 'policy/replace' }));
  expect(JSON.parse(got.policyText!)).toEqual(denyAll);
});

test('GetRepositoryPolicy without a policy is RepositoryPolicyNotFoundException', async () => {
  await createRepository('policy/none');
  const error = await server.client().send(new GetRepositoryPolicyCommand({ repositoryName: 'policy/none' })).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RepositoryPolicyNotFoundException);
  expect((error as Error).message).toBe(
    "Repository policy does not exist for the repository with name 'policy/none' in the registry with id '000000000000'",
  );
});

test('DeleteRepositoryPolicy returns the deleted policy; afterwards there is none', async () => {
  await createRepository('policy/delete');
  const client = server.client();
  await client.send(new SetRepositoryPolicyCommand({ repositoryName: 'policy/delete', policyText: JSON.stringify(pullPolicy) }));
  const deleted = await client.send(new DeleteRepositoryPolicyCommand({ repositoryName: 'policy/delete' }));
  expect(deleted).toMatchObject({ registryId: '000000000000', repositoryName: 'policy/delete', policyText: pullPolicyAsEcrReturnsIt });

  await expect(client.send(new GetRepositoryPolicyCommand({ repositoryName: 'policy/delete' }))).rejects.toThrow(
    RepositoryPolicyNotFoundException,
  );
  const again = await client.send(new DeleteRepositoryPolicyCommand({ repositoryName: 'policy/delete' })).catch((e: unknown) => e);
  expect(again).toBeInstanceOf(RepositoryPolicyNotFoundException);
  expect((again as Error).message).toBe(
    "Repository policy does not exist for the repository with name 'policy/delete' in the registry with id '000000000000'",
  );
});

type Send = (client: ReturnType<TestServer['client']>) => Promise<unknown>;
test.each<[string, Send]>([
  ['SetRepositoryPolicy', (c) => c.send(new SetRepositoryPolicyCommand({ repositoryName: 'policy/missing', policyText: JSON.stringify(pullPolicy) }))],
  ['GetRepositoryPolicy', (c) => c.send(new GetRepositoryPolicyCommand({ repositoryName: 'policy/missing' }))],
  ['DeleteRepositoryPolicy', (c) => c.send(new DeleteRepositoryPolicyCommand({ repositoryName: 'policy/missing' }))],
])('%s on a missing repository is RepositoryNotFoundException', async (_name, send) => {
  const error = await send(server.client()).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RepositoryNotFoundException);
  expect((error as Error).message).toBe("The repository with name 'policy/missing' does not exist in the registry with id '000000000000'");
});

const statement = { Effect: 'Allow', Principal: '*', Action: 'ecr:BatchGetImage' };

test.each([
  ['not JSON', '{"Version": '],
  ['an empty text', ''],
  ['a JSON array', JSON.stringify([pullPolicy])],
  ['no Statement', JSON.stringify({ Version: '2012-10-17' })],
  ['an empty Statement list', JSON.stringify({ Version: '2012-10-17', Statement: [] })],
  ['an unknown Version', JSON.stringify({ Version: '2020-01-01', Statement: [statement] })],
  ['an unknown top-level member', JSON.stringify({ Version: '2012-10-17', Statement: [statement], Extra: 1 })],
  ['an Effect other than Allow or Deny', JSON.stringify({ Statement: [{ ...statement, Effect: 'Maybe' }] })],
  ['no Principal', JSON.stringify({ Statement: [{ Effect: 'Allow', Action: 'ecr:*' }] })],
  ['no Action', JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: '*' }] })],
  ['an Action without a service prefix', JSON.stringify({ Statement: [{ ...statement, Action: 'BatchGetImage' }] })],
  ['a Resource (the repository is the resource)', JSON.stringify({ Statement: [{ ...statement, Resource: '*' }] })],
  ['an unknown principal type', JSON.stringify({ Statement: [{ ...statement, Principal: { Robot: 'r2d2' } }] })],
])('a policy with %s is InvalidParameterException and leaves the stored policy as it was', async (_what, policyText) => {
  const name = `policy/invalid-${Math.random().toString(36).slice(2, 10)}`;
  await createRepository(name);
  const client = server.client();
  await client.send(new SetRepositoryPolicyCommand({ repositoryName: name, policyText: JSON.stringify(pullPolicy) }));

  const error = await client.send(new SetRepositoryPolicyCommand({ repositoryName: name, policyText })).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(InvalidParameterException);
  expect((error as Error).message).toBe("Invalid parameter at 'PolicyText' failed to satisfy constraint: 'Invalid repository policy provided'");

  const got = await client.send(new GetRepositoryPolicyCommand({ repositoryName: name }));
  expect(got.policyText).toBe(pullPolicyAsEcrReturnsIt);
});

test('a policy with a Condition, NotAction and a Sid-less statement is accepted', async () => {
  await createRepository('policy/condition');
  const policy = {
    Statement: [
      { Effect: 'Deny', Principal: { AWS: ['arn:aws:iam::111111111111:root'] }, NotAction: ['ecr:BatchGetImage'] },
      { Effect: 'Allow', Principal: { Service: 'codebuild.amazonaws.com' }, Action: 'ecr:Get*', Condition: { StringEquals: { 'aws:SourceAccount': '000000000000' } } },
    ],
  };
  const set = await server.client().send(new SetRepositoryPolicyCommand({ repositoryName: 'policy/condition', policyText: JSON.stringify(policy) }));
  expect(JSON.parse(set.policyText!)).toEqual(policy);
});

test('repository policies belong to the registry given by registryId', async () => {
  const other = server.client({ accountId: '111111111111' });
  await other.send(new CreateRepositoryCommand({ repositoryName: 'policy/cross' }));
  // The default account addresses the other account's repository through registryId.
  const set = await server.client().send(
    new SetRepositoryPolicyCommand({ registryId: '111111111111', repositoryName: 'policy/cross', policyText: JSON.stringify(pullPolicy) }),
  );
  expect(set.registryId).toBe('111111111111');
  const got = await other.send(new GetRepositoryPolicyCommand({ repositoryName: 'policy/cross' }));
  expect(got).toMatchObject({ registryId: '111111111111', policyText: pullPolicyAsEcrReturnsIt });
  // The default account has no repository of that name.
  await expect(server.client().send(new GetRepositoryPolicyCommand({ repositoryName: 'policy/cross' }))).rejects.toThrow(
    RepositoryNotFoundException,
  );
});

test('a repository deleted and created again has no policy', async () => {
  await createRepository('policy/recreated');
  const client = server.client();
  await client.send(new SetRepositoryPolicyCommand({ repositoryName: 'policy/recreated', policyText: JSON.stringify(pullPolicy) }));
  await client.send(new DeleteRepositoryCommand({ repositoryName: 'policy/recreated' }));
  await createRepository('policy/recreated');
  await expect(client.send(new GetRepositoryPolicyCommand({ repositoryName: 'policy/recreated' }))).rejects.toThrow(
    RepositoryPolicyNotFoundException,
  );
});
