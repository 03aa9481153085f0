import { randomBytes } from 'node:crypto';
import {
  CompleteLayerUploadCommand,
  InitiateLayerUploadCommand,
  UploadLayerPartCommand,
  UploadNotFoundException,
} from '@aws-sdk/client-ecr';
import { createRepository, expectOciError, sha256, v2 } from '../../helpers/registry.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

// An upload session whose record outlived its bytes: what a crash between a blob's commit
// (the upload file renamed to the blob) and the batch that closes the session leaves behind.
// Both doors answer "no such upload", which a client acts on by starting again, never a 500.
// (test/store/crash-durability.test.ts makes this state with a real kill -9.)

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

test('the layer upload API answers UploadNotFoundException for a session whose bytes are gone', async () => {
  const client = server.client();
  const repositoryName = await createRepository(server, 'lost/layer-api');
  const { uploadId } = await client.send(new InitiateLayerUploadCommand({ repositoryName }));
  const part = randomBytes(1000);
  await client.send(new UploadLayerPartCommand({ repositoryName, uploadId, partFirstByte: 0, partLastByte: 999, layerPartBlob: part }));
  await server.store.blobs.cancel(uploadId!);

  await expect(
    client.send(new UploadLayerPartCommand({ repositoryName, uploadId, partFirstByte: 0, partLastByte: 999, layerPartBlob: part })),
  ).rejects.toBeInstanceOf(UploadNotFoundException);
  await expect(client.send(new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [sha256(part)] }))).rejects.toBeInstanceOf(
    UploadNotFoundException,
  );
});

test('/v2 answers BLOB_UPLOAD_UNKNOWN to status, PATCH, PUT and DELETE of a session whose bytes are gone', async () => {
  const name = await createRepository(server, 'lost/registry');
  const bytes = randomBytes(1000);
  const opened = await v2(server, 'POST', `/v2/${name}/blobs/uploads/`);
  const location = opened.headers.get('location')!;
  expect((await v2(server, 'PATCH', location, { body: bytes })).status).toBe(202);
  await server.store.blobs.cancel(opened.headers.get('docker-upload-uuid')!);

  expectOciError(await v2(server, 'GET', location), 404, 'BLOB_UPLOAD_UNKNOWN');
  expectOciError(await v2(server, 'PATCH', location, { body: bytes }), 404, 'BLOB_UPLOAD_UNKNOWN');
  expectOciError(await v2(server, 'PUT', `${location}?digest=${sha256(bytes)}`), 404, 'BLOB_UPLOAD_UNKNOWN');
  expectOciError(await v2(server, 'DELETE', location), 404, 'BLOB_UPLOAD_UNKNOWN');
});
