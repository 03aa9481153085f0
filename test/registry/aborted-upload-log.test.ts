import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sendPartAndHangUp } from '../helpers/hang-up.js';
import { captureLogs, LEVEL, waitForLine, type LogLine } from '../helpers/logs.js';
import { createRepository, expectOciError, sha256, uniqueName, v2 } from '../helpers/registry.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// A /v2 upload whose client leaves mid-body: one info line naming the upload, its repository
// and the bytes it stored; the session holds exactly those bytes, so the client can resume. With
// blobs in memory every byte that arrived is stored; on disk, bytes still queued for the file
// when the body broke off are dropped, and the session's size says so.

describe.each([
  { store: 'memory', where: 'in memory' },
  { store: 'disk', where: 'on disk' },
] as const)('blobs $where', ({ store }) => {
  const { logger, lines } = captureLogs('debug');
  let server: TestServer;
  let dataDir: string | undefined;
  beforeAll(async () => {
    dataDir = store === 'disk' ? mkdtempSync(join(tmpdir(), 'berth-aborted-')) : undefined;
    server = await startTestServer(dataDir ? { ephemeral: false, dataDir } : {}, logger);
  });
  afterAll(async () => {
    await server.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    lines.length = 0;
  });

  const UPLOAD_ABORTED = 'upload aborted: the client left before the end of the request body';
  const aborted = (line: LogLine) => line.msg === UPLOAD_ABORTED;
  const LAYER = randomBytes(200_000);

  async function openSession(name: string): Promise<{ location: string; id: string }> {
    const reply = await v2(server, 'POST', `/v2/${name}/blobs/uploads/`);
    expect(reply.status).toBe(202);
    return { location: reply.headers.get('location')!, id: reply.headers.get('docker-upload-uuid')! };
  }

  /**
   * One info line about the abort, nothing at warn or above, and the server still answers. The
   * line's bytesReceived is what the request stored: all `sent` in memory, at most that on disk.
   * Resolves with the session's size the line reports.
   */
  async function expectOneAbortLine(fields: Record<string, unknown>, sent: number, sizeBefore: number): Promise<number> {
    const line = await waitForLine(lines, aborted);
    expect(line).toMatchObject({ level: LEVEL.info, ...fields });
    const { bytesReceived, uploadSize } = line as LogLine & { bytesReceived: number; uploadSize: number };
    if (store === 'memory') expect(bytesReceived).toBe(sent);
    expect(bytesReceived).toBeGreaterThanOrEqual(0);
    expect(bytesReceived).toBeLessThanOrEqual(sent);
    expect(uploadSize).toBe(sizeBefore + bytesReceived);
    expect((await fetch(`${server.endpoint}/_berth/health`)).status).toBe(200);
    expect(lines.filter(aborted)).toHaveLength(1);
    expect(lines.filter((entry) => entry.level >= LEVEL.warn)).toEqual([]);
    return uploadSize;
  }

  /** Sends `partialBody` of a `total`-byte upload body, and leaves. */
  const cutOff = (method: string, path: string, total: number, partialBody: Buffer, headers: Record<string, string> = {}) =>
    sendPartAndHangUp(server.endpoint, {
      method,
      path,
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': total, ...headers },
      partialBody,
    });

  /** OCI's Range for a session of `size` bytes. */
  const rangeOf = (size: number) => `0-${Math.max(0, size - 1)}`;

  /** GET of the session: the Range of what it holds. */
  async function storedRange(location: string): Promise<string | null> {
    const reply = await v2(server, 'GET', location);
    expect(reply.status).toBe(204);
    return reply.headers.get('range');
  }

  /** Sends the rest from `offset` and closes the session with the layer's digest: 201, and the blob is the layer. */
  async function resumeAndFinish(name: string, location: string, offset: number): Promise<void> {
    const patched = await v2(server, 'PATCH', location, {
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${offset}-${LAYER.length - 1}` },
      body: LAYER.subarray(offset),
    });
    expect(patched.status).toBe(202);
    const digest = sha256(LAYER);
    const put = await v2(server, 'PUT', `${patched.headers.get('location')!}?digest=${encodeURIComponent(digest)}`);
    expect(put.status).toBe(201);
    const blob = await v2(server, 'GET', `/v2/${name}/blobs/${digest}`);
    expect(blob.body.equals(LAYER)).toBe(true);
  }

  test('a PATCH cut off: one info line with the bytes stored, and the session resumes from there', async () => {
    const name = await createRepository(server, uniqueName('aborted/patch'));
    const { location, id } = await openSession(name);
    const partialBody = LAYER.subarray(0, 70_000);
    await cutOff('PATCH', location, LAYER.length, partialBody, { 'Content-Range': `0-${LAYER.length - 1}` });
    const size = await expectOneAbortLine({ uploadId: id, repository: name }, partialBody.length, 0);
    expect(await storedRange(location)).toBe(rangeOf(size));
    await resumeAndFinish(name, location, size);
  });

  test('a closing PUT whose body is cut off: one info line, the session keeps what came, and is not closed', async () => {
    const name = await createRepository(server, uniqueName('aborted/put'));
    const { location, id } = await openSession(name);
    const first = await v2(server, 'PATCH', location, { headers: { 'Content-Type': 'application/octet-stream' }, body: LAYER.subarray(0, 50_000) });
    expect(first.status).toBe(202);
    const partialBody = LAYER.subarray(50_000, 120_000);
    await cutOff('PUT', `${location}?digest=${encodeURIComponent(sha256(LAYER))}`, LAYER.length - 50_000, partialBody);
    const size = await expectOneAbortLine({ uploadId: id, repository: name }, partialBody.length, 50_000);
    expect(await storedRange(location)).toBe(rangeOf(size));
    await resumeAndFinish(name, location, size);
  });

  test('a monolithic POST cut off: one info line, and the session (whose id the client never got) is discarded', async () => {
    const name = await createRepository(server, uniqueName('aborted/mono'));
    const partialBody = LAYER.subarray(0, 90_000);
    await cutOff('POST', `/v2/${name}/blobs/uploads/?digest=${encodeURIComponent(sha256(LAYER))}`, LAYER.length, partialBody);
    await expectOneAbortLine({ repository: name, discarded: true }, partialBody.length, 0);
    const { uploadId } = lines.find(aborted)!;
    expectOciError(await v2(server, 'GET', `/v2/${name}/blobs/uploads/${String(uploadId)}`), 404, 'BLOB_UPLOAD_UNKNOWN');
  });
});
