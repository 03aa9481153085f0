import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createRepository, pushImage, sha256, uniqueName, v2 } from '../helpers/registry.js';

// Upload sessions and pushed content live on disk (ephemeral: false): a restart between two
// chunks of one upload must not lose or corrupt what was received.

let dataDir: string;
const servers: TestServer[] = [];
const start = async (): Promise<TestServer> => {
  const server = await startTestServer({ ephemeral: false, dataDir });
  servers.push(server);
  return server;
};

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'berth-registry-restart-'));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  rmSync(dataDir, { recursive: true, force: true });
});

/** A blob big enough to span several stream chunks, with no repeating pattern. */
const BYTES = Buffer.concat(Array.from({ length: 64 }, (_, index) => Buffer.from(sha256(`chunk ${index}`).repeat(50))));

test('a chunked upload goes on after a restart: the rest PATCHed, PUT ?digest= 201, GET returns the exact bytes', async () => {
  const split = 70_001;
  const first = await start();
  const name = await createRepository(first, uniqueName('restart'));
  const opened = await v2(first, 'POST', `/v2/${name}/blobs/uploads/`);
  expect(opened.status).toBe(202);
  const location = opened.headers.get('location')!;
  const chunk = await v2(first, 'PATCH', location, { headers: { 'Content-Range': `0-${split - 1}` }, body: BYTES.subarray(0, split) });
  expect([chunk.status, chunk.headers.get('range')]).toEqual([202, `0-${split - 1}`]);
  await first.close();

  const second = await start();
  const status = await v2(second, 'GET', location);
  expect([status.status, status.headers.get('range')]).toEqual([204, `0-${split - 1}`]);

  const rest = await v2(second, 'PATCH', location, {
    headers: { 'Content-Range': `${split}-${BYTES.length - 1}` },
    body: BYTES.subarray(split),
  });
  expect([rest.status, rest.headers.get('range')]).toEqual([202, `0-${BYTES.length - 1}`]);

  const digest = sha256(BYTES);
  const put = await v2(second, 'PUT', `${location}?digest=${digest}`);
  expect(put.status).toBe(201);
  expect(put.headers.get('docker-content-digest')).toBe(digest);

  const blob = await v2(second, 'GET', `/v2/${name}/blobs/${digest}`);
  expect(blob.status).toBe(200);
  expect(blob.headers.get('content-length')).toBe(String(BYTES.length));
  expect(blob.body.equals(BYTES)).toBe(true);
});

test('after a restart the session is checked against its bytes on disk: a wrong digest is still DIGEST_INVALID', async () => {
  const first = await start();
  const name = await createRepository(first, uniqueName('restart-wrong'));
  const location = (await v2(first, 'POST', `/v2/${name}/blobs/uploads/`)).headers.get('location')!;
  await v2(first, 'PATCH', location, { headers: { 'Content-Range': '0-99' }, body: BYTES.subarray(0, 100) });
  await first.close();

  const second = await start();
  const put = await v2(second, 'PUT', `${location}?digest=${sha256(BYTES)}`);
  expect(put.status).toBe(400);
  expect(put.json<{ errors: Array<{ code: string }> }>().errors[0].code).toBe('DIGEST_INVALID');
});

test('pushed images, tags and blobs are served the same after a restart', async () => {
  const first = await start();
  const name = await createRepository(first, uniqueName('restart-image'));
  const image = await pushImage(first, name, { tag: 'v1' });
  await first.close();

  const second = await start();
  const manifest = await v2(second, 'GET', `/v2/${name}/manifests/v1`, { headers: { Accept: image.mediaType } });
  expect(manifest.status).toBe(200);
  expect(manifest.body.equals(image.manifest)).toBe(true);
  const layer = await v2(second, 'GET', `/v2/${name}/blobs/${image.layers[0].digest}`);
  expect(layer.body.equals(image.layers[0].bytes)).toBe(true);
  expect((await v2(second, 'GET', `/v2/${name}/tags/list`)).json()).toEqual({ name, tags: ['v1'] });
});
