import { existsSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jest } from '@jest/globals';
import { BatchDeleteImageCommand, DeleteRepositoryCommand } from '@aws-sdk/client-ecr';
import type { GcReport } from '../../src/features/gc/collect.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  MEDIA,
  createRepository,
  descriptorOf,
  dockerManifest,
  expectOciError,
  imageConfig,
  pushBlob,
  pushImage,
  putManifest,
  sha256,
  uniqueName,
  v2,
  type PushedImage,
} from '../helpers/registry.js';

// The garbage collector over real HTTP: content goes in through /v2 and the ECR API, the
// collection runs through POST /_berth/gc, and what survives is checked through /v2 again
// (and the blob store, for the bytes).

const servers: TestServer[] = [];
const tempDirs: string[] = [];
let server: TestServer;

async function start(overrides: Parameters<typeof startTestServer>[0] = {}): Promise<TestServer> {
  const started = await startTestServer(overrides);
  servers.push(started);
  return started;
}

beforeEach(async () => {
  server = await start();
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((running) => running.close()));
  tempDirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});

/** POST /_berth/gc with the query given; the status and the JSON answer. */
async function gc(target: TestServer, query = ''): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${target.endpoint}/_berth/gc${query}`, { method: 'POST', headers: { 'Content-Type': 'application/json' } });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** A collection that must succeed; its report. */
async function collect(target: TestServer, query = ''): Promise<GcReport> {
  const { status, body } = await gc(target, query);
  expect(status).toBe(200);
  return body as unknown as GcReport;
}

const NOTHING: GcReport = { uploadsRemoved: 0, linksRemoved: 0, blobsRemoved: 0, bytesFreed: 0 };
const NOW = '?graceSeconds=0';

const headStatus = async (target: TestServer, name: string, digest: string): Promise<number> =>
  (await v2(target, 'HEAD', `/v2/${name}/blobs/${digest}`)).status;

/** The image's blobs (config first, then layers), each with its bytes. */
const blobsOf = (image: PushedImage) => [image.config, ...image.layers];
const totalSize = (blobs: Array<{ bytes: Buffer }>): number => blobs.reduce((sum, blob) => sum + blob.bytes.length, 0);

/** Every blob of the image answers GET 200 with its exact bytes in the repository. */
async function expectPullable(target: TestServer, name: string, image: PushedImage): Promise<void> {
  const manifest = await v2(target, 'GET', `/v2/${name}/manifests/${image.digest}`, { headers: { Accept: image.mediaType } });
  expect(manifest.status).toBe(200);
  for (const blob of blobsOf(image)) {
    const reply = await v2(target, 'GET', `/v2/${name}/blobs/${blob.digest}`);
    expect({ digest: blob.digest, status: reply.status }).toEqual({ digest: blob.digest, status: 200 });
    expect(reply.body.equals(blob.bytes)).toBe(true);
  }
}

async function openUpload(target: TestServer, name: string): Promise<string> {
  const opened = await v2(target, 'POST', `/v2/${name}/blobs/uploads/`);
  expect(opened.status).toBe(202);
  return opened.headers.get('location')!;
}

async function patch(target: TestServer, location: string, from: number, bytes: Buffer) {
  return v2(target, 'PATCH', location, {
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${from}-${from + bytes.length - 1}` },
    body: bytes,
  });
}

describe('unreferenced blobs', () => {
  test('a blob uploaded but never referenced survives the default grace and goes with graceSeconds=0: link and bytes', async () => {
    const name = await createRepository(server, uniqueName('gc-orphan'));
    const bytes = Buffer.from('a layer no manifest ever names '.repeat(20));
    const digest = await pushBlob(server, name, bytes);

    expect(await collect(server)).toEqual(NOTHING);
    expect(await headStatus(server, name, digest)).toBe(200);
    expect(await server.store.blobs.size(digest)).toBe(bytes.length);

    expect(await collect(server, NOW)).toEqual({ uploadsRemoved: 0, linksRemoved: 1, blobsRemoved: 1, bytesFreed: bytes.length });
    const head = await v2(server, 'HEAD', `/v2/${name}/blobs/${digest}`);
    expect(head.status).toBe(404);
    expectOciError(await v2(server, 'GET', `/v2/${name}/blobs/${digest}`), 404, 'BLOB_UNKNOWN');
    expect(await server.store.blobs.size(digest)).toBeUndefined();

    // Nothing is left to collect, and the same bytes can be pushed again.
    expect(await collect(server, NOW)).toEqual(NOTHING);
    expect(await pushBlob(server, name, bytes)).toBe(digest);
    expect(await headStatus(server, name, digest)).toBe(200);
  });

  test('on disk, the blob file itself is removed', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'berth-gc-'));
    tempDirs.push(dataDir);
    const onDisk = await start({ ephemeral: false, dataDir });
    const name = await createRepository(onDisk, uniqueName('gc-disk'));
    const bytes = Buffer.from('bytes on disk '.repeat(100));
    const digest = await pushBlob(onDisk, name, bytes);
    const hex = digest.slice('sha256:'.length);
    const file = join(dataDir, 'blobs', 'sha256', hex.slice(0, 2), hex);
    expect(existsSync(file)).toBe(true);

    expect(await collect(onDisk, NOW)).toEqual({ uploadsRemoved: 0, linksRemoved: 1, blobsRemoved: 1, bytesFreed: bytes.length });
    expect(existsSync(file)).toBe(false);
    expect(await headStatus(onDisk, name, digest)).toBe(404);
  });

  test('an unreferenced link in one repository goes while the same blob referenced in another stays', async () => {
    const kept = await createRepository(server, uniqueName('gc-kept'));
    const loose = await createRepository(server, uniqueName('gc-loose'));
    const image = await pushImage(server, kept);
    const shared = image.layers[0];
    expect(await pushBlob(server, loose, shared.bytes)).toBe(shared.digest);

    expect(await collect(server, NOW)).toEqual({ uploadsRemoved: 0, linksRemoved: 1, blobsRemoved: 0, bytesFreed: 0 });
    expect(await headStatus(server, loose, shared.digest)).toBe(404);
    await expectPullable(server, kept, image);
  });
});

describe('referenced blobs', () => {
  test('blobs an image references are never removed, whatever the grace', async () => {
    const name = await createRepository(server, uniqueName('gc-referenced'));
    const docker = await pushImage(server, name, { tag: 'docker', format: 'docker' });
    const oci = await pushImage(server, name, { tag: 'oci', format: 'oci', layerCount: 3 });

    expect(await collect(server, '?graceSeconds=0&uploadMaxAgeSeconds=0')).toEqual(NOTHING);
    await expectPullable(server, name, docker);
    await expectPullable(server, name, oci);
    for (const blob of [...blobsOf(docker), ...blobsOf(oci)]) expect(await server.store.blobs.size(blob.digest)).toBe(blob.bytes.length);
  });

  test('after BatchDeleteImage of the only image using them, its blobs are freed; a layer shared with another repository stays there', async () => {
    const first = await createRepository(server, uniqueName('gc-deleted'));
    const second = await createRepository(server, uniqueName('gc-sharing'));
    const image = await pushImage(server, first, { tag: 'v1', layerCount: 2 });
    const shared = image.layers[0];

    // The second repository's image uses the first layer (pushed there again) and its own config.
    expect(await pushBlob(server, second, shared.bytes)).toBe(shared.digest);
    const configBytes = imageConfig([shared.bytes], 'sharing');
    await pushBlob(server, second, configBytes);
    const manifest = dockerManifest(descriptorOf(MEDIA.dockerConfig, configBytes), [descriptorOf(MEDIA.dockerLayer, shared.bytes)]);
    expect((await putManifest(server, second, 'v1', manifest, MEDIA.dockerManifest)).status).toBe(201);
    const sharing: PushedImage = {
      digest: sha256(manifest),
      mediaType: MEDIA.dockerManifest,
      manifest,
      descriptor: descriptorOf(MEDIA.dockerManifest, manifest),
      config: { digest: sha256(configBytes), bytes: configBytes },
      layers: [shared],
    };

    const deleted = await server.client().send(new BatchDeleteImageCommand({ repositoryName: first, imageIds: [{ imageTag: 'v1' }] }));
    expect(deleted.failures).toEqual([]);
    expect(deleted.imageIds).toEqual([{ imageDigest: image.digest, imageTag: 'v1' }]);

    // Within the default grace the links were just made: nothing goes yet.
    expect(await collect(server)).toEqual(NOTHING);
    expect(await headStatus(server, first, image.config.digest)).toBe(200);

    const unshared = [image.config, image.layers[1]];
    expect(await collect(server, NOW)).toEqual({
      uploadsRemoved: 0,
      linksRemoved: 3,
      blobsRemoved: 2,
      bytesFreed: totalSize(unshared),
    });
    for (const blob of blobsOf(image)) expect(await headStatus(server, first, blob.digest)).toBe(404);
    for (const blob of unshared) expect(await server.store.blobs.size(blob.digest)).toBeUndefined();
    await expectPullable(server, second, sharing);
  });

  test('DeleteRepository with force, then a collection, frees every blob the repository held', async () => {
    const name = await createRepository(server, uniqueName('gc-repository'));
    const one = await pushImage(server, name, { tag: 'one' });
    const two = await pushImage(server, name, { tag: 'two', format: 'oci', layerCount: 1 });
    const orphan = Buffer.from('never referenced');
    await pushBlob(server, name, orphan);

    await server.client().send(new DeleteRepositoryCommand({ repositoryName: name, force: true }));
    const blobs = [...blobsOf(one), ...blobsOf(two), { digest: sha256(orphan), bytes: orphan }];
    // The links went with the repository; the bytes wait for the collector (and its grace).
    expect(await collect(server)).toEqual(NOTHING);
    for (const blob of blobs) expect(await server.store.blobs.size(blob.digest)).toBe(blob.bytes.length);

    expect(await collect(server, NOW)).toEqual({ uploadsRemoved: 0, linksRemoved: 0, blobsRemoved: blobs.length, bytesFreed: totalSize(blobs) });
    for (const blob of blobs) expect(await server.store.blobs.size(blob.digest)).toBeUndefined();

    // The name can be used again from scratch.
    await createRepository(server, name);
    expect(await headStatus(server, name, one.config.digest)).toBe(404);
    await expectPullable(server, name, await pushImage(server, name, { tag: 'again' }));
  });
});

describe('upload sessions', () => {
  test('an abandoned session goes with uploadMaxAgeSeconds=0 (PATCH then answers BLOB_UPLOAD_UNKNOWN); a fresh one survives the defaults', async () => {
    const name = await createRepository(server, uniqueName('gc-upload'));
    const location = await openUpload(server, name);
    const id = location.split('/').pop()!;
    expect((await patch(server, location, 0, Buffer.from('first part '))).status).toBe(202);

    expect(await collect(server)).toEqual(NOTHING);
    expect(await collect(server, NOW)).toEqual(NOTHING); // the grace is for links and blobs, not sessions
    expect((await patch(server, location, 11, Buffer.from('second part'))).status).toBe(202);
    expect(await server.store.blobs.uploadSize(id)).toBe(22);

    expect(await collect(server, '?uploadMaxAgeSeconds=0')).toEqual({ ...NOTHING, uploadsRemoved: 1 });
    expectOciError(await patch(server, location, 22, Buffer.from('third part')), 404, 'BLOB_UPLOAD_UNKNOWN');
    expectOciError(await v2(server, 'GET', location), 404, 'BLOB_UPLOAD_UNKNOWN');
    expect(await server.store.blobs.uploadSize(id)).toBeUndefined();
    expect(await server.store.tables.uploads.get(id)).toBeUndefined();
  });

  test('with the default ages, a session idle and open for over a day goes and a fresh one stays', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'berth-gc-uploads-'));
    tempDirs.push(dataDir);
    const onDisk = await start({ ephemeral: false, dataDir });
    const name = await createRepository(onDisk, uniqueName('gc-stale'));
    const stale = await openUpload(onDisk, name);
    expect((await patch(onDisk, stale, 0, Buffer.from('stale bytes'))).status).toBe(202);
    // A day and an hour pass: the session's last write and its start are both that old.
    const dayAndHour = 25 * 60 * 60;
    const staleFile = join(dataDir, 'blobs', 'uploads', stale.split('/').pop()!);
    const past = new Date(Date.now() - dayAndHour * 1000);
    utimesSync(staleFile, past, past);
    onDisk.clock.setOffsetSeconds(dayAndHour);

    const fresh = await openUpload(onDisk, name);
    expect((await patch(onDisk, fresh, 0, Buffer.from('fresh bytes'))).status).toBe(202);

    expect(await collect(onDisk)).toEqual({ ...NOTHING, uploadsRemoved: 1 });
    expectOciError(await patch(onDisk, stale, 11, Buffer.from('more')), 404, 'BLOB_UPLOAD_UNKNOWN');
    expect((await patch(onDisk, fresh, 11, Buffer.from(' and more'))).status).toBe(202);
    const bytes = Buffer.from('fresh bytes and more');
    expect((await v2(onDisk, 'PUT', `${fresh}?digest=${sha256(bytes)}`)).status).toBe(201);
    expect((await v2(onDisk, 'GET', `/v2/${name}/blobs/${sha256(bytes)}`)).body.equals(bytes)).toBe(true);
  });
});

describe('a collection during a push', () => {
  test('collections running while blobs are uploaded and before the manifest is put, with the default grace, do not break the push', async () => {
    const name = await createRepository(server, uniqueName('gc-push'));
    const layers = Array.from({ length: 3 }, (_, index) => Buffer.from(`concurrent layer ${index} `.repeat(2000)));
    const configBytes = imageConfig(layers, 'concurrent');
    const reports: GcReport[] = [];
    let pushing = true;
    const collector = (async () => {
      while (pushing) reports.push(await collect(server));
    })();

    // One layer chunked (a session open across collections), the rest monolithic.
    const location = await openUpload(server, name);
    const [chunked, ...monolithic] = layers;
    const half = chunked.length >> 1;
    expect((await patch(server, location, 0, chunked.subarray(0, half))).status).toBe(202);
    reports.push(await collect(server));
    expect((await patch(server, location, half, chunked.subarray(half))).status).toBe(202);
    expect((await v2(server, 'PUT', `${location}?digest=${sha256(chunked)}`)).status).toBe(201);
    for (const bytes of monolithic) await pushBlob(server, name, bytes);
    await pushBlob(server, name, configBytes);
    reports.push(await collect(server));

    const manifest = dockerManifest(
      descriptorOf(MEDIA.dockerConfig, configBytes),
      layers.map((bytes) => descriptorOf(MEDIA.dockerLayer, bytes)),
    );
    const put = await putManifest(server, name, 'latest', manifest, MEDIA.dockerManifest);
    pushing = false;
    await collector;
    expect(put.status).toBe(201);
    expect(reports.length).toBeGreaterThanOrEqual(2);
    expect(reports.every((report) => JSON.stringify(report) === JSON.stringify(NOTHING))).toBe(true);
    await expectPullable(server, name, {
      digest: sha256(manifest),
      mediaType: MEDIA.dockerManifest,
      manifest,
      descriptor: descriptorOf(MEDIA.dockerManifest, manifest),
      config: { digest: sha256(configBytes), bytes: configBytes },
      layers: layers.map((bytes) => ({ digest: sha256(bytes), bytes })),
    });
  });

  test('a manifest put while a collection is between reading images and removing links keeps its blobs', async () => {
    // The blobs were linked over an hour ago (a client that HEADs them finds them and skips
    // the upload); the manifest naming them arrives while the collector is mid-run.
    const name = await createRepository(server, uniqueName('gc-race'));
    const layer = Buffer.from('old layer '.repeat(50));
    const configBytes = imageConfig([layer], 'race');
    await pushBlob(server, name, layer);
    await pushBlob(server, name, configBytes);
    server.clock.setOffsetSeconds(2 * 60 * 60);
    expect(await headStatus(server, name, sha256(layer))).toBe(200);

    const manifest = dockerManifest(descriptorOf(MEDIA.dockerConfig, configBytes), [descriptorOf(MEDIA.dockerLayer, layer)]);
    const links = server.store.tables.blobLinks;
    const list = links.list.bind(links);
    let put: Awaited<ReturnType<typeof putManifest>> | undefined;
    // Sequence the race deterministically: the push lands right after the collector has read
    // the images and before it reads the links.
    const spy = jest.spyOn(links, 'list').mockImplementation(async (...args) => {
      put ??= await putManifest(server, name, 'latest', manifest, MEDIA.dockerManifest);
      return list(...args);
    });
    try {
      await collect(server);
    } finally {
      spy.mockRestore();
    }
    expect(put?.status).toBe(201);
    expect(await headStatus(server, name, sha256(layer))).toBe(200);
    expect(await headStatus(server, name, sha256(configBytes))).toBe(200);
    expect(await collect(server, NOW)).toEqual(NOTHING);
  });
});

describe('the endpoint', () => {
  test.each([
    ['?graceSeconds=-1'],
    ['?graceSeconds=abc'],
    ['?graceSeconds=Infinity'],
    ['?graceSeconds=1&graceSeconds=2'],
    ['?graceSeconds=0&uploadMaxAgeSeconds=-0.5'],
    ['?graceSeconds=0&uploadMaxAgeSeconds=soon'],
  ])('%s answers 400 and collects nothing', async (query) => {
    const name = await createRepository(server, uniqueName('gc-bad'));
    const digest = await pushBlob(server, name, Buffer.from(`kept despite ${query}`));
    const { status, body } = await gc(server, query);
    expect(status).toBe(400);
    expect(body).toEqual({ message: 'graceSeconds and uploadMaxAgeSeconds must be non-negative numbers' });
    expect(await headStatus(server, name, digest)).toBe(200);
  });

  test('fractional seconds are accepted', async () => {
    expect(await collect(server, '?graceSeconds=0.5&uploadMaxAgeSeconds=3600.25')).toEqual(NOTHING);
  });

  test('concurrent requests run one after the other, each with a whole report', async () => {
    const name = await createRepository(server, uniqueName('gc-serial'));
    const bytes = Buffer.from('collected once');
    await pushBlob(server, name, bytes);
    const reports = await Promise.all([collect(server, NOW), collect(server, NOW), collect(server, NOW)]);
    expect(reports.filter((report) => report.blobsRemoved === 1)).toHaveLength(1);
    expect(reports.reduce((sum, report) => sum + report.bytesFreed, 0)).toBe(bytes.length);
    expect(reports.reduce((sum, report) => sum + report.linksRemoved, 0)).toBe(1);
  });

  test('GET is not a collection', async () => {
    const response = await fetch(`${server.endpoint}/_berth/gc`);
    expect(response.status).toBe(404);
  });
});
