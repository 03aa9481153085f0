import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BatchDeleteImageCommand,
  CompleteLayerUploadCommand,
  CreateRepositoryCommand,
  DeleteRepositoryCommand,
  InitiateLayerUploadCommand,
  PutAccountSettingCommand,
  PutImageCommand,
  UploadLayerPartCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { blobLinkKey, parseImageKey, tagKey } from '../../../src/store/keys.js';
import { seededRandom, type Random } from '../../helpers/random.js';
import { MEDIA, descriptorOf, dockerManifest, imageConfig, sha256, v2, type Reply } from '../../helpers/registry.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

// Garbage collection at grace 0 racing everything that references blobs: 24 pushers sharing
// layers and moving the same tags (chunked, monolithic and mounted uploads through /v2, and the
// layer-part API with PutImage), deletes, forced repository deletes, and
// POST /_berth/gc?graceSeconds=0&uploadMaxAgeSeconds=0 in a loop. Pushes may be refused while
// the collector takes their not-yet-referenced blobs (a 4xx the pusher retries); what was
// acknowledged must never lose a byte, and nothing may answer 5xx.

const SEED = 20261204;
const PUSHERS = 24;
const RUN_MS = 20_000;
const REPOSITORIES = ['shared/app', 'shared/base', 'solo'];
const DOOMED = 'doomed/repo';
const TAGS = ['latest', 'stable', 'v1', 'v2'];
/** The test client's access key is no account id, so it is the default account. */
const DEFAULT_SCOPE = { accountId: '000000000000', region: 'us-east-1' };

let server: TestServer;
let ecr: ECRClient;
let dataDir: string;
const serverFaults: string[] = [];

/** Layers every pusher draws from, so the same blobs are uploaded, linked and collected over and over. */
const random = seededRandom(SEED);
const LAYERS: Buffer[] = Array.from({ length: 10 }, (_, index) => Buffer.alloc(20_000 + random.int(200_000), `layer ${index} `));
const bytesByDigest = new Map(LAYERS.map((bytes) => [sha256(bytes), bytes]));

interface Acknowledged {
  repository: string;
  tag: string;
  digest: string;
  manifest: Buffer;
}
const acknowledged: Acknowledged[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'berth-gc-race-'));
  server = await startTestServer({ ephemeral: false, dataDir });
  ecr = server.client();
  await ecr.send(new PutAccountSettingCommand({ name: 'BLOB_MOUNTING', value: 'ENABLED' }));
  for (const repositoryName of [...REPOSITORIES, DOOMED]) await ecr.send(new CreateRepositoryCommand({ repositoryName }));
});
afterAll(async () => {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A /v2 request whose 5xx answers are recorded as faults. */
async function call(method: string, path: string, options: Parameters<typeof v2>[3] = {}): Promise<Reply> {
  const reply = await v2(server, method, path, options);
  if (reply.status >= 500) serverFaults.push(`${method} ${path}: ${reply.status} ${reply.text}`);
  return reply;
}

/** An SDK call whose 5xx answers are recorded as faults; client errors come back as undefined. */
async function api<T>(send: () => Promise<T>): Promise<T | undefined> {
  try {
    return await send();
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? 0;
    if (status >= 500 || status === 0) serverFaults.push(`API: ${status} ${(error as Error).name}: ${(error as Error).message}`);
    return undefined;
  }
}

/** Uploads one blob the way a random client would; false when the registry refused (e.g. the session was collected). */
async function uploadBlob(rng: Random, repository: string, bytes: Buffer): Promise<boolean> {
  const digest = sha256(bytes);
  if ((await call('HEAD', `/v2/${repository}/blobs/${digest}`)).status === 200 && rng.next() < 0.7) return true;
  const way = rng.int(3);
  if (way === 0) {
    const from = rng.pick(REPOSITORIES.filter((name) => name !== repository));
    const mounted = await call('POST', `/v2/${repository}/blobs/uploads/?mount=${digest}&from=${from}`);
    if (mounted.status === 201) return true;
    if (mounted.status !== 202) return false;
    const put = await call('PUT', `${mounted.headers.get('location')}?digest=${digest}`, { body: bytes, headers: { 'Content-Type': 'application/octet-stream' } });
    return put.status === 201;
  }
  if (way === 1) {
    const put = await call('POST', `/v2/${repository}/blobs/uploads/?digest=${digest}`, { body: bytes, headers: { 'Content-Type': 'application/octet-stream' } });
    return put.status === 201;
  }
  const opened = await call('POST', `/v2/${repository}/blobs/uploads/`);
  if (opened.status !== 202) return false;
  const location = opened.headers.get('location')!;
  const half = bytes.length >> 1;
  const patched = await call('PATCH', location, {
    body: bytes.subarray(0, half),
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `0-${half - 1}` },
  });
  if (patched.status !== 202) return false;
  const put = await call('PUT', `${location}?digest=${digest}`, { body: bytes.subarray(half), headers: { 'Content-Type': 'application/octet-stream' } });
  return put.status === 201;
}

/** The same blob through the ECR layer-part API. */
async function uploadLayerByApi(repositoryName: string, bytes: Buffer): Promise<boolean> {
  const started = await api(() => ecr.send(new InitiateLayerUploadCommand({ repositoryName })));
  if (!started) return false;
  const { uploadId } = started;
  const part = await api(() =>
    ecr.send(new UploadLayerPartCommand({ repositoryName, uploadId, partFirstByte: 0, partLastByte: bytes.length - 1, layerPartBlob: new Uint8Array(bytes) })),
  );
  if (!part) return false;
  const done = await api(() => ecr.send(new CompleteLayerUploadCommand({ repositoryName, uploadId, layerDigests: [sha256(bytes)] })));
  // LayerAlreadyExistsException (the repository has it) is a success for the pusher.
  return done !== undefined || (await call('HEAD', `/v2/${repositoryName}/blobs/${sha256(bytes)}`)).status === 200;
}

/** One pusher: images of shared layers and a unique config, tagged from a shared set, until the deadline. */
async function pusher(index: number, deadline: number): Promise<void> {
  const rng = seededRandom(SEED + index);
  const byApi = index % 6 === 0;
  for (let round = 0; Date.now() < deadline; round++) {
    const repository = rng.pick([...REPOSITORIES, DOOMED]);
    const layers = Array.from({ length: 1 + rng.int(3) }, () => rng.pick(LAYERS));
    const config = imageConfig(layers, `pusher ${index} round ${round}`);
    bytesByDigest.set(sha256(config), config);
    const manifest = dockerManifest(descriptorOf(MEDIA.dockerConfig, config), layers.map((bytes) => descriptorOf(MEDIA.dockerLayer, bytes)));
    const tag = rng.pick(TAGS);
    // A refused push is tried again a few times, as a client would.
    for (let attempt = 0; attempt < 3 && Date.now() < deadline; attempt++) {
      let uploaded = true;
      for (const blob of [...layers, config]) {
        if (!(byApi ? await uploadLayerByApi(repository, blob) : await uploadBlob(rng, repository, blob))) uploaded = false;
      }
      if (!uploaded) continue;
      let ok: boolean;
      if (byApi) {
        const put = await api(() =>
          ecr.send(new PutImageCommand({ repositoryName: repository, imageManifest: manifest.toString(), imageManifestMediaType: MEDIA.dockerManifest, imageTag: tag })),
        );
        ok = put !== undefined;
      } else {
        const put = await call('PUT', `/v2/${repository}/manifests/${tag}`, { body: manifest, headers: { 'Content-Type': MEDIA.dockerManifest } });
        ok = put.status === 201;
      }
      if (ok) {
        acknowledged.push({ repository, tag, digest: sha256(manifest), manifest });
        break;
      }
    }
  }
}

/** Deletes acknowledged images now and then, by tag or by digest, through both doors. */
async function deleter(deadline: number): Promise<void> {
  const rng = seededRandom(SEED - 1);
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 150));
    const victim = acknowledged.length ? rng.pick(acknowledged) : undefined;
    if (!victim) continue;
    if (rng.next() < 0.5) await call('DELETE', `/v2/${victim.repository}/manifests/${victim.digest}`);
    else await api(() => ecr.send(new BatchDeleteImageCommand({ repositoryName: victim.repository, imageIds: [{ imageTag: victim.tag }] })));
  }
}

/** Deletes the doomed repository with everything in it, and creates it again. */
async function repositoryRecycler(deadline: number): Promise<void> {
  while (Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await api(() => ecr.send(new DeleteRepositoryCommand({ repositoryName: DOOMED, force: true })));
    await api(() => ecr.send(new CreateRepositoryCommand({ repositoryName: DOOMED })));
  }
}

async function collectNow(): Promise<Record<string, number>> {
  const response = await fetch(`${server.endpoint}/_berth/gc?graceSeconds=0&uploadMaxAgeSeconds=0`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
  });
  if (response.status !== 200) serverFaults.push(`gc: ${response.status}`);
  return (await response.json()) as Record<string, number>;
}

test('collections at grace 0 in a loop never lose an acknowledged image, and nothing answers 5xx', async () => {
  const deadline = Date.now() + RUN_MS;
  let collections = 0;
  let freed = 0;
  const collector = (async () => {
    while (Date.now() < deadline) {
      freed += (await collectNow()).blobsRemoved ?? 0;
      collections++;
    }
  })();
  await Promise.all([
    ...Array.from({ length: PUSHERS }, (_, index) => pusher(index, deadline)),
    deleter(deadline),
    repositoryRecycler(deadline),
    collector,
  ]);
  // The race must really have been run: many pushes acknowledged, many collections that freed blobs.
  expect(acknowledged.length).toBeGreaterThan(50);
  expect(collections).toBeGreaterThan(3);
  expect(freed).toBeGreaterThan(0);

  // Once more at rest: a collection must not take anything still referenced either.
  await collectNow();
  expect(serverFaults).toEqual([]);

  // No stored reference points at a missing blob: every image's blobs are linked in its
  // repository, and every link's bytes are on disk.
  const dangling: string[] = [];
  for (const [key, image] of await server.store.tables.images.list('')) {
    const { scope, repositoryName } = parseImageKey(key);
    for (const digest of image.blobs) {
      if (!(await server.store.tables.blobLinks.get(blobLinkKey(scope, repositoryName, digest)))) dangling.push(`unlinked ${key} -> ${digest}`);
    }
  }
  for (const [key] of await server.store.tables.blobLinks.list('')) {
    const digest = key.slice(key.lastIndexOf(':', key.lastIndexOf(':') - 1) + 1);
    if ((await server.store.blobs.size(digest)) === undefined) dangling.push(`no bytes for link ${key}`);
  }
  expect(dangling).toEqual([]);

  // Every acknowledged image a tag still names pulls byte-identical: manifest, config and layers.
  let pulled = 0;
  for (const { repository, tag, digest, manifest } of acknowledged) {
    const tagged = await server.store.tables.tags.get(tagKey(DEFAULT_SCOPE, repository, tag));
    if (tagged?.digest !== digest) continue;
    const pulledManifest = await call('GET', `/v2/${repository}/manifests/${tag}`, { headers: { Accept: MEDIA.dockerManifest } });
    expect(pulledManifest.status).toBe(200);
    expect(pulledManifest.body.equals(manifest)).toBe(true);
    const { config, layers } = JSON.parse(manifest.toString()) as { config: { digest: string }; layers: Array<{ digest: string }> };
    for (const blob of [config, ...layers]) {
      const reply = await call('GET', `/v2/${repository}/blobs/${blob.digest}`);
      expect({ blob: blob.digest, status: reply.status }).toEqual({ blob: blob.digest, status: 200 });
      expect(reply.body.equals(bytesByDigest.get(blob.digest)!)).toBe(true);
    }
    pulled++;
  }
  expect(pulled).toBeGreaterThan(0);
  expect(serverFaults).toEqual([]);
}, 90_000);
