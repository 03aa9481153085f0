import { GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { resolveToken } from '../../../src/features/auth/index.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());
afterEach(() => server.clock.setOffsetSeconds(0));

const TWELVE_HOURS_MS = 12 * 3600 * 1000;

/** The Basic-auth password inside an authorization token ("AWS:<password>", base64). */
function passwordOf(token: string | undefined): string {
  const decoded = Buffer.from(token ?? '', 'base64').toString('utf8');
  expect(decoded.startsWith('AWS:')).toBe(true);
  return decoded.slice('AWS:'.length);
}

test('GetAuthorizationToken returns one AWS:<password> token valid for 12 hours', async () => {
  const before = Date.now();
  const { authorizationData } = await server.client().send(new GetAuthorizationTokenCommand({}));
  expect(authorizationData).toHaveLength(1);
  const [data] = authorizationData!;
  expect(data.proxyEndpoint).toBe(`http://127.0.0.1:${server.port}`);
  const password = passwordOf(data.authorizationToken);
  expect(password.length).toBeGreaterThanOrEqual(32);
  // expiresAt travels as epoch seconds, so allow for the rounding.
  const expiresAt = data.expiresAt!.getTime();
  expect(expiresAt).toBeGreaterThanOrEqual(before + TWELVE_HOURS_MS - 1000);
  expect(expiresAt).toBeLessThanOrEqual(Date.now() + TWELVE_HOURS_MS + 1000);

  expect(await resolveToken(server.store, server.clock, password)).toEqual({
    principal: { accountId: '000000000000', arn: 'arn:aws:iam::000000000000:root', accessKeyId: 'AKIDBERTHTEST' },
    region: 'us-east-1',
    registry: { accountId: '000000000000', region: 'us-east-1' },
  });
});

test('every call issues a different password', async () => {
  const client = server.client();
  const first = await client.send(new GetAuthorizationTokenCommand({}));
  const second = await client.send(new GetAuthorizationTokenCommand({}));
  expect(passwordOf(first.authorizationData![0].authorizationToken)).not.toBe(passwordOf(second.authorizationData![0].authorizationToken));
});

test('a token acts as the caller that asked for it, in the region that issued it', async () => {
  const { authorizationData } = await server.client({ accountId: '111111111111', region: 'eu-west-1' }).send(new GetAuthorizationTokenCommand({}));
  const holder = await resolveToken(server.store, server.clock, passwordOf(authorizationData![0].authorizationToken));
  expect(holder).toEqual({
    principal: { accountId: '111111111111', arn: 'arn:aws:iam::111111111111:root', accessKeyId: '111111111111' },
    region: 'eu-west-1',
    registry: { accountId: '111111111111', region: 'eu-west-1' },
  });
});

test('a token issued in a China region names the principal in that partition', async () => {
  const { authorizationData } = await server.client({ accountId: '111111111111', region: 'cn-north-1' }).send(new GetAuthorizationTokenCommand({}));
  const holder = await resolveToken(server.store, server.clock, passwordOf(authorizationData![0].authorizationToken));
  expect(holder?.principal.arn).toBe('arn:aws-cn:iam::111111111111:root');
});

test('registryIds gives one token per registry named, each remembering it but acting as the caller', async () => {
  const { authorizationData } = await server
    .client({ accountId: '111111111111', region: 'ap-southeast-2' })
    .send(new GetAuthorizationTokenCommand({ registryIds: ['222222222222', '333333333333'] }));
  expect(authorizationData).toHaveLength(2);
  const holders = await Promise.all(authorizationData!.map((d) => resolveToken(server.store, server.clock, passwordOf(d.authorizationToken))));
  const caller = { accountId: '111111111111', arn: 'arn:aws:iam::111111111111:root', accessKeyId: '111111111111' };
  expect(holders).toEqual([
    { principal: caller, region: 'ap-southeast-2', registry: { accountId: '222222222222', region: 'ap-southeast-2' } },
    { principal: caller, region: 'ap-southeast-2', registry: { accountId: '333333333333', region: 'ap-southeast-2' } },
  ]);
});

test("a token stored by an earlier version (no principal) acts as its account's root", async () => {
  const { authorizationData } = await server.client({ accountId: '444444444444', region: 'eu-west-1' }).send(new GetAuthorizationTokenCommand({}));
  const password = passwordOf(authorizationData![0].authorizationToken);
  // Rewrite the stored record in the shape earlier versions wrote: account, region, expiry.
  const [[key, record]] = (await server.store.tables.tokens.list('')).filter(([, stored]) => stored.accountId === '444444444444');
  await server.store.write((batch) => batch.put('tokens', key, { accountId: record.accountId, region: record.region, expiresAt: record.expiresAt }));

  expect(await resolveToken(server.store, server.clock, password)).toEqual({
    principal: { accountId: '444444444444', arn: 'arn:aws:iam::444444444444:root' },
    region: 'eu-west-1',
    registry: { accountId: '444444444444', region: 'eu-west-1' },
  });
});

test('a token stops resolving once 12 hours have passed', async () => {
  const { authorizationData } = await server.client().send(new GetAuthorizationTokenCommand({}));
  const password = passwordOf(authorizationData![0].authorizationToken);
  server.clock.setOffsetSeconds(11 * 3600);
  expect(await resolveToken(server.store, server.clock, password)).toBeDefined();
  server.clock.setOffsetSeconds(13 * 3600);
  expect(await resolveToken(server.store, server.clock, password)).toBeUndefined();
});

test('unknown and garbage passwords do not resolve', async () => {
  const { authorizationData } = await server.client().send(new GetAuthorizationTokenCommand({}));
  const password = passwordOf(authorizationData![0].authorizationToken);
  for (const guess of ['', 'AWS', `${password}x`, password.slice(1), 'x'.repeat(10_000), '../../etc/passwd']) {
    expect(await resolveToken(server.store, server.clock, guess)).toBeUndefined();
  }
});

test('issuing tokens deletes expired ones, so the table does not grow without end', async () => {
  const fresh = await startTestServer();
  try {
    const client = fresh.client();
    for (let i = 0; i < 5; i++) await client.send(new GetAuthorizationTokenCommand({}));
    expect(await fresh.store.tables.tokens.list('')).toHaveLength(5);

    fresh.clock.setOffsetSeconds(13 * 3600);
    const { authorizationData } = await client.send(new GetAuthorizationTokenCommand({}));
    const remaining = await fresh.store.tables.tokens.list('');
    // A small table fits in one pruning window: only the new token is left.
    expect(remaining).toHaveLength(1);
    const newest = passwordOf(authorizationData![0].authorizationToken);
    expect(await resolveToken(fresh.store, fresh.clock, newest)).toBeDefined();
    // Stored under a digest of the secret, never the secret itself.
    expect(remaining[0][0]).not.toContain(newest);
  } finally {
    await fresh.close();
  }
});
