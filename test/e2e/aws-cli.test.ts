// The real AWS CLI v2 against a real Berth: SigV4 signing, the CLI's own request shapes and its
// parsing of our responses and errors, none of which an SDK-based test covers.
import { resolveToken } from '../../src/features/auth/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { awsCli, describeE2E, requireAwsCliV2 } from './helpers.js';

interface Repository {
  repositoryArn: string;
  registryId: string;
  repositoryName: string;
  repositoryUri: string;
  createdAt: string;
  imageTagMutability: string;
}
interface Tag {
  Key: string;
  Value: string;
}

// A 12-digit access key id is the account; the region reaches Berth in the SigV4 credential scope.
const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
/** A token the CLI's caller obtained: it acts as that account's root, in the region that issued it. */
const CALLERS_TOKEN = {
  principal: { accountId: ACCOUNT, arn: `arn:aws:iam::${ACCOUNT}:root` },
  region: REGION,
  registry: { accountId: ACCOUNT, region: REGION },
};
// Each CLI run starts Python afresh (about half a second, more on a busy machine).
const CLI_TEST_TIMEOUT_MS = 180_000;

describeE2E('AWS CLI v2 against Berth', () => {
  let server: TestServer;
  let aws: ReturnType<typeof awsCli>;

  beforeAll(async () => {
    await requireAwsCliV2();
    server = await startTestServer();
    aws = awsCli(server.endpoint, { accessKeyId: ACCOUNT, region: REGION });
  }, 120_000);
  afterAll(async () => {
    await server?.close();
  });

  test('create, describe, tag, untag, set tag mutability and delete a repository', async () => {
    const created = await aws.json<{ repository: Repository }>(
      'ecr', 'create-repository', '--repository-name', 'team/web', '--tags', 'Key=team,Value=web', 'Key=stage,Value=dev',
    );
    const arn = `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/team/web`;
    expect(created.repository).toMatchObject({
      repositoryArn: arn,
      registryId: ACCOUNT,
      repositoryName: 'team/web',
      repositoryUri: `127.0.0.1:${server.port}/team/web`,
      imageTagMutability: 'MUTABLE',
    });
    // The CLI prints timestamps as ISO 8601; it can only do that if it parsed our epoch seconds.
    expect(Number.isNaN(Date.parse(created.repository.createdAt))).toBe(false);

    const described = await aws.json<{ repositories: Repository[] }>('ecr', 'describe-repositories');
    expect(described.repositories.map((r) => r.repositoryName)).toEqual(['team/web']);
    expect(described.repositories[0].createdAt).toBe(created.repository.createdAt);

    await aws.json('ecr', 'tag-resource', '--resource-arn', arn, '--tags', 'Key=owner,Value=alice', 'Key=stage,Value=prod');
    const tagged = await aws.json<{ tags: Tag[] }>('ecr', 'list-tags-for-resource', '--resource-arn', arn);
    expect(sortTags(tagged.tags)).toEqual([
      { Key: 'owner', Value: 'alice' },
      { Key: 'stage', Value: 'prod' },
      { Key: 'team', Value: 'web' },
    ]);

    await aws.json('ecr', 'untag-resource', '--resource-arn', arn, '--tag-keys', 'stage', 'owner');
    const untagged = await aws.json<{ tags: Tag[] }>('ecr', 'list-tags-for-resource', '--resource-arn', arn);
    expect(untagged.tags).toEqual([{ Key: 'team', Value: 'web' }]);

    const mutability = await aws.json('ecr', 'put-image-tag-mutability', '--repository-name', 'team/web', '--image-tag-mutability', 'IMMUTABLE');
    expect(mutability).toMatchObject({ registryId: ACCOUNT, repositoryName: 'team/web', imageTagMutability: 'IMMUTABLE' });
    const afterMutability = await aws.json<{ repositories: Repository[] }>('ecr', 'describe-repositories', '--repository-names', 'team/web');
    expect(afterMutability.repositories[0].imageTagMutability).toBe('IMMUTABLE');

    const deleted = await aws.json<{ repository: Repository }>('ecr', 'delete-repository', '--repository-name', 'team/web');
    expect(deleted.repository).toMatchObject({ repositoryArn: arn, repositoryName: 'team/web' });
    const afterDelete = await aws.json<{ repositories: Repository[] }>('ecr', 'describe-repositories');
    expect(afterDelete.repositories).toEqual([]);
  }, CLI_TEST_TIMEOUT_MS);

  test('describe-repositories of a missing repository fails with RepositoryNotFoundException', async () => {
    const result = await aws.run('ecr', 'describe-repositories', '--repository-names', 'no-such-repo');
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('RepositoryNotFoundException');
    expect(result.stderr).toContain(`The repository with name 'no-such-repo' does not exist in the registry with id '${ACCOUNT}'`);
  }, CLI_TEST_TIMEOUT_MS);

  test('get-login-password prints the password of an authorization token for the caller', async () => {
    const login = await aws.run('ecr', 'get-login-password');
    expect({ code: login.code, stderr: login.stderr }).toEqual({ code: 0, stderr: '' });
    const password = login.stdout.trim();
    expect(password).not.toBe('');
    // Every call issues a fresh token, so the printed password is compared with what Berth
    // stored, not with a second call's token: it must open the caller's account and region.
    expect(await resolveToken(server.store, server.clock, password)).toMatchObject(CALLERS_TOKEN);

    const { authorizationData } = await aws.json<{ authorizationData: { authorizationToken: string; expiresAt: string }[] }>(
      'ecr', 'get-authorization-token',
    );
    expect(authorizationData).toHaveLength(1);
    // The token is base64 of `AWS:<password>`, the password being what get-login-password prints.
    const decoded = Buffer.from(authorizationData[0].authorizationToken, 'base64').toString('utf8');
    expect(decoded).toMatch(/^AWS:[^:]+$/);
    const tokenPassword = decoded.slice('AWS:'.length);
    expect(tokenPassword).toHaveLength(password.length);
    expect(await resolveToken(server.store, server.clock, tokenPassword)).toMatchObject(CALLERS_TOKEN);
    // Valid for 12 hours.
    const hoursLeft = (Date.parse(authorizationData[0].expiresAt) - Date.now()) / 3_600_000;
    expect(hoursLeft).toBeGreaterThan(11.9);
    expect(hoursLeft).toBeLessThanOrEqual(12);
  }, CLI_TEST_TIMEOUT_MS);
});

function sortTags(tags: Tag[]): Tag[] {
  return [...tags].sort((a, b) => a.Key.localeCompare(b.Key));
}
