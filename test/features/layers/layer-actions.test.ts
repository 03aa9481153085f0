import { createHash, randomBytes } from 'node:crypto';
import {
  BatchCheckLayerAvailabilityCommand,
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  GetDownloadUrlForLayerCommand,
  InitiateLayerUploadCommand,
  InvalidLayerPartException,
  UploadLayerPartCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { pushImage } from '../../../src/features/images/images.js';
import { DOWNLOAD_URL_LIFETIME_MS, signDownloadUrl, verifyDownloadToken } from '../../../src/features/layers/download-url.js';
import { LAYER_PART_MAX_BYTES, LAYER_PART_MIN_BYTES } from '../../../src/features/layers/handlers.js';
import type { Scope } from '../../../src/lib/scope.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

const ACCOUNT = '246813579024';
const SCOPE: Scope = { accountId: ACCOUNT, region: 'us-east-1' };
const MiB = 1024 * 1024;

let server: TestServer;
let client: ECRClient;
beforeAll(async () => {
  server = await startTestServer();
  client = server.client({ accountId: ACCOUNT });
});
afterAll(() => server.close());

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

let repositoryCount = 0;
async function newRepository(): Promise<string> {
  const repositoryName = `layers/repo-${++repositoryCount}`;
  await client.send(new CreateRepositoryCommand({ repositoryName }));
  return repositoryName;
}

async function initiate(repositoryName: string): Promise<string> {
  const { uploadId } = await client.send(new InitiateLayerUploadCommand({ repositoryName }));
  return uploadId!;
}

const uploadPart = (repositoryName: string, uploadId: string, first: number, bytes: Buffer, last = first + bytes.length - 1) =>
  client.send(
    new UploadLayerPartCommand({ repositoryName, uploadId, partFirstByte: first, partLastByte: last, layerPartBlob: bytes }),
  );

/** Uploads `parts` in order, then completes the upload; resolves with the layer digest. */
async function pushLayer(repositoryName: string, parts: Buffer[]): Promise<string> {
  const uploadId = await initiate(repositoryName);
  let offset = 0;
  for (const part of parts) {
    await uploadPart(repositoryName, uploadId, offset, part);
    offset += part.length;
  }
  const digest = sha256(Buffer.concat(parts));
  const { layerDigest } = await client.send(new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [digest] }));
  return layerDigest!;
}

const failure = (promise: Promise<unknown>): Promise<Error & Record<string, unknown>> =>
  promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (error: Error & Record<string, unknown>) => error,
  );

describe('the push flow', () => {
  test('InitiateLayerUpload -> UploadLayerPart x3 -> CompleteLayerUpload -> BatchCheckLayerAvailability AVAILABLE', async () => {
    const repositoryName = await newRepository();
    const initiated = await client.send(new InitiateLayerUploadCommand({ repositoryName }));
    expect(initiated.partSize).toBe(10_485_760);
    expect(initiated.uploadId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    const uploadId = initiated.uploadId!;

    const parts = [randomBytes(5 * MiB), randomBytes(6 * MiB), randomBytes(1234)];
    let offset = 0;
    for (const part of parts) {
      const answer = await uploadPart(repositoryName, uploadId, offset, part);
      offset += part.length;
      expect(answer).toMatchObject({ registryId: ACCOUNT, repositoryName, uploadId, lastByteReceived: offset - 1 });
    }

    const layer = Buffer.concat(parts);
    const digest = sha256(layer);
    const completed = await client.send(new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [digest] }));
    expect(completed).toMatchObject({ registryId: ACCOUNT, repositoryName, uploadId, layerDigest: digest });
    // The bytes stored are the bytes sent, in order.
    expect((await server.store.blobs.readAll(digest)).equals(layer)).toBe(true);

    const check = await client.send(new BatchCheckLayerAvailabilityCommand({ repositoryName, layerDigests: [digest] }));
    expect(check.layers).toEqual([{ layerDigest: digest, layerAvailability: 'AVAILABLE', layerSize: layer.length }]);
    expect(check.failures).toEqual([]);
  });

  test('a layer of one small part is complete', async () => {
    const repositoryName = await newRepository();
    const bytes = Buffer.from('a small config blob');
    expect(await pushLayer(repositoryName, [bytes])).toBe(sha256(bytes));
  });

  test('the layer is available only in the repository it was pushed to', async () => {
    const repositoryName = await newRepository();
    const other = await newRepository();
    const digest = await pushLayer(repositoryName, [randomBytes(100)]);
    const check = await client.send(new BatchCheckLayerAvailabilityCommand({ repositoryName: other, layerDigests: [digest] }));
    expect(check.layers).toEqual([]);
    expect(check.failures).toEqual([expect.objectContaining({ layerDigest: digest, failureCode: 'MissingLayerDigest' })]);
  });
});

describe('UploadLayerPart refusals', () => {
  test('an unknown upload id is UploadNotFoundException', async () => {
    const repositoryName = await newRepository();
    const error = await failure(uploadPart(repositoryName, '0b1e2c3d-0000-4000-8000-000000000000', 0, randomBytes(10)));
    expect(error.name).toBe('UploadNotFoundException');
    expect(error.message).toContain('0b1e2c3d-0000-4000-8000-000000000000');
  });

  test("another repository's upload id is UploadNotFoundException", async () => {
    const mine = await newRepository();
    const theirs = await newRepository();
    const uploadId = await initiate(theirs);
    const error = await failure(uploadPart(mine, uploadId, 0, randomBytes(10)));
    expect(error.name).toBe('UploadNotFoundException');
  });

  test('a missing repository is RepositoryNotFoundException', async () => {
    const error = await failure(uploadPart('layers/nowhere', '0b1e2c3d-0000-4000-8000-000000000000', 0, randomBytes(10)));
    expect(error.name).toBe('RepositoryNotFoundException');
    const initiate = await failure(client.send(new InitiateLayerUploadCommand({ repositoryName: 'layers/nowhere' })));
    expect(initiate.name).toBe('RepositoryNotFoundException');
  });

  test('a part that does not start at the bytes received is InvalidLayerPartException with the last valid byte', async () => {
    const repositoryName = await newRepository();
    const uploadId = await initiate(repositoryName);
    const first = randomBytes(LAYER_PART_MIN_BYTES);
    await uploadPart(repositoryName, uploadId, 0, first);

    for (const start of [0, first.length + 1, first.length - 1]) {
      const error = await failure(uploadPart(repositoryName, uploadId, start, randomBytes(100)));
      expect(error).toBeInstanceOf(InvalidLayerPartException);
      expect(error).toMatchObject({
        registryId: ACCOUNT,
        repositoryName,
        uploadId,
        lastValidByteReceived: first.length - 1,
      });
    }
    // Nothing was appended by the refused parts: the right position still works.
    const next = await uploadPart(repositoryName, uploadId, first.length, randomBytes(100));
    expect(next.lastByteReceived).toBe(first.length + 99);
  });

  test('a first part not at byte 0 reports that no byte is valid yet', async () => {
    const repositoryName = await newRepository();
    const uploadId = await initiate(repositoryName);
    const error = await failure(uploadPart(repositoryName, uploadId, 5, randomBytes(10)));
    expect(error).toBeInstanceOf(InvalidLayerPartException);
    expect(error.lastValidByteReceived).toBe(-1);
  });

  test('a range that does not match the blob length is InvalidLayerPartException', async () => {
    const repositoryName = await newRepository();
    const uploadId = await initiate(repositoryName);
    const bytes = randomBytes(100);
    for (const last of [98, 100, 1000]) {
      const error = await failure(uploadPart(repositoryName, uploadId, 0, bytes, last));
      expect(error).toBeInstanceOf(InvalidLayerPartException);
      expect(error.message).toContain('100 bytes');
    }
  });

  test('a part over the 10 MiB maximum is refused', async () => {
    const repositoryName = await newRepository();
    const uploadId = await initiate(repositoryName);
    const error = await failure(uploadPart(repositoryName, uploadId, 0, Buffer.alloc(LAYER_PART_MAX_BYTES + 1)));
    expect(error).toBeInstanceOf(InvalidLayerPartException);
    expect(error.lastValidByteReceived).toBe(-1);
    // Exactly the maximum is accepted.
    const ok = await uploadPart(repositoryName, uploadId, 0, Buffer.alloc(LAYER_PART_MAX_BYTES));
    expect(ok.lastByteReceived).toBe(LAYER_PART_MAX_BYTES - 1);
  });

  test('a part following one under 5 MiB is LayerPartTooSmallException', async () => {
    const repositoryName = await newRepository();
    const uploadId = await initiate(repositoryName);
    const small = randomBytes(LAYER_PART_MIN_BYTES - 1);
    await uploadPart(repositoryName, uploadId, 0, small);
    const error = await failure(uploadPart(repositoryName, uploadId, small.length, randomBytes(10)));
    expect(error.name).toBe('LayerPartTooSmallException');
    expect(error.message).toBe('All layer parts except the last part should be at least 5MB');
    // The small part may still be the last one.
    const { layerDigest } = await client.send(
      new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [sha256(small)] }),
    );
    expect(layerDigest).toBe(sha256(small));
  });
});

describe('CompleteLayerUpload refusals', () => {
  test('an upload without parts is EmptyUploadException', async () => {
    const repositoryName = await newRepository();
    const uploadId = await initiate(repositoryName);
    const error = await failure(
      client.send(new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [sha256(Buffer.alloc(0))] })),
    );
    expect(error.name).toBe('EmptyUploadException');
    expect(error.message).toBe(
      `The upload with id '${uploadId}' in the repository with name '${repositoryName}' in registry with id '${ACCOUNT}' cannot be completed because it does not have any parts`,
    );
  });

  test('a digest that does not match the bytes is InvalidLayerException, and nothing is linked', async () => {
    const repositoryName = await newRepository();
    const uploadId = await initiate(repositoryName);
    const bytes = randomBytes(64);
    await uploadPart(repositoryName, uploadId, 0, bytes);
    const wrong = sha256(Buffer.from('something else'));
    const error = await failure(client.send(new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [wrong] })));
    expect(error.name).toBe('InvalidLayerException');
    expect(error.message).toContain(sha256(bytes));
    const check = await client.send(new BatchCheckLayerAvailabilityCommand({ repositoryName, layerDigests: [wrong, sha256(bytes)] }));
    expect(check.layers).toEqual([]);
  });

  test('a layer the repository already has is LayerAlreadyExistsException', async () => {
    const repositoryName = await newRepository();
    const bytes = randomBytes(300);
    const digest = await pushLayer(repositoryName, [bytes]);
    const uploadId = await initiate(repositoryName);
    await uploadPart(repositoryName, uploadId, 0, bytes);
    const error = await failure(client.send(new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [digest] })));
    expect(error.name).toBe('LayerAlreadyExistsException');
    expect(error.message).toContain(digest);
    expect(error.message).toContain(repositoryName);
  });

  test('an unknown or already completed upload is UploadNotFoundException', async () => {
    const repositoryName = await newRepository();
    const bytes = randomBytes(10);
    const uploadId = await initiate(repositoryName);
    await uploadPart(repositoryName, uploadId, 0, bytes);
    await client.send(new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [sha256(bytes)] }));
    for (const id of [uploadId, '0b1e2c3d-0000-4000-8000-000000000001']) {
      const error = await failure(client.send(new CompleteLayerUploadCommand({ repositoryName, uploadId: id, layerDigests: [sha256(bytes)] })));
      expect(error.name).toBe('UploadNotFoundException');
    }
    // A completed upload takes no more parts either.
    const part = await failure(uploadPart(repositoryName, uploadId, bytes.length, randomBytes(10)));
    expect(part.name).toBe('UploadNotFoundException');
  });
});

describe('BatchCheckLayerAvailability', () => {
  test('answers every digest: AVAILABLE, MissingLayerDigest or InvalidLayerDigest', async () => {
    const repositoryName = await newRepository();
    const bytes = randomBytes(2777);
    const digest = await pushLayer(repositoryName, [bytes]);
    const missing = sha256(Buffer.from('never pushed'));
    const check = await client.send(
      new BatchCheckLayerAvailabilityCommand({ repositoryName, layerDigests: [missing, digest, 'sha256:nothex', 'plain'] }),
    );
    expect(check.layers).toEqual([{ layerDigest: digest, layerAvailability: 'AVAILABLE', layerSize: 2777 }]);
    expect(check.failures).toEqual([
      { layerDigest: missing, failureCode: 'MissingLayerDigest', failureReason: expect.any(String) },
      { layerDigest: 'sha256:nothex', failureCode: 'InvalidLayerDigest', failureReason: expect.any(String) },
      { layerDigest: 'plain', failureCode: 'InvalidLayerDigest', failureReason: expect.any(String) },
    ]);
  });

  test('takes at most 100 digests and needs the repository', async () => {
    const repositoryName = await newRepository();
    const digests = Array.from({ length: 101 }, (_, i) => sha256(Buffer.from(String(i))));
    const tooMany = await failure(client.send(new BatchCheckLayerAvailabilityCommand({ repositoryName, layerDigests: digests })));
    expect(tooMany.name).toBe('InvalidParameterException');
    const hundred = await client.send(new BatchCheckLayerAvailabilityCommand({ repositoryName, layerDigests: digests.slice(0, 100) }));
    expect(hundred.failures).toHaveLength(100);
    const noRepository = await failure(
      client.send(new BatchCheckLayerAvailabilityCommand({ repositoryName: 'layers/nowhere', layerDigests: digests.slice(0, 1) })),
    );
    expect(noRepository.name).toBe('RepositoryNotFoundException');
  });
});

describe('GetDownloadUrlForLayer', () => {
  test('a layer the repository does not have is LayersNotFoundException', async () => {
    const repositoryName = await newRepository();
    const digest = sha256(Buffer.from('absent'));
    const error = await failure(client.send(new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest: digest })));
    expect(error.name).toBe('LayersNotFoundException');
    expect(error.message).toContain(digest);
  });

  test('a layer no image uses is LayerInaccessibleException', async () => {
    const repositoryName = await newRepository();
    const digest = await pushLayer(repositoryName, [randomBytes(50)]);
    const error = await failure(client.send(new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest: digest })));
    expect(error.name).toBe('LayerInaccessibleException');
  });

  test("an image's layer gets a signed URL on this server that expires in an hour", async () => {
    const repositoryName = await newRepository();
    const configBytes = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
    const layerBytes = randomBytes(LAYER_PART_MIN_BYTES + 10);
    const config = await pushLayer(repositoryName, [configBytes]);
    const layer = await pushLayer(repositoryName, [layerBytes.subarray(0, LAYER_PART_MIN_BYTES), layerBytes.subarray(LAYER_PART_MIN_BYTES)]);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: configBytes.length, digest: config },
      layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: layerBytes.length, digest: layer }],
    });
    await pushImage({ store: server.store, clock: server.clock }, SCOPE, repositoryName, { bytes: Buffer.from(manifest), tag: 'v1' }, { refuseUnchanged: true });

    const before = Date.now();
    const answer = await client.send(new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest: layer }));
    expect(answer.layerDigest).toBe(layer);
    const url = new URL(answer.downloadUrl!);
    expect(`${url.protocol}//${url.host}`).toBe(server.endpoint);
    expect(url.pathname).toMatch(/^\/_berth\/layers\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);

    // The URL really serves the layer, ranges included, with no other credential.
    const download = await fetch(url);
    expect(download.status).toBe(200);
    expect(download.headers.get('docker-content-digest')).toBe(layer);
    expect(Buffer.from(await download.arrayBuffer()).equals(layerBytes)).toBe(true);
    const partial = await fetch(url, { headers: { Range: 'bytes=10-19' } });
    expect(partial.status).toBe(206);
    expect(Buffer.from(await partial.arrayBuffer()).equals(layerBytes.subarray(10, 20))).toBe(true);

    // A tampered token is refused.
    const token = url.pathname.slice('/_berth/layers/'.length);
    const tampered = new URL(url);
    tampered.pathname = `/_berth/layers/${token.slice(0, -2)}${token.endsWith('AA') ? 'BB' : 'AA'}`;
    expect((await fetch(tampered)).status).toBe(403);

    // Signed for about an hour: still good 59 minutes on, refused after 61.
    const secret = Buffer.alloc(32, 7);
    const signed = new URL(signDownloadUrl(secret, 'example.test', { scope: SCOPE, repositoryName, digest: layer }, new Date(before)));
    const signedToken = signed.pathname.slice('/_berth/layers/'.length);
    expect(verifyDownloadToken(secret, signedToken, before)).toEqual({ scope: SCOPE, repositoryName, digest: layer });
    expect(verifyDownloadToken(secret, signedToken, before + DOWNLOAD_URL_LIFETIME_MS - 60_000)).toBeDefined();
    expect(verifyDownloadToken(secret, signedToken, before + DOWNLOAD_URL_LIFETIME_MS + 60_000)).toBeUndefined();
    server.clock.setOffsetSeconds(61 * 60);
    try {
      expect((await fetch(url)).status).toBe(403);
    } finally {
      server.clock.setOffsetSeconds(0);
    }

    // The config blob is served the same way.
    const configUrl = await client.send(new GetDownloadUrlForLayerCommand({ repositoryName, layerDigest: config }));
    expect(configUrl.downloadUrl).toContain('/_berth/layers/');
  });
});
