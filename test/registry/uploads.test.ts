import { PutAccountSettingCommand } from '@aws-sdk/client-ecr';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  basicAuth,
  createRepository,
  expectOciError,
  pushBlob,
  registryPassword,
  sha256,
  uniqueName,
  v2,
  type Reply,
} from '../helpers/registry.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const BYTES = Buffer.from(Array.from({ length: 300 }, (_, index) => (index * 13 + 1) % 256));
const UPLOAD_LOCATION = /^\/v2\/[^?]+\/blobs\/uploads\/[^/?]+$/;

/** POST /v2/<name>/blobs/uploads/ and checks the 202 that opens a session. */
async function openSession(name: string): Promise<{ location: string; id: string }> {
  const reply = await v2(server, 'POST', `/v2/${name}/blobs/uploads/`);
  expect(reply.status).toBe(202);
  const location = reply.headers.get('location')!;
  expect(location).toMatch(UPLOAD_LOCATION);
  expect(location.startsWith(`/v2/${name}/blobs/uploads/`)).toBe(true);
  expect(reply.headers.get('range')).toBe('0-0');
  const id = reply.headers.get('docker-upload-uuid')!;
  expect(location.endsWith(`/${id}`)).toBe(true);
  expect(reply.headers.get('content-length')).toBe('0');
  return { location, id };
}

const withDigest = (location: string, digest: string) => `${location}${location.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;

function patch(location: string, chunk: Buffer, contentRange?: string): Promise<Reply> {
  return v2(server, 'PATCH', location, {
    headers: { 'Content-Type': 'application/octet-stream', ...(contentRange ? { 'Content-Range': contentRange } : {}) },
    body: chunk,
  });
}

async function expectBlob(name: string, digest: string, bytes: Buffer): Promise<void> {
  const reply = await v2(server, 'GET', `/v2/${name}/blobs/${digest}`);
  expect(reply.status).toBe(200);
  expect(reply.body.equals(bytes)).toBe(true);
}

function expectCreated(reply: Reply, name: string, digest: string): void {
  expect({ status: reply.status, body: reply.text }).toEqual({ status: 201, body: '' });
  expect(reply.headers.get('location')).toBe(`/v2/${name}/blobs/${digest}`);
  expect(reply.headers.get('docker-content-digest')).toBe(digest);
}

test('monolithic POST ?digest= with the body: 201 with the blob Location, then the blob is served', async () => {
  const name = await createRepository(server, uniqueName('up-mono'));
  const digest = sha256(BYTES);
  const reply = await v2(server, 'POST', `/v2/${name}/blobs/uploads/?digest=${digest}`, {
    headers: { 'Content-Type': 'application/octet-stream' },
    body: BYTES,
  });
  expectCreated(reply, name, digest);
  await expectBlob(name, digest, BYTES);
});

test('POST then PUT ?digest= with the whole body: 201', async () => {
  const name = await createRepository(server, uniqueName('up-post-put'));
  const { location } = await openSession(name);
  const digest = sha256(BYTES);
  const reply = await v2(server, 'PUT', withDigest(location, digest), { headers: { 'Content-Type': 'application/octet-stream' }, body: BYTES });
  expectCreated(reply, name, digest);
  await expectBlob(name, digest, BYTES);
  // The session is closed.
  expectOciError(await v2(server, 'GET', location), 404, 'BLOB_UPLOAD_UNKNOWN');
});

test('chunked: PATCHes with Content-Range, GET status (204 with Range), PUT ?digest= without a body', async () => {
  const name = await createRepository(server, uniqueName('up-chunks'));
  const { location, id } = await openSession(name);

  const first = await patch(location, BYTES.subarray(0, 100), '0-99');
  expect(first.status).toBe(202);
  expect(first.headers.get('range')).toBe('0-99');
  expect(first.headers.get('location')).toBe(location);
  expect(first.headers.get('docker-upload-uuid')).toBe(id);

  const second = await patch(first.headers.get('location')!, BYTES.subarray(100, 250), '100-249');
  expect([second.status, second.headers.get('range')]).toEqual([202, '0-249']);

  const status = await v2(server, 'GET', location);
  expect(status.status).toBe(204);
  expect(status.headers.get('range')).toBe('0-249');
  expect(status.headers.get('location')).toBe(location);
  expect(status.headers.get('docker-upload-uuid')).toBe(id);
  expect(status.body.length).toBe(0);

  // A PATCH without Content-Range (docker's streamed upload) appends too.
  const third = await patch(location, BYTES.subarray(250));
  expect([third.status, third.headers.get('range')]).toEqual([202, '0-299']);

  const digest = sha256(BYTES);
  expectCreated(await v2(server, 'PUT', withDigest(location, digest)), name, digest);
  await expectBlob(name, digest, BYTES);
});

test('the last chunk may come with the PUT, with its Content-Range', async () => {
  const name = await createRepository(server, uniqueName('up-last-chunk'));
  const { location } = await openSession(name);
  await patch(location, BYTES.subarray(0, 200), '0-199');
  const digest = sha256(BYTES);
  const reply = await v2(server, 'PUT', withDigest(location, digest), {
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': '200-299' },
    body: BYTES.subarray(200),
  });
  expectCreated(reply, name, digest);
  await expectBlob(name, digest, BYTES);
});

test('an out-of-order chunk: 416 RANGE_INVALID with the Range received so far; the session is unchanged', async () => {
  const name = await createRepository(server, uniqueName('up-order'));
  const { location } = await openSession(name);
  await patch(location, BYTES.subarray(0, 100), '0-99');

  for (const contentRange of ['150-199', '50-149', '0-99']) {
    const reply = await patch(location, BYTES.subarray(100, 150), contentRange);
    expectOciError(reply, 416, 'RANGE_INVALID');
    expect(reply.headers.get('range')).toBe('0-99');
    expect(reply.headers.get('location')).toBe(location);
  }
  // A gap on the closing PUT is refused the same way.
  const put = await v2(server, 'PUT', withDigest(location, sha256(BYTES)), {
    headers: { 'Content-Range': '200-299' },
    body: BYTES.subarray(200),
  });
  expectOciError(put, 416, 'RANGE_INVALID');
  expect(put.headers.get('range')).toBe('0-99');

  const status = await v2(server, 'GET', location);
  expect([status.status, status.headers.get('range')]).toEqual([204, '0-99']);

  // The right next chunk still goes on.
  const next = await patch(location, BYTES.subarray(100), '100-299');
  expect([next.status, next.headers.get('range')]).toEqual([202, '0-299']);
  expectCreated(await v2(server, 'PUT', withDigest(location, sha256(BYTES))), name, sha256(BYTES));
});

test('DELETE cancels the session: 204, then 404 BLOB_UPLOAD_UNKNOWN on every upload route', async () => {
  const name = await createRepository(server, uniqueName('up-cancel'));
  const { location } = await openSession(name);
  await patch(location, BYTES.subarray(0, 10), '0-9');

  const cancel = await v2(server, 'DELETE', location);
  expect(cancel.status).toBe(204);

  expectOciError(await v2(server, 'GET', location), 404, 'BLOB_UPLOAD_UNKNOWN');
  expectOciError(await patch(location, BYTES.subarray(10, 20), '10-19'), 404, 'BLOB_UPLOAD_UNKNOWN');
  expectOciError(await v2(server, 'PUT', withDigest(location, sha256(BYTES.subarray(0, 10)))), 404, 'BLOB_UPLOAD_UNKNOWN');
  expectOciError(await v2(server, 'DELETE', location), 404, 'BLOB_UPLOAD_UNKNOWN');
});

test('an unknown session id, or a session of another repository: 404 BLOB_UPLOAD_UNKNOWN', async () => {
  const name = await createRepository(server, uniqueName('up-unknown'));
  const other = await createRepository(server, uniqueName('up-unknown-other'));
  expectOciError(await v2(server, 'GET', `/v2/${name}/blobs/uploads/no-such-session`), 404, 'BLOB_UPLOAD_UNKNOWN');
  const { id } = await openSession(name);
  expectOciError(await v2(server, 'GET', `/v2/${other}/blobs/uploads/${id}`), 404, 'BLOB_UPLOAD_UNKNOWN');
  expectOciError(await patch(`/v2/${other}/blobs/uploads/${id}`, BYTES), 404, 'BLOB_UPLOAD_UNKNOWN');
});

describe('DIGEST_INVALID', () => {
  test('a monolithic POST whose bytes do not match ?digest=: 400, and no blob', async () => {
    const name = await createRepository(server, uniqueName('up-mismatch'));
    const claimed = sha256('something else');
    const reply = await v2(server, 'POST', `/v2/${name}/blobs/uploads/?digest=${claimed}`, { body: BYTES });
    expectOciError(reply, 400, 'DIGEST_INVALID');
    expectOciError(await v2(server, 'GET', `/v2/${name}/blobs/${claimed}`), 404, 'BLOB_UNKNOWN');
    expectOciError(await v2(server, 'GET', `/v2/${name}/blobs/${sha256(BYTES)}`), 404, 'BLOB_UNKNOWN');
  });

  test('a PUT whose session bytes do not match: 400, and the session is discarded', async () => {
    const name = await createRepository(server, uniqueName('up-mismatch'));
    const { location } = await openSession(name);
    await patch(location, BYTES, '0-299');
    expectOciError(await v2(server, 'PUT', withDigest(location, sha256('not these bytes'))), 400, 'DIGEST_INVALID');
    expectOciError(await v2(server, 'GET', location), 404, 'BLOB_UPLOAD_UNKNOWN');
  });

  test('a PUT without ?digest= or with a malformed one: 400', async () => {
    const name = await createRepository(server, uniqueName('up-no-digest'));
    const { location } = await openSession(name);
    expectOciError(await v2(server, 'PUT', location, { body: BYTES }), 400, 'DIGEST_INVALID');
    expectOciError(await v2(server, 'PUT', withDigest(location, 'sha256:zzz')), 400, 'DIGEST_INVALID');
    expectOciError(await v2(server, 'POST', `/v2/${name}/blobs/uploads/?digest=nope`, { body: BYTES }), 400, 'DIGEST_INVALID');
  });
});

test('uploads to a repository that does not exist: 404 NAME_UNKNOWN', async () => {
  const name = uniqueName('up-absent');
  expectOciError(
    await v2(server, 'POST', `/v2/${name}/blobs/uploads/`),
    404,
    'NAME_UNKNOWN',
    `The repository with name '${name}' does not exist in the registry with id '000000000000'`,
  );
});

describe('cross-repository mount (?mount=&from=)', () => {
  // Its own server: BLOB_MOUNTING is an account setting, and the first test needs its default.
  let mountServer: TestServer;
  beforeAll(async () => {
    mountServer = await startTestServer();
  });
  afterAll(() => mountServer.close());

  async function sourceAndTarget(): Promise<{ source: string; target: string; digest: string }> {
    const source = await createRepository(mountServer, uniqueName('mount-src'));
    const target = await createRepository(mountServer, uniqueName('mount-dst'));
    return { source, target, digest: await pushBlob(mountServer, source, BYTES) };
  }

  const mount = (target: string, digest: string, from: string) =>
    v2(mountServer, 'POST', `/v2/${target}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`);

  function expectSession(reply: Reply, target: string): void {
    expect(reply.status).toBe(202);
    expect(reply.headers.get('location')).toMatch(UPLOAD_LOCATION);
    expect(reply.headers.get('location')!.startsWith(`/v2/${target}/blobs/uploads/`)).toBe(true);
    expect(reply.headers.get('range')).toBe('0-0');
  }

  test('with BLOB_MOUNTING DISABLED (the default): 202 and an upload session; the blob is not linked', async () => {
    const { source, target, digest } = await sourceAndTarget();
    const reply = await mount(target, digest, source);
    expectSession(reply, target);
    expectOciError(await v2(mountServer, 'GET', `/v2/${target}/blobs/${digest}`), 404, 'BLOB_UNKNOWN');
    // The session it opened is a real one: the client uploads the bytes.
    expectCreated(
      await v2(mountServer, 'PUT', withDigest(reply.headers.get('location')!, digest), { body: BYTES }),
      target,
      digest,
    );
  });

  describe('after PutAccountSetting BLOB_MOUNTING ENABLED', () => {
    beforeAll(async () => {
      await mountServer.client().send(new PutAccountSettingCommand({ name: 'BLOB_MOUNTING', value: 'ENABLED' }));
    });

    test('201 with the blob Location; the target repository serves the bytes', async () => {
      const { source, target, digest } = await sourceAndTarget();
      const reply = await mount(target, digest, source);
      expect({ status: reply.status, body: reply.text }).toEqual({ status: 201, body: '' });
      expect(reply.headers.get('location')).toBe(`/v2/${target}/blobs/${digest}`);
      expect(reply.headers.get('docker-content-digest')).toBe(digest);
      const blob = await v2(mountServer, 'GET', `/v2/${target}/blobs/${digest}`);
      expect(blob.status).toBe(200);
      expect(blob.body.equals(BYTES)).toBe(true);
    });

    test('from a repository that lacks the blob, or does not exist: 202 and a session', async () => {
      const { source, target } = await sourceAndTarget();
      const absent = sha256('not in the source');
      expectSession(await mount(target, absent, source), target);
      expectSession(await mount(target, absent, uniqueName('mount-nowhere')), target);
      expectOciError(await v2(mountServer, 'GET', `/v2/${target}/blobs/${absent}`), 404, 'BLOB_UNKNOWN');
    });

    test('from a repository with another encryption: 202 and a session', async () => {
      const source = await createRepository(mountServer, uniqueName('mount-kms'), { encryptionConfiguration: { encryptionType: 'KMS' } });
      const target = await createRepository(mountServer, uniqueName('mount-aes'));
      const digest = await pushBlob(mountServer, source, BYTES);
      expectSession(await mount(target, digest, source), target);
      expectOciError(await v2(mountServer, 'GET', `/v2/${target}/blobs/${digest}`), 404, 'BLOB_UNKNOWN');
    });

    test('the setting is per account: another account in the same server still gets a session', async () => {
      const account = { accountId: '444444444444', region: 'us-east-1' };
      const source = await createRepository(mountServer, uniqueName('mount-src'), {}, account);
      const target = await createRepository(mountServer, uniqueName('mount-dst'), {}, account);
      const auth = { Authorization: basicAuth(await registryPassword(mountServer, account)) };
      const digest = await pushBlob(mountServer, source, BYTES, auth);
      const reply = await v2(mountServer, 'POST', `/v2/${target}/blobs/uploads/?mount=${digest}&from=${source}`, { headers: auth });
      expect(reply.status).toBe(202);
    });
  });
});
