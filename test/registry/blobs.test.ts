import { startTestServer, type TestServer } from '../helpers/server.js';
import { createRepository, expectOciError, pushBlob, sha256, uniqueName, v2 } from '../helpers/registry.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

/** 1,000 bytes that are not all alike, so a wrong range shows. */
const BYTES = Buffer.from(Array.from({ length: 1000 }, (_, index) => (index * 7 + 3) % 256));

async function repositoryWithBlob(bytes = BYTES): Promise<{ name: string; digest: string }> {
  const name = await createRepository(server, uniqueName('blobs'));
  return { name, digest: await pushBlob(server, name, bytes) };
}

test('HEAD: 200 with the exact Content-Length and Docker-Content-Digest, no body', async () => {
  const { name, digest } = await repositoryWithBlob();
  const reply = await v2(server, 'HEAD', `/v2/${name}/blobs/${digest}`);
  expect(reply.status).toBe(200);
  expect(reply.headers.get('content-length')).toBe('1000');
  expect(reply.headers.get('docker-content-digest')).toBe(digest);
  expect(reply.headers.get('accept-ranges')).toBe('bytes');
  expect(reply.body.length).toBe(0);
});

test('GET: the bytes as pushed, with Content-Length, Docker-Content-Digest and an octet-stream type', async () => {
  const { name, digest } = await repositoryWithBlob();
  const reply = await v2(server, 'GET', `/v2/${name}/blobs/${digest}`);
  expect(reply.status).toBe(200);
  expect(reply.headers.get('content-length')).toBe('1000');
  expect(reply.headers.get('docker-content-digest')).toBe(digest);
  expect(reply.headers.get('content-type')).toBe('application/octet-stream');
  expect(reply.body.equals(BYTES)).toBe(true);
  expect(sha256(reply.body)).toBe(digest);
});

test('an empty blob: 200 with Content-Length 0, and a Range on it is ignored', async () => {
  const { name, digest } = await repositoryWithBlob(Buffer.alloc(0));
  expect(digest).toBe('sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  const reply = await v2(server, 'GET', `/v2/${name}/blobs/${digest}`, { headers: { Range: 'bytes=0-10' } });
  expect(reply.status).toBe(200);
  expect(reply.headers.get('content-length')).toBe('0');
  expect(reply.body.length).toBe(0);
});

describe('Range', () => {
  test('bytes=a-b: 206 with that slice, Content-Range and its Content-Length', async () => {
    const { name, digest } = await repositoryWithBlob();
    const reply = await v2(server, 'GET', `/v2/${name}/blobs/${digest}`, { headers: { Range: 'bytes=100-199' } });
    expect(reply.status).toBe(206);
    expect(reply.headers.get('content-range')).toBe('bytes 100-199/1000');
    expect(reply.headers.get('content-length')).toBe('100');
    expect(reply.headers.get('docker-content-digest')).toBe(digest);
    expect(reply.body.equals(BYTES.subarray(100, 200))).toBe(true);
  });

  test('bytes=a- (open end), bytes=-n (suffix) and an end past the blob (clamped)', async () => {
    const { name, digest } = await repositoryWithBlob();
    const get = (range: string) => v2(server, 'GET', `/v2/${name}/blobs/${digest}`, { headers: { Range: range } });

    const open = await get('bytes=990-');
    expect([open.status, open.headers.get('content-range')]).toEqual([206, 'bytes 990-999/1000']);
    expect(open.body.equals(BYTES.subarray(990))).toBe(true);

    const suffix = await get('bytes=-5');
    expect([suffix.status, suffix.headers.get('content-range')]).toEqual([206, 'bytes 995-999/1000']);
    expect(suffix.body.equals(BYTES.subarray(995))).toBe(true);

    const clamped = await get('bytes=998-5000');
    expect([clamped.status, clamped.headers.get('content-range'), clamped.headers.get('content-length')]).toEqual([206, 'bytes 998-999/1000', '2']);
    expect(clamped.body.equals(BYTES.subarray(998))).toBe(true);
  });

  test('a range starting past the end: 416 RANGE_INVALID with Content-Range bytes */size', async () => {
    const { name, digest } = await repositoryWithBlob();
    for (const range of ['bytes=1000-', 'bytes=1000-1001', 'bytes=-0', 'bytes=20-10']) {
      const reply = await v2(server, 'GET', `/v2/${name}/blobs/${digest}`, { headers: { Range: range } });
      expectOciError(reply, 416, 'RANGE_INVALID');
      expect(reply.headers.get('content-range')).toBe('bytes */1000');
    }
  });
});

test('a blob the repository does not hold: 404 BLOB_UNKNOWN, also when another repository holds it', async () => {
  const { digest } = await repositoryWithBlob();
  const other = await createRepository(server, uniqueName('blobs-other'));
  expectOciError(await v2(server, 'GET', `/v2/${other}/blobs/${digest}`), 404, 'BLOB_UNKNOWN');
  expectOciError(await v2(server, 'GET', `/v2/${other}/blobs/${sha256('never pushed')}`), 404, 'BLOB_UNKNOWN');
  const head = await v2(server, 'HEAD', `/v2/${other}/blobs/${digest}`);
  expect([head.status, head.body.length]).toEqual([404, 0]);
});

test('a malformed digest: 400 DIGEST_INVALID', async () => {
  const { name } = await repositoryWithBlob();
  expectOciError(await v2(server, 'GET', `/v2/${name}/blobs/sha256:not-hex`), 400, 'DIGEST_INVALID');
  expectOciError(await v2(server, 'GET', `/v2/${name}/blobs/md5:${'0'.repeat(32)}`), 400, 'DIGEST_INVALID');
  expectOciError(await v2(server, 'DELETE', `/v2/${name}/blobs/sha256:abc`), 400, 'DIGEST_INVALID');
});

test('a repository that does not exist: 404 NAME_UNKNOWN', async () => {
  const name = uniqueName('blobs-absent');
  expectOciError(
    await v2(server, 'GET', `/v2/${name}/blobs/${sha256('x')}`),
    404,
    'NAME_UNKNOWN',
    `The repository with name '${name}' does not exist in the registry with id '000000000000'`,
  );
});

test('DELETE: 202, then the blob is unknown to the repository (and a second DELETE is 404)', async () => {
  const { name, digest } = await repositoryWithBlob();
  const other = await createRepository(server, uniqueName('blobs-keep'));
  await pushBlob(server, other, BYTES);

  const reply = await v2(server, 'DELETE', `/v2/${name}/blobs/${digest}`);
  expect(reply.status).toBe(202);
  expect(reply.headers.get('docker-content-digest')).toBe(digest);
  expectOciError(await v2(server, 'GET', `/v2/${name}/blobs/${digest}`), 404, 'BLOB_UNKNOWN');
  expectOciError(await v2(server, 'DELETE', `/v2/${name}/blobs/${digest}`), 404, 'BLOB_UNKNOWN');

  // Only the link went: the other repository still serves the same bytes.
  const kept = await v2(server, 'GET', `/v2/${other}/blobs/${digest}`);
  expect(kept.status).toBe(200);
  expect(kept.body.equals(BYTES)).toBe(true);
});
