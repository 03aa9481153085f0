import { DescribeImagesCommand, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  basicAuth,
  createRepository,
  expectOciError,
  pushImage,
  registryPassword,
  sha256,
  uniqueName,
  v2,
  type PushedImage,
  type Reply,
} from '../helpers/registry.js';

// A token acts as the identity that obtained it, in the region that issued it: under
// --require-auth, account A's token is refused (403 DENIED) in account B's repositories and a
// us-east-1 token is refused (401 and that registry's challenge) by eu-west-1, on every /v2 route.

const A = '111111111111';
const B = '222222222222';
const INVALID_TOKEN = 'Your authorization token is invalid or has expired. Reauthenticate and try again.';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ requireAuth: true });
});
afterAll(() => server.close());

const hostOf = (account: string, region: string): string => `${account}.dkr.ecr.${region}.localhost:${server.port}`;
const challengeFor = (account: string, region: string): string =>
  `Basic realm="https://${account}.dkr.ecr.${region}.amazonaws.com/",service="ecr.amazonaws.com"`;
const authOf = async (accountId: string, region = 'us-east-1') => ({ Authorization: basicAuth(await registryPassword(server, { accountId, region })) });

/** What one registry of B's holds: a repository with an image and an upload session holding 3 bytes. */
interface Fixture {
  region: string;
  name: string;
  image: PushedImage;
  uploadId: string;
  auth: Record<string, string>;
}

async function openUpload(fixture: Pick<Fixture, 'region' | 'name' | 'auth'>, bytes?: string): Promise<string> {
  const host = hostOf(B, fixture.region);
  const started = await v2(server, 'POST', `/v2/${fixture.name}/blobs/uploads/`, { headers: fixture.auth, host });
  expect(started.status).toBe(202);
  const uploadId = started.headers.get('docker-upload-uuid')!;
  if (bytes !== undefined) {
    const headers = { ...fixture.auth, 'Content-Type': 'application/octet-stream', 'Content-Range': `0-${bytes.length - 1}` };
    const patched = await v2(server, 'PATCH', `/v2/${fixture.name}/blobs/uploads/${uploadId}`, { headers, body: bytes, host });
    expect(patched.status).toBe(202);
  }
  return uploadId;
}

async function fixtureIn(region: string): Promise<Fixture> {
  const name = await createRepository(server, uniqueName('owned-by-b'), {}, { accountId: B, region });
  const auth = await authOf(B, region);
  // B's own token, no Host: the token's registry.
  const image = await pushImage(server, name, { tag: 'v1', headers: auth });
  const uploadId = await openUpload({ region, name, auth }, 'abc');
  return { region, name, image, uploadId, auth };
}

/** One /v2 request: the ECR action it performs and what the owner gets for it. */
interface RouteCase {
  label: string;
  action: string;
  ownerStatus: number;
  /** Needs an upload session of its own when the owner sends it (it would close or change it). */
  ownUpload?: boolean;
  request(fixture: Fixture, uploadId: string): { method: string; path: string; headers?: Record<string, string>; body?: Buffer | string };
}

const PART = Buffer.from('part');
// Ordered so that the owner's destructive requests come last.
const ROUTES: RouteCase[] = [
  { label: 'GET tags/list', action: 'ecr:ListImages', ownerStatus: 200, request: (f) => ({ method: 'GET', path: `/v2/${f.name}/tags/list` }) },
  { label: 'GET manifest', action: 'ecr:BatchGetImage', ownerStatus: 200, request: (f) => ({ method: 'GET', path: `/v2/${f.name}/manifests/v1` }) },
  { label: 'HEAD manifest', action: 'ecr:BatchGetImage', ownerStatus: 200, request: (f) => ({ method: 'HEAD', path: `/v2/${f.name}/manifests/v1` }) },
  {
    label: 'PUT manifest',
    action: 'ecr:PutImage',
    ownerStatus: 201,
    request: (f) => ({ method: 'PUT', path: `/v2/${f.name}/manifests/moved`, headers: { 'Content-Type': f.image.mediaType }, body: f.image.manifest }),
  },
  { label: 'GET blob', action: 'ecr:GetDownloadUrlForLayer', ownerStatus: 200, request: (f) => ({ method: 'GET', path: `/v2/${f.name}/blobs/${f.image.layers[0].digest}` }) },
  {
    label: 'HEAD blob',
    action: 'ecr:BatchCheckLayerAvailability',
    ownerStatus: 200,
    request: (f) => ({ method: 'HEAD', path: `/v2/${f.name}/blobs/${f.image.layers[0].digest}` }),
  },
  { label: 'GET referrers', action: 'ecr:BatchGetImage', ownerStatus: 200, request: (f) => ({ method: 'GET', path: `/v2/${f.name}/referrers/${f.image.digest}` }) },
  {
    label: 'POST upload',
    action: 'ecr:InitiateLayerUpload',
    ownerStatus: 202,
    request: (f) => ({ method: 'POST', path: `/v2/${f.name}/blobs/uploads/` }),
  },
  {
    label: 'GET upload',
    action: 'ecr:UploadLayerPart',
    ownerStatus: 204,
    request: (f, id) => ({ method: 'GET', path: `/v2/${f.name}/blobs/uploads/${id}` }),
  },
  {
    label: 'PATCH upload',
    action: 'ecr:UploadLayerPart',
    ownerStatus: 202,
    ownUpload: true,
    request: (f, id) => ({
      method: 'PATCH',
      path: `/v2/${f.name}/blobs/uploads/${id}`,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `0-${PART.length - 1}` },
      body: PART,
    }),
  },
  {
    label: 'PUT upload',
    action: 'ecr:CompleteLayerUpload',
    ownerStatus: 201,
    ownUpload: true,
    request: (f, id) => ({
      method: 'PUT',
      path: `/v2/${f.name}/blobs/uploads/${id}?digest=${sha256(PART)}`,
      headers: { 'Content-Type': 'application/octet-stream' },
      body: PART,
    }),
  },
  {
    label: 'DELETE upload',
    action: 'ecr:UploadLayerPart',
    ownerStatus: 204,
    ownUpload: true,
    request: (f, id) => ({ method: 'DELETE', path: `/v2/${f.name}/blobs/uploads/${id}` }),
  },
  {
    label: 'DELETE blob',
    action: 'ecr:BatchDeleteImage',
    ownerStatus: 202,
    request: (f) => ({ method: 'DELETE', path: `/v2/${f.name}/blobs/${f.image.layers[1].digest}` }),
  },
  {
    label: 'DELETE manifest',
    action: 'ecr:BatchDeleteImage',
    ownerStatus: 202,
    request: (f) => ({ method: 'DELETE', path: `/v2/${f.name}/manifests/${f.image.digest}` }),
  },
];

function send(fixture: Fixture, route: RouteCase, auth: Record<string, string>, host: string, uploadId = fixture.uploadId): Promise<Reply> {
  const { method, path, headers, body } = route.request(fixture, uploadId);
  return v2(server, method, path, { headers: { ...headers, ...auth }, body, host });
}

/** Everything a refused request could have changed in a fixture's registry. */
async function stateOf(fixture: Fixture) {
  const host = hostOf(B, fixture.region);
  const manifest = await v2(server, 'GET', `/v2/${fixture.name}/manifests/v1`, { headers: { ...fixture.auth, Accept: fixture.image.mediaType }, host });
  const blobs = await Promise.all(
    [...fixture.image.layers, fixture.image.config].map(async ({ digest }) => (await v2(server, 'GET', `/v2/${fixture.name}/blobs/${digest}`, { headers: fixture.auth, host })).text),
  );
  const upload = await v2(server, 'GET', `/v2/${fixture.name}/blobs/uploads/${fixture.uploadId}`, { headers: fixture.auth, host });
  const { imageDetails } = await server.client({ accountId: B, region: fixture.region }).send(new DescribeImagesCommand({ repositoryName: fixture.name }));
  return {
    manifest: { status: manifest.status, text: manifest.text },
    blobs,
    upload: { status: upload.status, range: upload.headers.get('range') },
    uploadSessions: (await server.store.tables.uploads.list('')).length,
    images: imageDetails?.map(({ imageDigest, imageTags }) => ({ imageDigest, imageTags })),
  };
}

describe('a token of another account (A) against B’s registry', () => {
  test('every /v2 route: 403 DENIED naming the route’s action and the repository, and nothing in B changes', async () => {
    const fixture = await fixtureIn('us-east-1');
    const before = await stateOf(fixture);
    expect(before.manifest).toEqual({ status: 200, text: fixture.image.manifest.toString('utf8') });
    expect(before.upload).toEqual({ status: 204, range: '0-2' });

    const auth = await authOf(A);
    for (const route of ROUTES) {
      const reply = await send(fixture, route, auth, hostOf(B, 'us-east-1'));
      if (route.request(fixture, fixture.uploadId).method === 'HEAD') {
        expect({ route: route.label, status: reply.status, body: reply.text }).toEqual({ route: route.label, status: 403, body: '' });
        continue;
      }
      expect({ route: route.label, status: reply.status, body: reply.json() }).toEqual({
        route: route.label,
        status: 403,
        body: {
          errors: [
            {
              code: 'DENIED',
              message:
                `User: arn:aws:iam::${A}:root is not authorized to perform: ${route.action} on resource: ` +
                `arn:aws:ecr:us-east-1:${B}:repository/${fixture.name} because no resource-based policy allows the ${route.action} action`,
            },
          ],
        },
      });
    }
    expect(await stateOf(fixture)).toEqual(before);
  });

  test('the same token still works in its own account, with or without a Host naming it', async () => {
    const name = await createRepository(server, uniqueName('owned-by-a'), {}, { accountId: A });
    const auth = await authOf(A);
    await pushImage(server, name, { tag: 'v1', headers: auth });
    expect((await v2(server, 'GET', `/v2/${name}/tags/list`, { headers: auth, host: hostOf(A, 'us-east-1') })).json()).toEqual({ name, tags: ['v1'] });
  });

  test('a repository B does not have: still 403, so A learns nothing of what B holds', async () => {
    const reply = await v2(server, 'GET', `/v2/absent-${Date.now()}/tags/list`, { headers: await authOf(A), host: hostOf(B, 'us-east-1') });
    expectOciError(reply, 403, 'DENIED', /^User: arn:aws:iam::111111111111:root is not authorized to perform: ecr:ListImages/);
  });

  test('docker login (GET /v2/) to B’s registry in the token’s region succeeds: access is decided per repository', async () => {
    const reply = await v2(server, 'GET', '/v2/', { headers: await authOf(A), host: hostOf(B, 'us-east-1') });
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({});
  });

  test('a token A asked for with registryIds [B] goes to B’s registry when no Host names one, and acts as A there', async () => {
    const { authorizationData } = await server.client({ accountId: A }).send(new GetAuthorizationTokenCommand({ registryIds: [B] }));
    const password = Buffer.from(authorizationData![0].authorizationToken!, 'base64').toString('utf8').slice('AWS:'.length);
    const fixture = await fixtureIn('us-east-1');
    // Without a Host naming a registry, the token goes to the one it was asked for: B's.
    const reply = await v2(server, 'GET', `/v2/${fixture.name}/manifests/v1`, { headers: { Authorization: basicAuth(password) } });
    expectOciError(reply, 403, 'DENIED', new RegExp(`^User: arn:aws:iam::${A}:root is not authorized to perform: ecr:BatchGetImage on resource: arn:aws:ecr:us-east-1:${B}:repository/`));
  });
});

describe('a token of another region (us-east-1) against the same account’s eu-west-1 registry', () => {
  test('every /v2 route: 401 UNAUTHORIZED with eu-west-1’s challenge, and nothing there changes', async () => {
    const fixture = await fixtureIn('eu-west-1');
    const before = await stateOf(fixture);
    const auth = await authOf(B, 'us-east-1');
    for (const route of ROUTES) {
      const reply = await send(fixture, route, auth, hostOf(B, 'eu-west-1'));
      expect({ route: route.label, status: reply.status, challenge: reply.headers.get('www-authenticate') }).toEqual({
        route: route.label,
        status: 401,
        challenge: challengeFor(B, 'eu-west-1'),
      });
      if (route.request(fixture, fixture.uploadId).method !== 'HEAD') expectOciError(reply, 401, 'UNAUTHORIZED', INVALID_TOKEN);
    }
    expect(await stateOf(fixture)).toEqual(before);
  });

  test('docker login (GET /v2/) to the other region: 401 with that registry’s challenge', async () => {
    const reply = await v2(server, 'GET', '/v2/', { headers: await authOf(B, 'us-east-1'), host: hostOf(B, 'eu-west-1') });
    expect(reply.status).toBe(401);
    expect(reply.headers.get('www-authenticate')).toBe(challengeFor(B, 'eu-west-1'));
  });

  test('another account in another region: the region is refused first (401)', async () => {
    const fixture = await fixtureIn('eu-west-1');
    const reply = await v2(server, 'GET', `/v2/${fixture.name}/tags/list`, { headers: await authOf(A, 'us-east-1'), host: hostOf(B, 'eu-west-1') });
    expectOciError(reply, 401, 'UNAUTHORIZED', INVALID_TOKEN);
    expect(reply.headers.get('www-authenticate')).toBe(challengeFor(B, 'eu-west-1'));
  });
});

describe('the owner’s own token', () => {
  test('is served on every /v2 route, through its registry’s Host', async () => {
    const fixture = await fixtureIn('us-east-1');
    for (const route of ROUTES) {
      const uploadId = route.ownUpload ? await openUpload(fixture) : fixture.uploadId;
      const reply = await send(fixture, route, fixture.auth, hostOf(B, 'us-east-1'), uploadId);
      expect({ route: route.label, status: reply.status }).toEqual({ route: route.label, status: route.ownerStatus });
    }
  });
});

describe('the Basic user name', () => {
  test('must be AWS: any other, with a valid password, is 401 with the challenge on /v2/ and on routes', async () => {
    const fixture = await fixtureIn('us-east-1');
    const password = await registryPassword(server, { accountId: B });
    for (const user of ['aws', 'bob', 'AWS ', '']) {
      const headers = { Authorization: basicAuth(password, user) };
      const login = await v2(server, 'GET', '/v2/', { headers, host: hostOf(B, 'us-east-1') });
      expect({ user, status: login.status, challenge: login.headers.get('www-authenticate') }).toEqual({
        user,
        status: 401,
        challenge: challengeFor(B, 'us-east-1'),
      });
      const reply = await v2(server, 'GET', `/v2/${fixture.name}/manifests/v1`, { headers, host: hostOf(B, 'us-east-1') });
      expectOciError(reply, 401, 'UNAUTHORIZED', INVALID_TOKEN);
      expect(reply.headers.get('www-authenticate')).toBe(challengeFor(B, 'us-east-1'));
    }
    expect((await v2(server, 'GET', `/v2/${fixture.name}/manifests/v1`, { headers: { Authorization: basicAuth(password) }, host: hostOf(B, 'us-east-1') })).status).toBe(200);
  });
});

describe('without --require-auth, with --registry-host naming registries', () => {
  let open: TestServer;
  beforeAll(async () => {
    open = await startTestServer({ registryHost: '{account}.dkr.ecr.{region}.localhost:5080' });
  });
  afterAll(() => open.close());

  test('anonymous requests are still served on the Host’s registry, and tokens are still bound to their scope', async () => {
    const name = await createRepository(open, uniqueName('open'), {}, { accountId: B });
    const host = `${B}.dkr.ecr.us-east-1.localhost:5080`;
    const image = await pushImage(open, name, { tag: 'v1', headers: { Authorization: basicAuth(await registryPassword(open, { accountId: B })) } });
    const anonymous = await v2(open, 'GET', `/v2/${name}/manifests/v1`, { headers: { Accept: image.mediaType }, host });
    expect(anonymous.status).toBe(200);

    const other = await v2(open, 'GET', `/v2/${name}/manifests/v1`, { headers: { Authorization: basicAuth(await registryPassword(open, { accountId: A })) }, host });
    expectOciError(other, 403, 'DENIED');
  });

  test('registryIds still picks the proxyEndpoint, which the token logs in to but cannot read from', async () => {
    const name = await createRepository(open, uniqueName('proxy'), {}, { accountId: B });
    const { authorizationData } = await open.client({ accountId: A }).send(new GetAuthorizationTokenCommand({ registryIds: [B] }));
    const [{ proxyEndpoint, authorizationToken }] = authorizationData!;
    expect(proxyEndpoint).toBe(`http://${B}.dkr.ecr.us-east-1.localhost:5080`);
    const headers = { Authorization: `Basic ${authorizationToken}` };
    const host = new URL(proxyEndpoint!).host;
    expect((await v2(open, 'GET', '/v2/', { headers, host })).status).toBe(200);
    expectOciError(await v2(open, 'GET', `/v2/${name}/tags/list`, { headers, host }), 403, 'DENIED');
  });
});
