import {
  DescribeRegistryCommand,
  GetAccountSettingCommand,
  GetRegistryPolicyCommand,
  PutAccountSettingCommand,
  PutRegistryPolicyCommand,
  ValidationException,
} from '@aws-sdk/client-ecr';
import { readAccountSetting } from '../../../src/features/account/index.js';
import { registryKey } from '../../../src/store/keys.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

test.each([
  ['BASIC_SCAN_TYPE_VERSION', 'AWS_NATIVE'],
  ['REGISTRY_POLICY_SCOPE', 'V2'],
  ['BLOB_MOUNTING', 'DISABLED'],
])('GetAccountSetting %s is %s until set', async (name, value) => {
  const answer = await server.client({ accountId: '101010101010' }).send(new GetAccountSettingCommand({ name }));
  expect(answer).toMatchObject({ name, value });
});

test('PutAccountSetting stores the value GetAccountSetting then returns', async () => {
  const client = server.client({ accountId: '121212121212' });
  const put = await client.send(new PutAccountSettingCommand({ name: 'BLOB_MOUNTING', value: 'ENABLED' }));
  expect(put).toMatchObject({ name: 'BLOB_MOUNTING', value: 'ENABLED' });
  expect(await client.send(new GetAccountSettingCommand({ name: 'BLOB_MOUNTING' }))).toMatchObject({ value: 'ENABLED' });

  await client.send(new PutAccountSettingCommand({ name: 'REGISTRY_POLICY_SCOPE', value: 'V1' }));
  expect(await client.send(new GetAccountSettingCommand({ name: 'REGISTRY_POLICY_SCOPE' }))).toMatchObject({ value: 'V1' });
  // Setting one leaves the others as they were.
  expect(await client.send(new GetAccountSettingCommand({ name: 'BLOB_MOUNTING' }))).toMatchObject({ value: 'ENABLED' });
  expect(await client.send(new GetAccountSettingCommand({ name: 'BASIC_SCAN_TYPE_VERSION' }))).toMatchObject({ value: 'AWS_NATIVE' });
});

test('account settings belong to one account in one region', async () => {
  await server.client({ accountId: '111111111111' }).send(new PutAccountSettingCommand({ name: 'BLOB_MOUNTING', value: 'ENABLED' }));
  const get = (accountId?: string, region?: string) =>
    server.client({ accountId, region }).send(new GetAccountSettingCommand({ name: 'BLOB_MOUNTING' }));
  expect((await get('111111111111')).value).toBe('ENABLED');
  expect((await get()).value).toBe('DISABLED');
  expect((await get('111111111111', 'eu-west-1')).value).toBe('DISABLED');

  // The data plane reads the same setting through readAccountSetting.
  expect(await readAccountSetting(server.store, { accountId: '111111111111', region: 'us-east-1' }, 'BLOB_MOUNTING')).toBe('ENABLED');
  expect(await readAccountSetting(server.store, { accountId: '111111111111', region: 'eu-west-1' }, 'BLOB_MOUNTING')).toBe('DISABLED');
});

test('an unknown setting name is ValidationException', async () => {
  const client = server.client();
  for (const attempt of [
    client.send(new GetAccountSettingCommand({ name: 'SCAN_EVERYTHING' })),
    client.send(new PutAccountSettingCommand({ name: 'SCAN_EVERYTHING', value: 'ENABLED' })),
  ]) {
    const error = await attempt.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationException);
    expect((error as Error).message).toBe(
      "1 validation error detected: Value 'SCAN_EVERYTHING' at 'name' failed to satisfy constraint: Member must satisfy enum value set: [BASIC_SCAN_TYPE_VERSION, REGISTRY_POLICY_SCOPE, BLOB_MOUNTING]",
    );
  }
});

test.each([
  ['BLOB_MOUNTING', 'ON', '[ENABLED, DISABLED]'],
  ['BASIC_SCAN_TYPE_VERSION', 'CLAIR', '[AWS_NATIVE]'],
  ['REGISTRY_POLICY_SCOPE', 'V3', '[V1, V2]'],
])('PutAccountSetting %s=%s is ValidationException and changes nothing', async (name, value, allowed) => {
  const client = server.client({ accountId: '131313131313' });
  const before = await client.send(new GetAccountSettingCommand({ name }));
  const error = await client.send(new PutAccountSettingCommand({ name, value })).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(ValidationException);
  expect((error as Error).message).toBe(
    `1 validation error detected: Value '${value}' at 'value' failed to satisfy constraint: Member must satisfy enum value set: ${allowed}`,
  );
  expect((await client.send(new GetAccountSettingCommand({ name }))).value).toBe(before.value);
});

test('account settings and the registry policy share the registry without overwriting each other', async () => {
  const client = server.client({ accountId: '141414141414' });
  const policy = JSON.stringify({
    Statement: [{ Effect: 'Allow', Principal: '*', Action: 'ecr:ReplicateImage', Resource: '*' }],
  });
  await client.send(new PutRegistryPolicyCommand({ policyText: policy }));
  await client.send(new PutAccountSettingCommand({ name: 'BLOB_MOUNTING', value: 'ENABLED' }));
  expect(JSON.parse((await client.send(new GetRegistryPolicyCommand({}))).policyText!)).toEqual(JSON.parse(policy));
  expect((await client.send(new GetAccountSettingCommand({ name: 'BLOB_MOUNTING' }))).value).toBe('ENABLED');
});

test('DescribeRegistry answers the caller registry with no replication rules when none are configured', async () => {
  expect(await server.client().send(new DescribeRegistryCommand({}))).toMatchObject({
    registryId: '000000000000',
    replicationConfiguration: { rules: [] },
  });
  expect(await server.client({ accountId: '151515151515', region: 'ap-south-1' }).send(new DescribeRegistryCommand({}))).toMatchObject({
    registryId: '151515151515',
    replicationConfiguration: { rules: [] },
  });
});

test('DescribeRegistry returns the stored replication configuration', async () => {
  const scope = { accountId: '161616161616', region: 'us-east-1' };
  const replicationConfiguration = {
    rules: [{ destinations: [{ region: 'eu-west-1', registryId: '161616161616' }], repositoryFilters: [{ filter: 'app', filterType: 'PREFIX_MATCH' }] }],
  };
  await server.store.write((batch) => batch.put('registries', registryKey(scope), { accountSettings: {}, replicationConfiguration }));
  const described = await server.client({ accountId: scope.accountId }).send(new DescribeRegistryCommand({}));
  expect(described).toMatchObject({ registryId: '161616161616', replicationConfiguration });
});
