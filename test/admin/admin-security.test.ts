// The admin endpoints answer only callers that mean to: a foreign Host (DNS rebinding) and a
// request a web page could send (a cross-site form post) are refused, and under --require-auth
// (or with an admin token) so is a caller without credentials. Each refusal leaves every piece of
// state the four state-changing endpoints touch as it was.
import { connect } from 'node:net';
import { DescribeImagesCommand, DescribeRepositoriesCommand, GetDownloadUrlForLayerCommand, PutLifecyclePolicyCommand } from '@aws-sdk/client-ecr';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { createHostCheck } from '../../src/admin/allowed-hosts.js';
import { adminRequest, type AdminAnswer } from '../helpers/admin.js';
import { basicAuth, createRepository, pushImage, registryPassword, uniqueName, v2 } from '../helpers/registry.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

const TOKEN = 'correct-horse-battery-staple';
const JSON_TYPE = { 'Content-Type': 'application/json' };
const BEARER = { Authorization: `Bearer ${TOKEN}` };

/** Every state-changing admin endpoint, with a body that would change state if accepted. */
const STATE_CHANGING: Array<[path: string, body: string]> = [
  ['/_berth/reset', ''],
  ['/_berth/gc?graceSeconds=0&uploadMaxAgeSeconds=0', ''],
  ['/_berth/clock', '{"offsetSeconds": 99999}'],
  ['/_berth/lifecycle/run', ''],
];

let open: TestServer;
let locked: TestServer;
let lockedWithoutToken: TestServer;
beforeAll(async () => {
  [open, locked, lockedWithoutToken] = await Promise.all([
    startTestServer({ lifecycleIntervalMs: 0, allowedHosts: ['berth.internal'], registryHost: '{account}.dkr.ecr.{region}.berth.test:5080' }),
    startTestServer({ lifecycleIntervalMs: 0, requireAuth: true, adminToken: TOKEN }),
    startTestServer({ lifecycleIntervalMs: 0, requireAuth: true }),
  ]);
});
afterAll(() => Promise.all([open.close(), locked.close(), lockedWithoutToken.close()]));

/**
 * State each endpoint would change: a repository (reset), two images under a policy that keeps
 * one (lifecycle run), an open upload session (gc at age 0) and a clock offset (clock).
 */
interface World {
  repository: string;
  upload: string;
  registryHeaders: Record<string, string>;
  offsetSeconds: number;
}

async function prepareWorld(server: TestServer): Promise<World> {
  const registryHeaders: Record<string, string> = server.engine.config.requireAuth ? { Authorization: basicAuth(await registryPassword(server)) } : {};
  const repository = await createRepository(server, uniqueName('guarded'));
  const rule = { rulePriority: 1, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } };
  await server.client().send(new PutLifecyclePolicyCommand({ repositoryName: repository, lifecyclePolicyText: JSON.stringify({ rules: [rule] }) }));
  await pushImage(server, repository, { tag: 'one', headers: registryHeaders });
  await pushImage(server, repository, { tag: 'two', headers: registryHeaders });
  const started = await v2(server, 'POST', `/v2/${repository}/blobs/uploads/`, { headers: registryHeaders });
  expect(started.status).toBe(202);
  server.clock.setOffsetSeconds(1234);
  return { repository, upload: started.headers.get('location')!, registryHeaders, offsetSeconds: 1234 };
}

async function expectUnchanged(server: TestServer, world: World): Promise<void> {
  const { repositories } = await server.client().send(new DescribeRepositoriesCommand({}));
  expect(repositories!.map((repository) => repository.repositoryName)).toContain(world.repository);
  const { imageDetails } = await server.client().send(new DescribeImagesCommand({ repositoryName: world.repository }));
  expect(imageDetails).toHaveLength(2);
  expect((await v2(server, 'GET', world.upload, { headers: world.registryHeaders })).status).toBe(204);
  expect(server.clock.offsetSeconds()).toBe(world.offsetSeconds);
}

/** Sends every state-changing request with `headers`; each answer must be `status`, and nothing changes. */
async function expectAllRefused(server: TestServer, headers: Record<string, string>, status: number, message: RegExp): Promise<AdminAnswer[]> {
  const world = await prepareWorld(server);
  const answers: AdminAnswer[] = [];
  for (const [path, body] of STATE_CHANGING) {
    const answer = await adminRequest(server.endpoint, 'POST', path, { headers, body });
    expect({ path, status: answer.status, message: answer.json.message }).toEqual({ path, status, message: expect.stringMatching(message) });
    answers.push(answer);
  }
  await expectUnchanged(server, world);
  return answers;
}

/** A request signed by the AWS SDK's own SigV4 signer, as any AWS client would send it. */
async function signedHeaders(server: TestServer, method: string, path: string, body: string): Promise<Record<string, string>> {
  const url = new URL(path, server.endpoint);
  const signer = new SignatureV4({ service: 'ecr', region: 'us-east-1', sha256: Sha256, credentials: { accessKeyId: 'AKIDADMIN', secretAccessKey: 'secret' } });
  const signed = await signer.sign({
    method,
    protocol: 'http:',
    hostname: url.hostname,
    port: Number(url.port),
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: { host: url.host, 'content-type': 'application/json' },
    body,
  });
  return signed.headers;
}

describe.each([
  ['without --require-auth', () => open, {}],
  ['under --require-auth, with the admin token', () => locked, BEARER],
])('%s', (_label, serverOf, credentials) => {
  test('a text/plain cross-origin POST (a form on another site) is refused and changes nothing', async () => {
    await expectAllRefused(serverOf(), { ...credentials, 'Content-Type': 'text/plain', Origin: 'http://evil.example' }, 403, /Cross-origin/);
  });

  test('a POST without a JSON content type or X-Berth-Admin is a 415 that says what to send, and changes nothing', async () => {
    await expectAllRefused(serverOf(), { ...credentials, 'Content-Type': 'application/x-www-form-urlencoded' }, 415, /Content-Type: application\/json.*X-Berth-Admin/);
    await expectAllRefused(serverOf(), credentials, 415, /Content-Type: application\/json/);
  });

  test('a foreign Host (a DNS rebinding page) is refused with 403 naming --allowed-host, and changes nothing', async () => {
    const port = new URL(serverOf().endpoint).port;
    await expectAllRefused(serverOf(), { ...credentials, ...JSON_TYPE, Host: `evil.example:${port}` }, 403, /--allowed-host/);
    const read = await adminRequest(serverOf().endpoint, 'GET', '/_berth/clock', { headers: { ...credentials, Host: `evil.example:${port}` } });
    expect(read.status).toBe(403);
  });

  test('a JSON POST, or one with X-Berth-Admin, from its own origin is accepted', async () => {
    const server = serverOf();
    const asJson = await adminRequest(server.endpoint, 'POST', '/_berth/clock', { headers: { ...credentials, ...JSON_TYPE, Origin: server.endpoint }, body: '{"offsetSeconds": 60}' });
    expect(asJson.status).toBe(200);
    expect(server.clock.offsetSeconds()).toBe(60);
    const emptyJson = await adminRequest(server.endpoint, 'POST', '/_berth/gc', { headers: { ...credentials, ...JSON_TYPE } });
    expect(emptyJson.status).toBe(200);
    const withHeader = await adminRequest(server.endpoint, 'POST', '/_berth/lifecycle/run', { headers: { ...credentials, 'X-Berth-Admin': '1', 'Content-Type': 'text/plain' } });
    expect(withHeader.status).toBe(200);
  });
});

describe('under --require-auth', () => {
  test('each state-changing endpoint refuses a caller without credentials with 401 and a Bearer challenge, and nothing changes', async () => {
    const answers = await expectAllRefused(locked, JSON_TYPE, 401, /need credentials.*Bearer.*SigV4/);
    for (const answer of answers) expect(answer.headers['www-authenticate']).toBe('Bearer realm="berth-admin"');
    expect((await adminRequest(locked.endpoint, 'GET', '/_berth/clock')).status).toBe(401);
  });

  test('a wrong admin token, or a malformed signature, is refused and changes nothing', async () => {
    await expectAllRefused(locked, { ...JSON_TYPE, Authorization: `Bearer ${TOKEN}x` }, 401, /admin token is not valid/);
    await expectAllRefused(locked, { ...JSON_TYPE, Authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/ecr/aws4_request, SignedHeaders=host, Signature=nothex' }, 401, /well-formed/);
    await expectAllRefused(locked, { ...JSON_TYPE, Authorization: 'Basic QVdTOnNlY3JldA==' }, 401, /neither Bearer/);
  });

  test('a request signed by the SDK signer is accepted (signatures are not verified while IAM is off)', async () => {
    for (const server of [locked, lockedWithoutToken]) {
      const body = '{"offsetSeconds": 3600}';
      const headers = await signedHeaders(server, 'POST', '/_berth/clock', body);
      expect(headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDADMIN\//);
      const answer = await adminRequest(server.endpoint, 'POST', '/_berth/clock', { headers, body });
      expect(answer.status).toBe(200);
      expect(server.clock.offsetSeconds()).toBe(3600);
    }
  });

  test('the admin token resets all state', async () => {
    const world = await prepareWorld(locked);
    const answer = await adminRequest(locked.endpoint, 'POST', '/_berth/reset', { headers: { ...BEARER, ...JSON_TYPE } });
    expect(answer).toMatchObject({ status: 200, json: { status: 'reset' } });
    const { repositories } = await locked.client().send(new DescribeRepositoriesCommand({}));
    expect(repositories!.map((repository) => repository.repositoryName)).not.toContain(world.repository);
  });

  test('with no admin token configured, a bearer token is refused with a message saying so', async () => {
    await expectAllRefused(lockedWithoutToken, { ...JSON_TYPE, Authorization: 'Bearer anything' }, 401, /No admin token is configured/);
  });

  test('/_berth/health stays open: no credentials, any Host', async () => {
    const answer = await adminRequest(locked.endpoint, 'GET', '/_berth/health', { headers: { Host: 'evil.example' } });
    expect(answer).toMatchObject({ status: 200, json: { status: 'ok' } });
  });
});

describe('Host names the admin endpoints answer', () => {
  const hostStatus = async (host: string): Promise<number> => (await adminRequest(open.endpoint, 'GET', '/_berth/clock', { headers: { Host: host } })).status;

  test.each([
    'localhost:5080',
    'LOCALHOST',
    'localhost.',
    'app.localhost:3000',
    '127.0.0.1:1',
    '10.1.2.3',
    '[::1]:5080',
    'berth.internal',
    'Berth.Internal:9999',
    '123456789012.dkr.ecr.eu-west-1.berth.test:5080',
    '000000000000.dkr.ecr.us-east-1.berth.test',
  ])('%s is accepted', async (host) => {
    expect(await hostStatus(host)).toBe(200);
  });

  test.each([
    'evil.example',
    'localhost.evil.example',
    'berth.internal.evil.example',
    '12345.dkr.ecr.eu-west-1.berth.test',
    'x123456789012.dkr.ecr.eu-west-1.berth.test',
    '123456789012.dkr.ecr.eu-west-1.berth.test.evil.example',
    '::1',
    '[evil.example]',
  ])('%s is refused', async (host) => {
    expect(await hostStatus(host)).toBe(403);
  });

  test('layer download URLs are not behind the Host check (a signed URL is its own credential)', async () => {
    const repository = await createRepository(open, uniqueName('download'));
    const image = await pushImage(open, repository);
    const { downloadUrl } = await open.client().send(new GetDownloadUrlForLayerCommand({ repositoryName: repository, layerDigest: image.layers[0].digest }));
    const url = new URL(downloadUrl!);
    const answer = await adminRequest(open.endpoint, 'GET', url.pathname, { headers: { Host: 'evil.example' } });
    expect({ status: answer.status, text: answer.text }).toEqual({ status: 200, text: image.layers[0].bytes.toString('utf8') });
  });

  test('an HTTP/1.0 request without Host (no browser sends one) is answered', async () => {
    const { port } = new URL(open.endpoint);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.end('GET /_berth/clock HTTP/1.0\r\n\r\n'));
      let text = '';
      socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 200 /);
  });

  test('the Host check is case-insensitive and ignores the port, but a same-named Origin on another port is another origin', async () => {
    const answer = await adminRequest(open.endpoint, 'POST', '/_berth/gc', {
      headers: { ...JSON_TYPE, Host: `LOCALHOST:${new URL(open.endpoint).port}`, Origin: 'http://localhost:1' },
    });
    expect(answer.status).toBe(403);
    expect(answer.json.message).toMatch(/Cross-origin/);
  });
});

test('a name Berth is bound to (--host) is one it answers to', () => {
  // A server cannot listen on an invented name, so this rule is checked on the function itself.
  const check = createHostCheck({ boundHost: 'devbox.lan', allowedHosts: [] });
  expect(check('DEVBOX.lan:5080')).toBe(true);
  expect(check('devbox.lan.evil.example')).toBe(false);
  expect(createHostCheck({ boundHost: '0.0.0.0', allowedHosts: [] })('0.0.0.0.evil.example')).toBe(false);
});
