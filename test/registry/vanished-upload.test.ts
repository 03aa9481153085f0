import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { CompleteLayerUploadCommand, InitiateLayerUploadCommand, UploadLayerPartCommand } from '@aws-sdk/client-ecr';
import { createRepository, expectOciError, sha256, uniqueName, v2 } from '../helpers/registry.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// An upload whose bytes vanished (collected, cancelled by another request, lost in a crash) is,
// to the client, an unknown upload: 404 BLOB_UPLOAD_UNKNOWN on /v2 and UploadNotFoundException
// from the layer API, whether the bytes were gone before the request or went while it ran.

let server: TestServer;
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'berth-vanished-'));
  server = await startTestServer({ ephemeral: false, dataDir });
});
afterAll(async () => {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});
afterEach(() => jest.restoreAllMocks());

const uploadFile = (id: string): string => join(dataDir, 'blobs', 'uploads', id);
const octets = { 'Content-Type': 'application/octet-stream' };

async function openWithBytes(name: string, bytes: Buffer): Promise<{ location: string; id: string }> {
  const opened = await v2(server, 'POST', `/v2/${name}/blobs/uploads/`);
  const location = opened.headers.get('location')!;
  expect((await v2(server, 'PATCH', location, { body: bytes, headers: octets })).status).toBe(202);
  return { location, id: location.split('/').pop()! };
}

test('/v2: PATCH, PUT and GET of an upload whose file is gone answer 404 BLOB_UPLOAD_UNKNOWN, and a new upload works', async () => {
  const name = await createRepository(server, uniqueName('vanished'));
  const bytes = Buffer.from('bytes that will vanish');
  const { location, id } = await openWithBytes(name, bytes);
  unlinkSync(uploadFile(id));

  expectOciError(await v2(server, 'PATCH', location, { body: Buffer.from('more'), headers: octets }), 404, 'BLOB_UPLOAD_UNKNOWN');
  expectOciError(await v2(server, 'PUT', `${location}?digest=${sha256(bytes)}`), 404, 'BLOB_UPLOAD_UNKNOWN');
  expectOciError(await v2(server, 'GET', location), 404, 'BLOB_UPLOAD_UNKNOWN');
  expect((await v2(server, 'HEAD', `/v2/${name}/blobs/${sha256(bytes)}`)).status).toBe(404);

  const again = await openWithBytes(name, bytes);
  expect((await v2(server, 'PUT', `${again.location}?digest=${sha256(bytes)}`)).status).toBe(201);
  expect((await v2(server, 'GET', `/v2/${name}/blobs/${sha256(bytes)}`)).body.equals(bytes)).toBe(true);
});

test('/v2: bytes that go while the request is under way (after its checks) are BLOB_UPLOAD_UNKNOWN too, never a 500', async () => {
  const name = await createRepository(server, uniqueName('vanishing'));
  const bytes = Buffer.from('bytes that vanish mid-request');
  const { location, id } = await openWithBytes(name, bytes);
  // The request's checks still see the bytes; the store then finds them gone.
  const size = server.store.blobs.uploadSize.bind(server.store.blobs);
  jest.spyOn(server.store.blobs, 'uploadSize').mockImplementation(async (uploadId) => {
    const known = await size(uploadId);
    if (uploadId === id && known !== undefined) unlinkSync(uploadFile(id));
    return known;
  });
  expectOciError(await v2(server, 'PATCH', location, { body: Buffer.from('more'), headers: octets }), 404, 'BLOB_UPLOAD_UNKNOWN');

  const second = await openWithBytes(name, bytes);
  jest.spyOn(server.store.blobs, 'uploadSize').mockImplementation(async (uploadId) => {
    const known = await size(uploadId);
    if (uploadId === second.id && known !== undefined) unlinkSync(uploadFile(second.id));
    return known;
  });
  expectOciError(await v2(server, 'PUT', `${second.location}?digest=${sha256(bytes)}`), 404, 'BLOB_UPLOAD_UNKNOWN');
  // Nothing was created from thin air: the upload directory holds no file for either session.
  expect((await v2(server, 'GET', location)).status).toBe(404);
  expect((await v2(server, 'GET', second.location)).status).toBe(404);
});

test('layer API: UploadLayerPart and CompleteLayerUpload of an upload whose file is gone are UploadNotFoundException', async () => {
  const ecr = server.client();
  const repositoryName = await createRepository(server, uniqueName('vanished-api'));
  const bytes = Buffer.alloc(1000, 'layer part ');
  const { uploadId } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName }));
  await ecr.send(new UploadLayerPartCommand({ repositoryName, uploadId, partFirstByte: 0, partLastByte: 999, layerPartBlob: new Uint8Array(bytes) }));
  unlinkSync(uploadFile(uploadId!));

  await expect(
    ecr.send(new UploadLayerPartCommand({ repositoryName, uploadId, partFirstByte: 1000, partLastByte: 1999, layerPartBlob: new Uint8Array(bytes) })),
  ).rejects.toMatchObject({ name: 'UploadNotFoundException', $metadata: { httpStatusCode: 400 } });
  await expect(ecr.send(new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [sha256(bytes)] }))).rejects.toMatchObject({
    name: 'UploadNotFoundException',
  });
});

test('layer API: bytes that go mid-request are UploadNotFoundException, never a ServerException', async () => {
  const ecr = server.client();
  const repositoryName = await createRepository(server, uniqueName('vanishing-api'));
  const bytes = Buffer.alloc(1000, 'layer part ');
  const { uploadId } = await ecr.send(new InitiateLayerUploadCommand({ repositoryName }));
  const size = server.store.blobs.uploadSize.bind(server.store.blobs);
  let checks = 0;
  jest.spyOn(server.store.blobs, 'uploadSize').mockImplementation(async (id) => {
    const known = await size(id);
    // The second look is the part's position check, after the session was found.
    if (id === uploadId && known !== undefined && ++checks === 2) unlinkSync(uploadFile(uploadId));
    return known;
  });
  await expect(
    ecr.send(new UploadLayerPartCommand({ repositoryName, uploadId, partFirstByte: 0, partLastByte: 999, layerPartBlob: new Uint8Array(bytes) })),
  ).rejects.toMatchObject({ name: 'UploadNotFoundException' });
});
