import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  DescribeRepositoriesCommand,
  ListTagsForResourceCommand,
  PutImageScanningConfigurationCommand,
  PutImageTagMutabilityCommand,
  TagResourceCommand,
  type Repository,
  type Tag,
} from '@aws-sdk/client-ecr';
import { startTestServer, type TestServer } from '../helpers/server.js';

const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-persistence-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Everything the API says about each repository of a registry, tags included. */
async function snapshot(server: TestServer, accountId?: string, region?: string): Promise<Array<Repository & { tags: Tag[] }>> {
  const client = server.client({ accountId, region });
  const { repositories = [] } = await client.send(new DescribeRepositoriesCommand({}));
  return Promise.all(
    repositories.map(async (repository) => {
      const { tags = [] } = await client.send(new ListTagsForResourceCommand({ resourceArn: repository.repositoryArn }));
      return { ...repository, tags };
    }),
  );
}

describe('on disk (ephemeral: false)', () => {
  test('repositories and all their settings survive a restart on the same data directory', async () => {
    const dataDir = tempDir();
    const first = await startTestServer({ ephemeral: false, dataDir });
    let before: Awaited<ReturnType<typeof snapshot>>;
    let beforeOther: Awaited<ReturnType<typeof snapshot>>;
    try {
      const client = first.client();
      await client.send(
        new CreateRepositoryCommand({
          repositoryName: 'kept/app',
          tags: [
            { Key: 'team', Value: 'platform' },
            { Key: 'env', Value: 'prod' },
          ],
          imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
          imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'latest' }],
          imageScanningConfiguration: { scanOnPush: true },
          encryptionConfiguration: { encryptionType: 'KMS', kmsKey: 'arn:aws:kms:us-east-1:000000000000:key/kept' },
        }),
      );
      await client.send(new CreateRepositoryCommand({ repositoryName: 'kept/plain' }));
      // Changes after creation must be kept too, not only the first write.
      await client.send(new PutImageTagMutabilityCommand({ repositoryName: 'kept/plain', imageTagMutability: 'IMMUTABLE' }));
      await client.send(new PutImageScanningConfigurationCommand({ repositoryName: 'kept/plain', imageScanningConfiguration: { scanOnPush: true } }));
      const { repositories } = await client.send(new DescribeRepositoriesCommand({ repositoryNames: ['kept/plain'] }));
      await client.send(new TagResourceCommand({ resourceArn: repositories![0].repositoryArn, tags: [{ Key: 'added', Value: 'later' }] }));
      await client.send(new CreateRepositoryCommand({ repositoryName: 'gone' }));
      await client.send(new DeleteRepositoryCommand({ repositoryName: 'gone' }));
      await first.client({ accountId: '999999999999', region: 'eu-west-3' }).send(new CreateRepositoryCommand({ repositoryName: 'elsewhere' }));

      before = await snapshot(first);
      beforeOther = await snapshot(first, '999999999999', 'eu-west-3');
    } finally {
      await first.close();
    }
    expect(before.map((r) => r.repositoryName).sort()).toEqual(['kept/app', 'kept/plain']);

    const second = await startTestServer({ ephemeral: false, dataDir });
    try {
      const after = await snapshot(second);
      // Only the port differs between the two runs, and with it the default repository URI.
      const withoutPort = (repos: typeof before) =>
        repos.map((r) => ({ ...r, repositoryUri: r.repositoryUri?.replace(/^127\.0\.0\.1:\d+\//, '') }));
      expect(withoutPort(after)).toEqual(withoutPort(before));
      expect(withoutPort(await snapshot(second, '999999999999', 'eu-west-3'))).toEqual(withoutPort(beforeOther));

      const app = after.find((r) => r.repositoryName === 'kept/app')!;
      expect(app).toMatchObject({
        imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
        imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'latest' }],
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfiguration: { encryptionType: 'KMS', kmsKey: 'arn:aws:kms:us-east-1:000000000000:key/kept' },
      });
      expect(app.tags).toEqual(expect.arrayContaining([{ Key: 'team', Value: 'platform' }, { Key: 'env', Value: 'prod' }]));
      const plain = after.find((r) => r.repositoryName === 'kept/plain')!;
      expect(plain).toMatchObject({ imageTagMutability: 'IMMUTABLE', imageScanningConfiguration: { scanOnPush: true } });
      expect(plain.tags).toEqual([{ Key: 'added', Value: 'later' }]);
      expect(after.find((r) => r.repositoryName === 'gone')).toBeUndefined();

      // The reopened store keeps working: a name that exists is still taken.
      await expect(second.client().send(new CreateRepositoryCommand({ repositoryName: 'kept/app' }))).rejects.toThrow(
        /already exists/,
      );
    } finally {
      await second.close();
    }
  });

  test('the data directory is written to', async () => {
    const dataDir = tempDir();
    const server = await startTestServer({ ephemeral: false, dataDir });
    try {
      await server.client().send(new CreateRepositoryCommand({ repositoryName: 'on-disk' }));
      expect(server.store.location).toBe(`${dataDir}/metadata`);
    } finally {
      await server.close();
    }
    expect(readdirSync(join(dataDir, 'metadata')).length).toBeGreaterThan(0);
  });
});

describe('ephemeral', () => {
  test('writes nothing to its data directory, and nothing outlives the server', async () => {
    const dataDir = tempDir();
    const server = await startTestServer({ ephemeral: true, dataDir });
    try {
      await server.client().send(new CreateRepositoryCommand({ repositoryName: 'fleeting', tags: [{ Key: 'k', Value: 'v' }] }));
      expect((await snapshot(server)).map((r) => r.repositoryName)).toEqual(['fleeting']);
      expect(server.store.location).toBe(':memory:');
    } finally {
      await server.close();
    }
    expect(readdirSync(dataDir)).toEqual([]);

    const next = await startTestServer({ ephemeral: true, dataDir });
    try {
      expect(await snapshot(next)).toEqual([]);
    } finally {
      await next.close();
    }
    expect(readdirSync(dataDir)).toEqual([]);
  });
});
