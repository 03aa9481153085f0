import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BatchDeleteImageCommand, DescribeImagesCommand, PutImageCommand, type ImageDetail } from '@aws-sdk/client-ecr';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  createRepository,
  descriptorOf,
  dockerManifest,
  expectOciError,
  imageConfig,
  MEDIA,
  pushBlob,
  putManifest,
  sha256,
  uniqueName,
  v2,
  type Reply,
} from '../helpers/registry.js';

// Requests racing on one repository leave it consistent: a tag names one image and that
// image alone lists it, whichever writer won; an immutable tag is won exactly once; deletes
// racing pushes never leave a tag that resolves to nothing. Each runs against the in-memory
// store and the on-disk one, whose real I/O lets requests interleave far more.

let server: TestServer;

interface Image {
  digest: string;
  manifest: Buffer;
}

/** `count` distinct Docker images sharing two layers (each its own config), blobs pushed, manifests not. */
async function prepareImages(name: string, count: number, seed: string): Promise<Image[]> {
  const layers = [Buffer.from(`shared layer one ${seed}`), Buffer.from(`shared layer two ${seed}`)];
  for (const layer of layers) await pushBlob(server, name, layer);
  const layerDescriptors = layers.map((layer) => descriptorOf(MEDIA.dockerLayer, layer));
  return Promise.all(
    Array.from({ length: count }, async (_, index) => {
      const config = imageConfig(layers, `${seed}-${index}`);
      await pushBlob(server, name, config);
      const manifest = dockerManifest(descriptorOf(MEDIA.dockerConfig, config), layerDescriptors);
      return { digest: sha256(manifest), manifest };
    }),
  );
}

const put = (name: string, reference: string, image: Image): Promise<Reply> => putManifest(server, name, reference, image.manifest, MEDIA.dockerManifest);

async function describeAll(name: string): Promise<ImageDetail[]> {
  const details: ImageDetail[] = [];
  let nextToken: string | undefined;
  do {
    const page = await server.client().send(new DescribeImagesCommand({ repositoryName: name, nextToken }));
    details.push(...(page.imageDetails ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return details;
}

/**
 * The repository's tags agree everywhere: each tag in tags/list resolves (GET by tag) to an
 * image DescribeImages lists, that image lists the tag, and no other image does; and every tag
 * an image lists is in tags/list.
 */
async function expectTagsConsistent(name: string): Promise<Map<string, string>> {
  const listed = (await v2(server, 'GET', `/v2/${name}/tags/list`)).json<{ tags: string[] }>().tags;
  const details = await describeAll(name);
  const owners = new Map<string, string[]>();
  for (const detail of details) {
    for (const tag of detail.imageTags ?? []) owners.set(tag, [...(owners.get(tag) ?? []), detail.imageDigest!]);
  }
  expect([...owners.keys()].sort()).toEqual([...listed].sort());
  const resolved = new Map<string, string>();
  for (const tag of listed) {
    const reply = await v2(server, 'HEAD', `/v2/${name}/manifests/${tag}`, { headers: { Accept: MEDIA.dockerManifest } });
    const digest = reply.headers.get('docker-content-digest');
    expect({ tag, status: reply.status, owners: owners.get(tag) }).toEqual({ tag, status: 200, owners: [digest] });
    resolved.set(tag, digest!);
  }
  return resolved;
}

describe.each([
  ['in memory', false],
  ['on disk', true],
])('%s', (_, onDisk) => {
  let dataDir: string | undefined;
  beforeAll(async () => {
    dataDir = onDisk ? mkdtempSync(join(tmpdir(), 'berth-registry-concurrency-')) : undefined;
    server = await startTestServer(dataDir ? { ephemeral: false, dataDir } : {});
  });
  afterAll(async () => {
    await server.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  test('many concurrent PUTs of different images to one tag: the tag ends on exactly one image, the only one listing it', async () => {
    const name = await createRepository(server, uniqueName('race-tag'));
    const images = await prepareImages(name, 24, name);
    const digests = images.map((image) => image.digest);

    // Round 0 creates the images as it tags them; later rounds move the tag between existing ones,
    // in a shuffled order, with PutImage racing the registry PUTs.
    for (let round = 0; round < 4; round++) {
      const order = images.map((image, index) => ({ image, key: (index * 7 + round * 11) % images.length })).sort((a, b) => a.key - b.key);
      const replies = await Promise.all(
        order.map(({ image }, index) =>
          round > 0 && index % 4 === 0
            ? server
                .client()
                .send(new PutImageCommand({ repositoryName: name, imageManifest: image.manifest.toString(), imageManifestMediaType: MEDIA.dockerManifest, imageTag: 'moving' }))
                .then(() => 201, (error: { name: string }) => error.name)
            : put(name, 'moving', image).then((reply) => reply.status),
        ),
      );
      // PutImage refuses only a push that changes nothing: the tag already on that image.
      expect(replies.filter((status) => status !== 201 && status !== 'ImageAlreadyExistsException')).toEqual([]);

      const resolved = await expectTagsConsistent(name);
      expect([...resolved.keys()]).toEqual(['moving']);
      expect(digests).toContain(resolved.get('moving'));
      const details = await describeAll(name);
      expect(details.map((detail) => detail.imageDigest).sort()).toEqual([...digests].sort());
      expect(details.filter((detail) => detail.imageTags?.includes('moving')).map((detail) => detail.imageDigest)).toEqual([resolved.get('moving')]);
    }
  });

  test('concurrent uploads of the same blob to one repository all succeed, and the blob reads back whole', async () => {
    const name = await createRepository(server, uniqueName('race-blob'));
    const blob = Buffer.from(Array.from({ length: 1024 * 1024 }, (_, i) => (i * 31 + 7) % 256));
    const digest = sha256(blob);
    const half = blob.length / 2;

    const monolithic = () => v2(server, 'POST', `/v2/${name}/blobs/uploads/?digest=${digest}`, { headers: { 'Content-Type': 'application/octet-stream' }, body: blob });
    const postThenPut = async () => {
      const started = await v2(server, 'POST', `/v2/${name}/blobs/uploads/`);
      return v2(server, 'PUT', `${started.headers.get('location')}?digest=${digest}`, { headers: { 'Content-Type': 'application/octet-stream' }, body: blob });
    };
    const chunked = async () => {
      const started = await v2(server, 'POST', `/v2/${name}/blobs/uploads/`);
      const first = await v2(server, 'PATCH', started.headers.get('location')!, {
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `0-${half - 1}` },
        body: blob.subarray(0, half),
      });
      expect(first.status).toBe(202);
      await v2(server, 'PATCH', first.headers.get('location')!, {
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${half}-${blob.length - 1}` },
        body: blob.subarray(half),
      });
      return v2(server, 'PUT', `${first.headers.get('location')}?digest=${digest}`);
    };
    const uploads = [monolithic, postThenPut, chunked];
    const replies = await Promise.all(Array.from({ length: 15 }, (_, index) => uploads[index % uploads.length]()));
    expect(replies.map((reply) => ({ status: reply.status, digest: reply.headers.get('docker-content-digest'), body: reply.text }))).toEqual(
      replies.map(() => ({ status: 201, digest, body: '' })),
    );

    const read = await v2(server, 'GET', `/v2/${name}/blobs/${digest}`);
    expect(read.status).toBe(200);
    expect(read.body.equals(blob)).toBe(true);
    const head = await v2(server, 'HEAD', `/v2/${name}/blobs/${digest}`);
    expect(head.headers.get('content-length')).toBe(String(blob.length));
  });

  test('concurrent PUTs of different images to a new tag of an IMMUTABLE repository: one 201, the rest TAG_INVALID', async () => {
    const name = await createRepository(server, uniqueName('race-immutable'), { imageTagMutability: 'IMMUTABLE' });
    const images = await prepareImages(name, 16, name);

    const replies = await Promise.all(images.map((image) => put(name, 'release', image)));
    const winners = replies.filter((reply) => reply.status === 201);
    expect(winners).toHaveLength(1);
    for (const loser of replies.filter((reply) => reply.status !== 201)) expectOciError(loser, 400, 'TAG_INVALID');

    const winner = winners[0].headers.get('docker-content-digest');
    const resolved = await expectTagsConsistent(name);
    expect(Object.fromEntries(resolved)).toEqual({ release: winner });
    // A refused PUT leaves nothing behind: the winner is the repository's only image.
    expect((await describeAll(name)).map((detail) => detail.imageDigest)).toEqual([winner]);

    // And the tag stays where it is against a second wave, from the same images.
    const again = await Promise.all(images.map((image) => put(name, 'release', image)));
    expect(again.map((reply) => reply.status).sort()).toEqual([201, ...Array(images.length - 1).fill(400)]);
    expect(Object.fromEntries(await expectTagsConsistent(name))).toEqual({ release: winner });
  });

  test('BatchDeleteImage racing manifest PUTs never leaves a tag naming a missing image', async () => {
    const name = await createRepository(server, uniqueName('race-delete'));
    const images = await prepareImages(name, 8, name);
    const tags = ['a', 'b', 'c'];
    const client = server.client();
    const pick = (round: number, offset: number) => images[(round * 5 + offset * 3) % images.length];

    for (let round = 0; round < 15; round++) {
      const operations: Array<Promise<unknown>> = [
        ...tags.map((tag, index) => put(name, tag, pick(round, index)).then((reply) => expect(reply.status).toBe(201))),
        put(name, pick(round, 3).digest, pick(round, 3)),
        client.send(new BatchDeleteImageCommand({ repositoryName: name, imageIds: [{ imageDigest: pick(round, 1).digest }] })),
        client.send(new BatchDeleteImageCommand({ repositoryName: name, imageIds: [{ imageTag: tags[round % tags.length] }, { imageDigest: pick(round, 4).digest }] })),
        v2(server, 'DELETE', `/v2/${name}/manifests/${tags[(round + 1) % tags.length]}`).then((reply) => expect([202, 404]).toContain(reply.status)),
        client.send(
          new PutImageCommand({ repositoryName: name, imageManifest: pick(round, 5).manifest.toString(), imageManifestMediaType: MEDIA.dockerManifest, imageTag: tags[(round + 2) % tags.length] }),
        ).catch((error: { name: string }) => expect(error.name).toBe('ImageAlreadyExistsException')),
      ];
      await Promise.all(operations);

      const resolved = await expectTagsConsistent(name);
      const stored = new Set((await describeAll(name)).map((detail) => detail.imageDigest));
      for (const [tag, digest] of resolved) {
        expect({ tag, stored: stored.has(digest) }).toEqual({ tag, stored: true });
        const pulled = await v2(server, 'GET', `/v2/${name}/manifests/${tag}`, { headers: { Accept: MEDIA.dockerManifest } });
        expect(pulled.body.equals(images.find((image) => image.digest === digest)!.manifest)).toBe(true);
      }
    }
  });
});
