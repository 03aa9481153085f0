import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  createRepository,
  descriptorOf,
  dockerManifest,
  dockerManifestList,
  expectOciError,
  MEDIA,
  ociIndex,
  ociManifest,
  pushBlob,
  pushImage,
  putManifest,
  sha256,
  uniqueName,
  v2,
  type Reply,
} from '../helpers/registry.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

/** GET with the manifest's own media type accepted: the stored bytes, type and digest. */
async function expectManifest(name: string, reference: string, bytes: Buffer, mediaType: string): Promise<void> {
  const reply = await v2(server, 'GET', `/v2/${name}/manifests/${reference}`, { headers: { Accept: mediaType } });
  expect(reply.status).toBe(200);
  expect(reply.headers.get('content-type')).toBe(mediaType);
  expect(reply.headers.get('docker-content-digest')).toBe(sha256(bytes));
  expect(reply.headers.get('content-length')).toBe(String(bytes.length));
  expect(reply.body.equals(bytes)).toBe(true);

  const head = await v2(server, 'HEAD', `/v2/${name}/manifests/${reference}`, { headers: { Accept: mediaType } });
  expect(head.status).toBe(200);
  expect(head.headers.get('content-type')).toBe(mediaType);
  expect(head.headers.get('docker-content-digest')).toBe(sha256(bytes));
  expect(head.headers.get('content-length')).toBe(String(bytes.length));
  expect(head.body.length).toBe(0);
}

function expectPut(reply: Reply, name: string, bytes: Buffer): void {
  expect({ status: reply.status, body: reply.text }).toEqual({ status: 201, body: '' });
  expect(reply.headers.get('docker-content-digest')).toBe(sha256(bytes));
  expect(reply.headers.get('location')).toBe(`/v2/${name}/manifests/${sha256(bytes)}`);
}

describe('PUT, GET, HEAD, DELETE by tag and by digest', () => {
  test.each(['docker', 'oci'] as const)('%s image manifest', async (format) => {
    const name = await createRepository(server, uniqueName(`man-${format}`));
    const image = await pushImage(server, name, { tag: 'v1', format });
    await expectManifest(name, 'v1', image.manifest, image.mediaType);
    await expectManifest(name, image.digest, image.manifest, image.mediaType);

    // A second push by digest only stores another, untagged image.
    const untagged = await pushImage(server, name, { format });
    await expectManifest(name, untagged.digest, untagged.manifest, untagged.mediaType);
    expect((await v2(server, 'GET', `/v2/${name}/tags/list`)).json()).toEqual({ name, tags: ['v1'] });
  });

  test.each([
    ['Docker manifest list', MEDIA.dockerManifestList, 'docker', dockerManifestList],
    ['OCI index', MEDIA.ociIndex, 'oci', ociIndex],
  ] as const)('%s over two images', async (_, mediaType, format, build) => {
    const name = await createRepository(server, uniqueName('man-list'));
    const amd64 = await pushImage(server, name, { format });
    const arm64 = await pushImage(server, name, { format });
    const list = build([
      { ...amd64.descriptor, platform: { architecture: 'amd64', os: 'linux' } },
      { ...arm64.descriptor, platform: { architecture: 'arm64', os: 'linux' } },
    ]);
    expectPut(await putManifest(server, name, 'multi', list, mediaType), name, list);
    await expectManifest(name, 'multi', list, mediaType);
    await expectManifest(name, sha256(list), list, mediaType);
    // The children are served as themselves.
    await expectManifest(name, arm64.digest, arm64.manifest, arm64.mediaType);
  });

  test('OCI artifact with artifactType and subject: PUT answers OCI-Subject', async () => {
    const name = await createRepository(server, uniqueName('man-artifact'));
    const subject = await pushImage(server, name, { tag: 'app', format: 'oci' });
    const empty = Buffer.from('{}');
    await pushBlob(server, name, empty);
    const payload = Buffer.from('{"spdxVersion":"SPDX-2.3"}');
    await pushBlob(server, name, payload);
    const artifact = ociManifest(descriptorOf(MEDIA.ociEmpty, empty), [descriptorOf('application/spdx+json', payload)], {
      artifactType: 'application/spdx+json',
      subject: subject.descriptor,
    });
    const reply = await putManifest(server, name, sha256(artifact), artifact, MEDIA.ociManifest);
    expectPut(reply, name, artifact);
    expect(reply.headers.get('oci-subject')).toBe(subject.digest);
    await expectManifest(name, sha256(artifact), artifact, MEDIA.ociManifest);

    // A manifest without a subject gets no OCI-Subject.
    const plain = await putManifest(server, name, 'plain', subject.manifest, MEDIA.ociManifest);
    expect(plain.status).toBe(201);
    expect(plain.headers.get('oci-subject')).toBeNull();
  });

  test('PUT by digest: the digest must be that of the bytes (DIGEST_INVALID otherwise)', async () => {
    const name = await createRepository(server, uniqueName('man-by-digest'));
    const image = await pushImage(server, name, { tag: 'v1' });
    const wrong = sha256('other bytes');
    expectOciError(await putManifest(server, name, wrong, image.manifest, image.mediaType), 400, 'DIGEST_INVALID');
    expectOciError(await v2(server, 'GET', `/v2/${name}/manifests/${wrong}`), 404, 'MANIFEST_UNKNOWN');
    expectOciError(await v2(server, 'GET', `/v2/${name}/manifests/sha256:short`), 400, 'DIGEST_INVALID');
  });

  test('DELETE by tag removes the tag; DELETE by digest removes the image and its tags', async () => {
    const name = await createRepository(server, uniqueName('man-delete'));
    const image = await pushImage(server, name, { tag: 'a' });
    expect((await putManifest(server, name, 'b', image.manifest, image.mediaType)).status).toBe(201);

    expect((await v2(server, 'DELETE', `/v2/${name}/manifests/a`)).status).toBe(202);
    expectOciError(await v2(server, 'GET', `/v2/${name}/manifests/a`), 404, 'MANIFEST_UNKNOWN');
    await expectManifest(name, 'b', image.manifest, image.mediaType);

    expect((await v2(server, 'DELETE', `/v2/${name}/manifests/${image.digest}`)).status).toBe(202);
    expectOciError(await v2(server, 'GET', `/v2/${name}/manifests/${image.digest}`), 404, 'MANIFEST_UNKNOWN');
    expectOciError(await v2(server, 'GET', `/v2/${name}/manifests/b`), 404, 'MANIFEST_UNKNOWN');
    expect((await v2(server, 'GET', `/v2/${name}/tags/list`)).json()).toEqual({ name, tags: [] });

    expectOciError(await v2(server, 'DELETE', `/v2/${name}/manifests/${image.digest}`), 404, 'MANIFEST_UNKNOWN');
    expectOciError(await v2(server, 'DELETE', `/v2/${name}/manifests/absent`), 404, 'MANIFEST_UNKNOWN');
  });

  test('DELETE of an image a manifest list still references: 403 DENIED, the image stays', async () => {
    const name = await createRepository(server, uniqueName('man-delete-child'));
    const child = await pushImage(server, name, {});
    const list = dockerManifestList([child.descriptor]);
    expect((await putManifest(server, name, 'list', list, MEDIA.dockerManifestList)).status).toBe(201);
    expectOciError(await v2(server, 'DELETE', `/v2/${name}/manifests/${child.digest}`), 403, 'DENIED');
    await expectManifest(name, child.digest, child.manifest, child.mediaType);
  });

  test('a tag that is not a valid reference: 400 TAG_INVALID', async () => {
    const name = await createRepository(server, uniqueName('man-bad-tag'));
    expectOciError(await v2(server, 'GET', `/v2/${name}/manifests/.hidden`), 400, 'TAG_INVALID');
    expectOciError(await v2(server, 'GET', `/v2/${name}/manifests/${'t'.repeat(301)}`), 400, 'TAG_INVALID');
  });

  test('a moved tag (mutable repository) serves the new image; the old one stays by digest', async () => {
    const name = await createRepository(server, uniqueName('man-move'));
    const first = await pushImage(server, name, { tag: 'latest' });
    const second = await pushImage(server, name, { tag: 'latest' });
    await expectManifest(name, 'latest', second.manifest, second.mediaType);
    await expectManifest(name, first.digest, first.manifest, first.mediaType);
  });
});

describe('MANIFEST_BLOB_UNKNOWN', () => {
  test('a layer never pushed: 400, naming the digest', async () => {
    const name = await createRepository(server, uniqueName('man-missing'));
    const config = Buffer.from('{"architecture":"amd64","os":"linux"}');
    await pushBlob(server, name, config);
    const missing = Buffer.from('a layer nobody pushed');
    const manifest = dockerManifest(descriptorOf(MEDIA.dockerConfig, config), [descriptorOf(MEDIA.dockerLayer, missing)]);
    const reply = await putManifest(server, name, 'v1', manifest, MEDIA.dockerManifest);
    expectOciError(reply, 400, 'MANIFEST_BLOB_UNKNOWN');
    expect(reply.text).toContain(sha256(missing));
    expectOciError(await v2(server, 'GET', `/v2/${name}/manifests/v1`), 404, 'MANIFEST_UNKNOWN');
  });

  test('a layer only linked in another repository: 400', async () => {
    const elsewhere = await createRepository(server, uniqueName('man-elsewhere'));
    const name = await createRepository(server, uniqueName('man-here'));
    const image = await pushImage(server, elsewhere, { tag: 'v1' });
    await pushBlob(server, name, image.config.bytes);
    await pushBlob(server, name, image.layers[0].bytes);
    const reply = await putManifest(server, name, 'v1', image.manifest, image.mediaType);
    expectOciError(reply, 400, 'MANIFEST_BLOB_UNKNOWN');
    expect(reply.text).toContain(image.layers[1].digest);
  });

  test('a manifest list naming an image the repository does not hold: 400', async () => {
    const elsewhere = await createRepository(server, uniqueName('man-elsewhere'));
    const name = await createRepository(server, uniqueName('man-list-missing'));
    const image = await pushImage(server, elsewhere, {});
    const list = ociIndex([image.descriptor]);
    expectOciError(await putManifest(server, name, 'v1', list, MEDIA.ociIndex), 400, 'MANIFEST_BLOB_UNKNOWN');
  });
});

describe('MANIFEST_INVALID', () => {
  test('bad JSON: 400', async () => {
    const name = await createRepository(server, uniqueName('man-invalid'));
    for (const body of ['{not json', '[]', '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}']) {
      expectOciError(await putManifest(server, name, 'v1', Buffer.from(body), MEDIA.ociManifest), 400, 'MANIFEST_INVALID');
    }
  });

  test('a manifest larger than 4 MiB: 413', async () => {
    const name = await createRepository(server, uniqueName('man-large'));
    const image = await pushImage(server, name, { format: 'oci' });
    const document = JSON.parse(image.manifest.toString()) as Record<string, unknown>;
    const padded = Buffer.from(JSON.stringify({ ...document, annotations: { pad: 'x'.repeat(4 * 1024 * 1024) } }));
    expect(padded.length).toBeGreaterThan(4 * 1024 * 1024);
    const reply = await putManifest(server, name, 'big', padded, MEDIA.ociManifest);
    expect(reply.status).toBe(413);
    expect(reply.json()).toEqual({ errors: [expect.objectContaining({ code: 'MANIFEST_INVALID' })] });
    expectOciError(await v2(server, 'GET', `/v2/${name}/manifests/big`), 404, 'MANIFEST_UNKNOWN');
  });
});

describe('repository names', () => {
  test("NAME_UNKNOWN with ECR's message", async () => {
    const reply = await v2(server, 'GET', '/v2/x-absent/manifests/latest');
    expectOciError(reply, 404, 'NAME_UNKNOWN', "The repository with name 'x-absent' does not exist in the registry with id '000000000000'");
    expectOciError(await putManifest(server, 'x-absent', 'v1', Buffer.from('{}'), MEDIA.ociManifest), 404, 'NAME_UNKNOWN');
    expectOciError(await v2(server, 'DELETE', '/v2/x-absent/manifests/latest'), 404, 'NAME_UNKNOWN');
  });

  test('NAME_INVALID for names outside ECR grammar', async () => {
    for (const name of ['Upper', 'a..b', 'trailing-', '-leading', 'a', 'a//b']) {
      expectOciError(await v2(server, 'GET', `/v2/${name}/manifests/latest`), 400, 'NAME_INVALID');
    }
  });

  test('names with slashes route to the right repository', async () => {
    const name = await createRepository(server, `team/${uniqueName('app')}/web`);
    const image = await pushImage(server, name, { tag: 'v1' });
    await expectManifest(name, 'v1', image.manifest, image.mediaType);
  });
});

describe('immutable tags', () => {
  const immutableMessage = (tag: string, name: string) =>
    `The image tag '${tag}' already exists in the '${name}' repository and cannot be overwritten because the repository is immutable.`;

  test('IMMUTABLE: moving a tag is TAG_INVALID with ECR message; re-pushing the same manifest succeeds', async () => {
    const name = await createRepository(server, uniqueName('man-immutable'), { imageTagMutability: 'IMMUTABLE' });
    const first = await pushImage(server, name, { tag: 'v1' });
    const second = await pushImage(server, name, {});

    expectOciError(await putManifest(server, name, 'v1', second.manifest, second.mediaType), 400, 'TAG_INVALID', immutableMessage('v1', name));
    await expectManifest(name, 'v1', first.manifest, first.mediaType);

    expectPut(await putManifest(server, name, 'v1', first.manifest, first.mediaType), name, first.manifest);
    // Another tag for the second image is fine: it is new.
    expectPut(await putManifest(server, name, 'v2', second.manifest, second.mediaType), name, second.manifest);
  });

  test('IMMUTABLE_WITH_EXCLUSION with WILDCARD dev-*: dev-* tags move, others do not', async () => {
    const name = await createRepository(server, uniqueName('man-exclusion'), {
      imageTagMutability: 'IMMUTABLE_WITH_EXCLUSION',
      imageTagMutabilityExclusionFilters: [{ filterType: 'WILDCARD', filter: 'dev-*' }],
    });
    const first = await pushImage(server, name, { tag: 'v1' });
    await putManifest(server, name, 'dev-1', first.manifest, first.mediaType);
    const second = await pushImage(server, name, {});

    expectPut(await putManifest(server, name, 'dev-1', second.manifest, second.mediaType), name, second.manifest);
    await expectManifest(name, 'dev-1', second.manifest, second.mediaType);

    expectOciError(await putManifest(server, name, 'v1', second.manifest, second.mediaType), 400, 'TAG_INVALID', immutableMessage('v1', name));
    expectPut(await putManifest(server, name, 'v1', first.manifest, first.mediaType), name, first.manifest);
  });
});
