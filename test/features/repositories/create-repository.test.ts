import { CreateRepositoryCommand, RepositoryAlreadyExistsException } from '@aws-sdk/client-ecr';
import { startTestServer, type TestServer } from '../../helpers/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

test('CreateRepository returns the repository as ECR describes it', async () => {
  const { repository } = await server.client().send(new CreateRepositoryCommand({ repositoryName: 'team/app' }));
  expect(repository).toMatchObject({
    repositoryName: 'team/app',
    registryId: '000000000000',
    repositoryArn: 'arn:aws:ecr:us-east-1:000000000000:repository/team/app',
    repositoryUri: `127.0.0.1:${server.port}/team/app`,
    imageTagMutability: 'MUTABLE',
    imageScanningConfiguration: { scanOnPush: false },
    encryptionConfiguration: { encryptionType: 'AES256' },
  });
  expect(repository?.createdAt).toBeInstanceOf(Date);
});

test('a second CreateRepository of the same name is RepositoryAlreadyExistsException', async () => {
  const client = server.client();
  await client.send(new CreateRepositoryCommand({ repositoryName: 'twice' }));
  await expect(client.send(new CreateRepositoryCommand({ repositoryName: 'twice' }))).rejects.toThrow(RepositoryAlreadyExistsException);
});
