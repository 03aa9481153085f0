import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateRepositoryCommand, ECRClient } from '@aws-sdk/client-ecr';
import { freePort, killHard, startBerthProcess, type BerthProcess } from '../helpers/berth-process.js';
import { seededRandom, type Random } from '../helpers/random.js';
import {
  descriptorOf,
  dockerManifest,
  expectOciError,
  imageConfig,
  MEDIA,
  putManifest,
  sha256,
  v2,
  type Reply,
  type RequestOptions,
} from '../helpers/registry.js';

// kill -9 of a real `berth serve` (dist/: run `npm run build` first) during pushes. What it
// shows: an answer given before the crash holds after the restart, and a client retrying what
// the crash interrupted gets an answer it can act on, never a 5xx. (That the acknowledged
// writes are also on the disk, not only in the kernel's cache, kill -9 cannot show: that is
// the fsync in the store and the blob driver, and scripts/bench-store-writes.mjs.)

const SEED = Number(process.env.BERTH_CRASH_SEED ?? 20261204);

const dirs: string[] = [];
const running: BerthProcess[] = [];
afterAll(async () => {
  for (const berth of running) await killHard(berth);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function start(dataDir: string, port: number, env: NodeJS.ProcessEnv = {}): Promise<BerthProcess> {
  const berth = await startBerthProcess(dataDir, port, env);
  running.push(berth);
  return berth;
}

async function createRepositories(berth: BerthProcess, names: string[]): Promise<void> {
  const client = new ECRClient({
    endpoint: berth.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'AKIDBERTHTEST', secretAccessKey: 'secret' },
    maxAttempts: 1,
  });
  for (const repositoryName of names) await client.send(new CreateRepositoryCommand({ repositoryName }));
  client.destroy();
}

const withDigest = (location: string, digest: string) => `${location}${location.includes('?') ? '&' : '?'}digest=${digest}`;

interface Image {
  manifest: Buffer;
  digest: string;
  blobs: Buffer[];
}

/** A Docker image of the given layers plus a config made unique by `seed`. */
function imageOf(layers: Buffer[], seed: string): Image {
  const config = imageConfig(layers, seed);
  const manifest = dockerManifest(
    descriptorOf(MEDIA.dockerConfig, config),
    layers.map((layer) => descriptorOf(MEDIA.dockerLayer, layer)),
  );
  return { manifest, digest: sha256(manifest), blobs: [...layers, config] };
}

/** Pulls the image by digest and every blob it names: all there, byte for byte. */
async function expectPullsIdentical(berth: BerthProcess, name: string, image: Image): Promise<void> {
  const manifest = await v2(berth, 'GET', `/v2/${name}/manifests/${image.digest}`, { headers: { Accept: MEDIA.dockerManifest } });
  expect({ status: manifest.status, identical: manifest.body.equals(image.manifest) }).toEqual({ status: 200, identical: true });
  for (const blob of image.blobs) {
    const reply = await v2(berth, 'GET', `/v2/${name}/blobs/${sha256(blob)}`);
    expect({ blob: sha256(blob), status: reply.status, identical: reply.body.equals(blob) }).toEqual({ blob: sha256(blob), status: 200, identical: true });
  }
}

test('a crash between a blob\'s commit and its link: the interrupted upload answers 404 to every retry, and pushing again works', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-crash-'));
  dirs.push(dataDir);
  const port = await freePort();
  const name = 'crash/after-commit';
  const image = imageOf([randomBytes(40_000), randomBytes(3_000)], 'after-commit');
  const [layer] = image.blobs;
  const digest = sha256(layer);

  const armed = await start(dataDir, port, { BERTH_FAILPOINT: 'after-blob-commit' });
  await createRepositories(armed, [name]);
  const opened = await v2(armed, 'POST', `/v2/${name}/blobs/uploads/`);
  expect(opened.status).toBe(202);
  const location = opened.headers.get('location')!;
  const patched = await v2(armed, 'PATCH', location, { headers: { 'Content-Type': 'application/octet-stream' }, body: layer });
  expect(patched.status).toBe(202);
  // The PUT that commits the blob never gets an answer: the failpoint kills the server after
  // the rename, before the batch that links the blob and closes the session.
  await expect(v2(armed, 'PUT', withDigest(location, digest))).rejects.toThrow();
  expect(await armed.exited).toBe('SIGKILL');
  expect(existsSync(join(dataDir, 'blobs', 'sha256', digest.slice(7, 9), digest.slice(7)))).toBe(true);

  const restarted = await start(dataDir, port);
  // The session's bytes became a blob no repository links: the session is unknown, and so is
  // the blob in this repository. A client starts the upload again.
  expectOciError(await v2(restarted, 'GET', location), 404, 'BLOB_UPLOAD_UNKNOWN');
  expectOciError(await v2(restarted, 'PATCH', location, { headers: { 'Content-Type': 'application/octet-stream' }, body: layer }), 404, 'BLOB_UPLOAD_UNKNOWN');
  expectOciError(await v2(restarted, 'PUT', withDigest(location, digest)), 404, 'BLOB_UPLOAD_UNKNOWN');
  expectOciError(await v2(restarted, 'PUT', withDigest(location, digest), { headers: { 'Content-Type': 'application/octet-stream' }, body: layer }), 404, 'BLOB_UPLOAD_UNKNOWN');
  expect((await v2(restarted, 'HEAD', `/v2/${name}/blobs/${digest}`)).status).toBe(404);
  expect((await v2(restarted, 'DELETE', location)).status).toBe(404);

  for (const blob of image.blobs) {
    const pushed = await v2(restarted, 'POST', `/v2/${name}/blobs/uploads/?digest=${sha256(blob)}`, {
      headers: { 'Content-Type': 'application/octet-stream' },
      body: blob,
    });
    expect(pushed.status).toBe(201);
  }
  expect((await putManifest(restarted, name, 'v1', image.manifest, MEDIA.dockerManifest)).status).toBe(201);
  await expectPullsIdentical(restarted, name, image);
  await killHard(restarted);
}, 60_000);

// ------------------------------------------------------------------ random kill points

interface Sent {
  method: string;
  path: string;
  options: RequestOptions;
}

/** One round's traffic: every request goes through `send`, which remembers what a crash cut off. */
class Traffic {
  readonly interrupted: Sent[] = [];
  readonly faults: string[] = [];
  /** Resolves at the round's first acknowledged image, so that every round has something to lose. */
  readonly firstImage: Promise<void>;
  imageAcknowledged: () => void = () => undefined;
  constructor(readonly berth: BerthProcess) {
    this.firstImage = new Promise((resolve) => (this.imageAcknowledged = resolve));
  }

  async send(method: string, path: string, options: RequestOptions = {}, expected: number[]): Promise<Reply> {
    let reply: Reply;
    try {
      reply = await v2(this.berth, method, path, options);
    } catch (error) {
      this.interrupted.push({ method, path, options });
      throw error;
    }
    if (!expected.includes(reply.status)) {
      this.faults.push(`${method} ${path} answered ${reply.status} ${reply.text}`);
      throw new Error(this.faults[this.faults.length - 1]);
    }
    return reply;
  }
}

interface Acknowledged {
  name: string;
  tag: string;
  image: Image;
}

const REPOSITORIES = ['crash/one', 'crash/two'];
const TAGS = ['latest', 'stable', 'v1'];

/** Everything the pushers were told (201) and everything they tried, across rounds. */
interface Ledger {
  images: Acknowledged[];
  blobs: Array<{ name: string; digest: string }>;
  /** Every manifest digest a tag was PUT with, answered or not: what a tag may point at. */
  tried: Map<string, Set<string>>;
}

/** Pushes one blob the way docker and containerd do: HEAD, then a session of two chunks. */
async function pushBlob(traffic: Traffic, ledger: Ledger, name: string, blob: Buffer): Promise<void> {
  const digest = sha256(blob);
  if ((await traffic.send('HEAD', `/v2/${name}/blobs/${digest}`, {}, [200, 404])).status === 200) return;
  const opened = await traffic.send('POST', `/v2/${name}/blobs/uploads/`, {}, [202]);
  const location = opened.headers.get('location')!;
  const half = Math.ceil(blob.length / 2);
  for (const [start, part] of [[0, blob.subarray(0, half)], [half, blob.subarray(half)]] as const) {
    const headers = { 'Content-Type': 'application/octet-stream', 'Content-Range': `${start}-${start + part.length - 1}` };
    await traffic.send('PATCH', location, { headers, body: part }, [202]);
  }
  await traffic.send('PUT', withDigest(location, digest), {}, [201]);
  ledger.blobs.push({ name, digest });
}

/** Pushes images until the server goes away (or answers something it must not). */
async function pusher(traffic: Traffic, ledger: Ledger, random: Random, shared: Buffer[], id: string): Promise<void> {
  for (let n = 0; ; n++) {
    const name = random.pick(REPOSITORIES);
    const tag = random.pick(TAGS);
    const layers = [random.pick(shared), randomBytes(1 + random.int(24 * 1024))];
    const image = imageOf(layers, `${id}-${n}`);
    try {
      for (const blob of image.blobs) await pushBlob(traffic, ledger, name, blob);
      const key = `${name}:${tag}`;
      ledger.tried.set(key, (ledger.tried.get(key) ?? new Set()).add(image.digest));
      await traffic.send('PUT', `/v2/${name}/manifests/${tag}`, { headers: { 'Content-Type': MEDIA.dockerManifest }, body: image.manifest }, [201]);
      ledger.images.push({ name, tag, image });
      traffic.imageAcknowledged();
    } catch {
      return; // the crash (or a fault, recorded): this pusher is done for the round
    }
  }
}

/** Runs `check` on every item, a few at a time (a pull is several requests; the ledger grows every round). */
async function eachConcurrently<T>(items: T[], check: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += 8) await Promise.all(items.slice(i, i + 8).map(check));
}

/** After a restart: everything acknowledged so far is there, and each tag names a manifest it was given. */
async function expectNothingAcknowledgedLost(berth: BerthProcess, ledger: Ledger): Promise<void> {
  await eachConcurrently(ledger.images, ({ name, image }) => expectPullsIdentical(berth, name, image));
  await eachConcurrently(ledger.blobs, async ({ name, digest }) => {
    expect({ name, digest, status: (await v2(berth, 'HEAD', `/v2/${name}/blobs/${digest}`)).status }).toEqual({ name, digest, status: 200 });
  });
  await eachConcurrently(ledger.images, async ({ name, tag }) => {
    const reply = await v2(berth, 'GET', `/v2/${name}/manifests/${tag}`, { headers: { Accept: MEDIA.dockerManifest } });
    expect(reply.status).toBe(200);
    expect(ledger.tried.get(`${name}:${tag}`)).toContain(sha256(reply.body));
  });
}

test('kill -9 at random points during concurrent pushes and tag moves: nothing acknowledged is lost and no retry gets a 5xx', async () => {
  const random = seededRandom(SEED);
  const dataDir = mkdtempSync(join(tmpdir(), 'berth-crash-'));
  dirs.push(dataDir);
  const port = await freePort();
  const rounds = 6;
  const pushers = 5;
  // Layers every image starts from, so pushes share blobs within and across repositories.
  const shared = Array.from({ length: 4 }, () => randomBytes(2_000 + random.int(30_000)));
  const ledger: Ledger = { images: [], blobs: [], tried: new Map() };
  const retried: Record<string, number> = {};

  let berth = await start(dataDir, port);
  await createRepositories(berth, REPOSITORIES);
  for (let round = 0; round < rounds; round++) {
    const traffic = new Traffic(berth);
    const pushing = Array.from({ length: pushers }, (_, p) => pusher(traffic, ledger, random, shared, `r${round}p${p}`));
    // The kill lands at a random point after the round's first image, with pushes in flight.
    await Promise.race([traffic.firstImage, Promise.all(pushing)]);
    await new Promise((resolve) => setTimeout(resolve, random.int(500)));
    await killHard(berth);
    await Promise.all(pushing);
    expect(traffic.faults).toEqual([]);

    berth = await start(dataDir, port);
    // Each request the crash cut off, sent again as it was: never a server fault. (Most get a
    // 4xx: the upload session is gone, or its bytes stop short of the chunk's Content-Range;
    // some simply succeed, like a HEAD or a manifest PUT whose blobs are all there.)
    for (const { method, path, options } of traffic.interrupted) {
      const reply = await v2(berth, method, path, options);
      expect({ retry: `${method} ${path}`, status: reply.status < 500 ? 'not 5xx' : reply.status, text: reply.status < 500 ? '' : reply.text }).toEqual({
        retry: `${method} ${path}`,
        status: 'not 5xx',
        text: '',
      });
      const key = `${method} ${reply.status}`;
      retried[key] = (retried[key] ?? 0) + 1;
    }
    await expectNothingAcknowledgedLost(berth, ledger);
  }
  await killHard(berth);
  // The test must have seen pushes acknowledged and requests cut off, or it showed nothing.
  expect(ledger.images.length).toBeGreaterThanOrEqual(rounds);
  expect(Object.values(retried).reduce((sum, count) => sum + count, 0)).toBeGreaterThanOrEqual(rounds);
  console.log(`seed ${SEED}: ${ledger.images.length} images and ${ledger.blobs.length} blob uploads acknowledged over ${rounds} kills; retries answered ${JSON.stringify(retried)}`);
}, 120_000);
