import request from 'supertest';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { basicAuth, createRepository, expectOciError, pushBlob, registryPassword, sha256, uniqueName, v2 } from '../helpers/registry.js';

const DEFAULT_CHALLENGE = 'Basic realm="https://000000000000.dkr.ecr.us-east-1.amazonaws.com/",service="ecr.amazonaws.com"';
const INVALID_TOKEN = 'Your authorization token is invalid or has expired. Reauthenticate and try again.';

describe('default server (anonymous requests allowed)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server.close());
  afterEach(() => server.clock.setOffsetSeconds(0));

  test('GET /v2/ without credentials: 401, a Basic challenge naming ECR, a text body', async () => {
    for (const path of ['/v2/', '/v2']) {
      const reply = await v2(server, 'GET', path);
      expect(reply.status).toBe(401);
      expect(reply.headers.get('www-authenticate')).toBe(DEFAULT_CHALLENGE);
      expect(reply.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(reply.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
      expect(reply.text).toBe('Not Authorized\n');
    }
  });

  test('the empty credentials clients answer a challenge with ("Og==") are still anonymous', async () => {
    const reply = await v2(server, 'GET', '/v2/', { headers: { Authorization: 'Basic Og==' } });
    expect(reply.status).toBe(401);
    expect(reply.headers.get('www-authenticate')).toBe(DEFAULT_CHALLENGE);
  });

  test('HEAD /v2/ without credentials: 401 with the challenge and no body', async () => {
    const reply = await v2(server, 'HEAD', '/v2/');
    expect(reply.status).toBe(401);
    expect(reply.headers.get('www-authenticate')).toBe(DEFAULT_CHALLENGE);
    expect(reply.body.length).toBe(0);
  });

  test('GET /v2/ with a GetAuthorizationToken password as AWS:<password>: 200 {}', async () => {
    const password = await registryPassword(server);
    const reply = await v2(server, 'GET', '/v2/', { headers: { Authorization: basicAuth(password) } });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    expect(reply.json()).toEqual({});
  });

  test('an invalid token: 401 on /v2/ and UNAUTHORIZED on repository routes, even when anonymous access is allowed', async () => {
    const headers = { Authorization: basicAuth('not-a-token') };
    const base = await v2(server, 'GET', '/v2/', { headers });
    expect(base.status).toBe(401);
    expect(base.headers.get('www-authenticate')).toBe(DEFAULT_CHALLENGE);

    const name = await createRepository(server, uniqueName('auth'));
    const reply = await v2(server, 'GET', `/v2/${name}/tags/list`, { headers });
    expectOciError(reply, 401, 'UNAUTHORIZED', INVALID_TOKEN);
    expect(reply.headers.get('www-authenticate')).toBe(DEFAULT_CHALLENGE);
  });

  test('a token stops working once its 12 hours are over', async () => {
    const password = await registryPassword(server);
    expect((await v2(server, 'GET', '/v2/', { headers: { Authorization: basicAuth(password) } })).status).toBe(200);
    server.clock.setOffsetSeconds(12 * 3600 + 1);
    expect((await v2(server, 'GET', '/v2/', { headers: { Authorization: basicAuth(password) } })).status).toBe(401);
  });

  test('anonymous requests use the default account and region', async () => {
    const name = await createRepository(server, uniqueName('anon'));
    const digest = await pushBlob(server, name, Buffer.from('anonymous bytes'));
    expect((await v2(server, 'HEAD', `/v2/${name}/blobs/${digest}`)).status).toBe(200);
  });

  test("a token opens its own account and region's repositories", async () => {
    const account = { accountId: '111111111111', region: 'eu-central-1' };
    const name = await createRepository(server, uniqueName('token-scope'), {}, account);
    const headers = { Authorization: basicAuth(await registryPassword(server, account)) };

    const tags = await v2(server, 'GET', `/v2/${name}/tags/list`, { headers });
    expect(tags.status).toBe(200);
    expect(tags.json()).toEqual({ name, tags: [] });

    // Without the token the same name is looked up in the default registry, where it does not exist.
    expectOciError(
      await v2(server, 'GET', `/v2/${name}/tags/list`),
      404,
      'NAME_UNKNOWN',
      `The repository with name '${name}' does not exist in the registry with id '000000000000'`,
    );
  });

  test("Host <account>.dkr.ecr.<region>.amazonaws.com addresses that account and region's repositories", async () => {
    const host = '123456789012.dkr.ecr.eu-west-1.amazonaws.com';
    const name = await createRepository(server, uniqueName('by-host'), {}, { accountId: '123456789012', region: 'eu-west-1' });
    const bytes = Buffer.from('pushed through an ECR hostname');
    const digest = sha256(bytes);

    const push = await request(server.endpoint)
      .post(`/v2/${name}/blobs/uploads/?digest=${digest}`)
      .set('Host', host)
      .set('Content-Type', 'application/octet-stream')
      .send(bytes);
    expect(push.status).toBe(201);

    const head = await request(server.endpoint).head(`/v2/${name}/blobs/${digest}`).set('Host', host);
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(bytes.length));

    const tags = await request(server.endpoint).get(`/v2/${name}/tags/list`).set('Host', `${host}:443`);
    expect(tags.status).toBe(200);
    expect(tags.body).toEqual({ name, tags: [] });

    // The default registry does not have it.
    expectOciError(await v2(server, 'GET', `/v2/${name}/blobs/${digest}`), 404, 'NAME_UNKNOWN');

    // And that registry's challenge names it.
    const challenge = await request(server.endpoint).get('/v2/').set('Host', host);
    expect(challenge.status).toBe(401);
    expect(challenge.headers['www-authenticate']).toBe(`Basic realm="https://${host}/",service="ecr.amazonaws.com"`);

    const missing = await request(server.endpoint).get(`/v2/${name}-absent/tags/list`).set('Host', host);
    expect(missing.status).toBe(404);
    expect(missing.body.errors[0]).toEqual({
      code: 'NAME_UNKNOWN',
      message: `The repository with name '${name}-absent' does not exist in the registry with id '123456789012'`,
    });
  });

  test('a method a route does not serve: 405 UNSUPPORTED', async () => {
    const name = await createRepository(server, uniqueName('methods'));
    const digest = sha256('x');
    expectOciError(await v2(server, 'POST', `/v2/${name}/manifests/latest`, { body: '{}' }), 405, 'UNSUPPORTED');
    expectOciError(await v2(server, 'PUT', `/v2/${name}/blobs/${digest}`, { body: 'x' }), 405, 'UNSUPPORTED');
    expectOciError(await v2(server, 'DELETE', `/v2/${name}/tags/list`), 405, 'UNSUPPORTED');
    expectOciError(await v2(server, 'PATCH', `/v2/${name}/blobs/uploads/`, { body: 'x' }), 405, 'UNSUPPORTED');
  });

  test('an error answer to HEAD has the status and headers but no body', async () => {
    const name = await createRepository(server, uniqueName('head-error'));
    const reply = await v2(server, 'HEAD', `/v2/${name}/manifests/absent`);
    expect(reply.status).toBe(404);
    expect(reply.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    expect(reply.body.length).toBe(0);

    const blob = await v2(server, 'HEAD', `/v2/${name}/blobs/${sha256('absent')}`);
    expect(blob.status).toBe(404);
    expect(blob.body.length).toBe(0);
  });

  test('a path under /v2 that is no route: 404', async () => {
    const name = await createRepository(server, uniqueName('no-route'));
    const reply = await v2(server, 'GET', `/v2/${name}/nothing-here`);
    expect(reply.status).toBe(404);
    expect(reply.json()).toEqual({ errors: [expect.objectContaining({ code: expect.any(String) })] });
  });
});

describe('--require-auth (requireAuth: true)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ requireAuth: true });
  });
  afterAll(() => server.close());

  test('anonymous blob and manifest requests: 401 UNAUTHORIZED with the challenge', async () => {
    const name = await createRepository(server, uniqueName('locked'));
    const digest = sha256('whatever');
    for (const [method, path] of [
      ['GET', `/v2/${name}/blobs/${digest}`],
      ['HEAD', `/v2/${name}/blobs/${digest}`],
      ['POST', `/v2/${name}/blobs/uploads/`],
      ['GET', `/v2/${name}/manifests/latest`],
      ['PUT', `/v2/${name}/manifests/latest`],
      ['GET', `/v2/${name}/tags/list`],
    ] as const) {
      const reply = await v2(server, method, path, method === 'PUT' || method === 'POST' ? { body: '{}' } : {});
      expect({ method, path, status: reply.status }).toEqual({ method, path, status: 401 });
      expect(reply.headers.get('www-authenticate')).toBe(DEFAULT_CHALLENGE);
      if (method !== 'HEAD') expect(reply.json()).toEqual({ errors: [{ code: 'UNAUTHORIZED', message: 'Not Authorized' }] });
    }
  });

  test('with a token, the same requests are served', async () => {
    const name = await createRepository(server, uniqueName('locked'));
    const headers = { Authorization: basicAuth(await registryPassword(server)) };
    const digest = await pushBlob(server, name, Buffer.from('authorised bytes'), headers);
    const reply = await v2(server, 'GET', `/v2/${name}/blobs/${digest}`, { headers });
    expect(reply.status).toBe(200);
    expect(reply.text).toBe('authorised bytes');
    expectOciError(await v2(server, 'GET', `/v2/${name}/manifests/latest`, { headers }), 404, 'MANIFEST_UNKNOWN');
  });
});
