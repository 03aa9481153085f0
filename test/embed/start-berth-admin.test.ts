// startBerth() takes the serve options that guard the admin endpoints, and its reset() (which
// calls the store, not HTTP) works under them.
import { CreateRepositoryCommand, DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { startBerth } from '../../src/index.js';
import { adminRequest } from '../helpers/admin.js';

test('under requireAuth and an admin token, POST /_berth/reset needs the token while reset() just works', async () => {
  const berth = await startBerth({ requireAuth: true, adminToken: 'embedded-token', allowedHosts: ['berth.embedded'] });
  try {
    const client = new ECRClient({ endpoint: berth.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'AKIDEMBED', secretAccessKey: 'x' }, maxAttempts: 1 });
    const names = async () => ((await client.send(new DescribeRepositoriesCommand({}))).repositories ?? []).map((repository) => repository.repositoryName);
    await client.send(new CreateRepositoryCommand({ repositoryName: 'kept' }));

    const anonymous = await adminRequest(berth.endpoint, 'POST', '/_berth/reset', { headers: { 'Content-Type': 'application/json' } });
    expect(anonymous.status).toBe(401);
    expect(await names()).toEqual(['kept']);

    await berth.reset();
    expect(await names()).toEqual([]);

    await client.send(new CreateRepositoryCommand({ repositoryName: 'again' }));
    const withToken = await adminRequest(berth.endpoint, 'POST', '/_berth/reset', {
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer embedded-token', Host: 'berth.embedded' },
    });
    expect(withToken.status).toBe(200);
    expect(await names()).toEqual([]);
  } finally {
    await berth.stop();
  }
});
