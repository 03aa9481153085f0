import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COPY_BUFFER_BYTES } from '../../src/store/blobs/copy-out.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createRepository, pushBlob, sha256, uniqueName, v2 } from '../helpers/registry.js';
import { patternedBytes } from '../helpers/random.js';

// Big blobs served from disk (the filesystem driver), through the buffers blobs are copied
// out with: whole, by ranges at buffer boundaries, and to a client that goes away midway.

const BUFFER = COPY_BUFFER_BYTES;

let server: TestServer;
let dataDir: string;
beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'berth-blob-download-'));
  server = await startTestServer({ ephemeral: false, dataDir });
});
afterAll(async () => {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Whether this process (the server runs in it) has the blob's file open. */
const blobFileOpen = (digest: string): boolean =>
  readdirSync('/proc/self/fd').some((fd) => {
    try {
      return readlinkSync(join('/proc/self/fd', fd)).endsWith(digest.slice('sha256:'.length));
    } catch {
      return false; // closed meanwhile
    }
  });

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 20) {
    if (waited > 10_000) throw new Error(`still not so after 10 s: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const BIG = patternedBytes(5 * BUFFER + 17, 'download');
let name: string;
let digest: string;
beforeAll(async () => {
  name = await createRepository(server, uniqueName('download'));
  digest = await pushBlob(server, name, BIG);
});

test('GET of a blob five copy buffers long: 200 with its exact Content-Length and every byte', async () => {
  const reply = await v2(server, 'GET', `/v2/${name}/blobs/${digest}`);
  expect(reply.status).toBe(200);
  expect(reply.headers.get('content-length')).toBe(String(BIG.length));
  expect(reply.headers.get('transfer-encoding')).toBeNull();
  expect(reply.body.length).toBe(BIG.length);
  expect(sha256(reply.body)).toBe(digest);
  // The last bytes can reach the client a moment before the server closes the file.
  await until(() => !blobFileOpen(digest), 'the blob file closed once served');
});

test('HEAD of it: the Content-Length, no body, and no file opened', async () => {
  const reply = await v2(server, 'HEAD', `/v2/${name}/blobs/${digest}`);
  expect(reply.status).toBe(200);
  expect(reply.headers.get('content-length')).toBe(String(BIG.length));
  expect(reply.body.length).toBe(0);
  expect(blobFileOpen(digest)).toBe(false);
});

test.each([
  ['two bytes across a buffer boundary', BUFFER - 1, BUFFER],
  ['one buffer, from a boundary to the byte before the next', BUFFER, 2 * BUFFER - 1],
  ['from a boundary to the end', 5 * BUFFER, 5 * BUFFER + 16],
  ['most of the blob from an odd start', 3, 5 * BUFFER + 15],
])('Range: %s answers 206 with exactly those bytes', async (_what, start, end) => {
  const reply = await v2(server, 'GET', `/v2/${name}/blobs/${digest}`, { headers: { Range: `bytes=${start}-${end}` } });
  expect(reply.status).toBe(206);
  expect(reply.headers.get('content-range')).toBe(`bytes ${start}-${end}/${BIG.length}`);
  expect(reply.headers.get('content-length')).toBe(String(end - start + 1));
  expect(reply.body.equals(BIG.subarray(start, end + 1))).toBe(true);
});

test('a client that goes away mid-download: the server closes the blob file and goes on answering', async () => {
  const large = randomBytes(8 * BUFFER);
  const largeDigest = await pushBlob(server, name, large);
  const url = new URL(`/v2/${name}/blobs/${largeDigest}`, server.endpoint);

  // The client reads the headers, not the body, so the server is stuck mid-copy; then it leaves.
  const status = await new Promise<number | undefined>((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      res.pause();
      until(() => blobFileOpen(largeDigest), 'the blob file open while it is served').then(() => {
        req.destroy();
        resolve(res.statusCode);
      }, reject);
    });
    req.on('error', () => undefined); // the destroy above
    req.end();
  });
  expect(status).toBe(200);
  await until(() => !blobFileOpen(largeDigest), 'the blob file closed after the client left');

  const again = await v2(server, 'GET', `/v2/${name}/blobs/${largeDigest}`);
  expect(again.status).toBe(200);
  expect(sha256(again.body)).toBe(largeDigest);
});
