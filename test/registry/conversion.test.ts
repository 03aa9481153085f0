import { createPublicKey, verify, type JsonWebKey } from 'node:crypto';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { createRepository, descriptorOf, MEDIA, ociManifest, pushBlob, pushImage, putManifest, sha256, uniqueName, v2 } from '../helpers/registry.js';

// ECR converts on pull by tag when the client's Accept lacks the stored type; never by digest.

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const EMPTY_LAYER_DIGEST = 'sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4';

const getManifest = (name: string, reference: string, accept: string) =>
  v2(server, 'GET', `/v2/${name}/manifests/${reference}`, { headers: { Accept: accept } });

test('Docker schema 2 pulled by tag with Accept OCI: an OCI manifest, with its own digest', async () => {
  const name = await createRepository(server, uniqueName('conv-d2o'));
  const image = await pushImage(server, name, { tag: 'v1', format: 'docker' });

  const reply = await getManifest(name, 'v1', MEDIA.ociManifest);
  expect(reply.status).toBe(200);
  expect(reply.headers.get('content-type')).toBe(MEDIA.ociManifest);
  const converted = reply.json<{ mediaType: string; config: { mediaType: string; digest: string; size: number }; layers: Array<Record<string, unknown>> }>();
  expect(converted).toEqual({
    schemaVersion: 2,
    mediaType: MEDIA.ociManifest,
    config: { mediaType: MEDIA.ociConfig, digest: image.config.digest, size: image.config.bytes.length },
    layers: image.layers.map(({ digest, bytes }) => ({ mediaType: MEDIA.ociLayer, digest, size: bytes.length })),
  });
  const digest = reply.headers.get('docker-content-digest');
  expect(digest).toBe(sha256(reply.body));
  expect(digest).not.toBe(image.digest);
  expect(reply.headers.get('content-length')).toBe(String(reply.body.length));

  // HEAD answers the same representation.
  const head = await v2(server, 'HEAD', `/v2/${name}/manifests/v1`, { headers: { Accept: MEDIA.ociManifest } });
  expect([head.headers.get('content-type'), head.headers.get('docker-content-digest'), head.headers.get('content-length')]).toEqual([
    MEDIA.ociManifest,
    digest,
    String(reply.body.length),
  ]);
});

test('by digest with the same Accept: the stored bytes, unchanged', async () => {
  const name = await createRepository(server, uniqueName('conv-digest'));
  const image = await pushImage(server, name, { tag: 'v1', format: 'docker' });
  const reply = await getManifest(name, image.digest, MEDIA.ociManifest);
  expect(reply.status).toBe(200);
  expect(reply.headers.get('content-type')).toBe(MEDIA.dockerManifest);
  expect(reply.headers.get('docker-content-digest')).toBe(image.digest);
  expect(reply.body.equals(image.manifest)).toBe(true);
});

test('an Accept that includes the stored type (or none given) gets the stored bytes', async () => {
  const name = await createRepository(server, uniqueName('conv-accepts'));
  const image = await pushImage(server, name, { tag: 'v1', format: 'docker' });
  for (const accept of [`${MEDIA.ociManifest}, ${MEDIA.dockerManifest}`, '*/*', `${MEDIA.dockerManifest};q=0.5, ${MEDIA.ociManifest}`]) {
    const reply = await getManifest(name, 'v1', accept);
    expect({ accept, type: reply.headers.get('content-type') }).toEqual({ accept, type: MEDIA.dockerManifest });
    expect(reply.body.equals(image.manifest)).toBe(true);
  }
});

test('OCI image manifest pulled by tag with Accept Docker schema 2: a Docker manifest', async () => {
  const name = await createRepository(server, uniqueName('conv-o2d'));
  const image = await pushImage(server, name, { tag: 'v1', format: 'oci' });
  const reply = await getManifest(name, 'v1', MEDIA.dockerManifest);
  expect(reply.status).toBe(200);
  expect(reply.headers.get('content-type')).toBe(MEDIA.dockerManifest);
  expect(reply.json()).toEqual({
    schemaVersion: 2,
    mediaType: MEDIA.dockerManifest,
    config: { mediaType: MEDIA.dockerConfig, digest: image.config.digest, size: image.config.bytes.length },
    layers: image.layers.map(({ digest, bytes }) => ({ mediaType: MEDIA.dockerLayer, digest, size: bytes.length })),
  });
  expect(reply.headers.get('docker-content-digest')).toBe(sha256(reply.body));
  expect(reply.headers.get('docker-content-digest')).not.toBe(image.digest);

  const byDigest = await getManifest(name, image.digest, MEDIA.dockerManifest);
  expect(byDigest.body.equals(image.manifest)).toBe(true);
});

test('an OCI artifact has no Docker form: the stored manifest is served', async () => {
  const name = await createRepository(server, uniqueName('conv-artifact'));
  const empty = Buffer.from('{}');
  const payload = Buffer.from('signature');
  await pushBlob(server, name, empty);
  await pushBlob(server, name, payload);
  const artifact = ociManifest(descriptorOf(MEDIA.ociEmpty, empty), [descriptorOf('application/octet-stream', payload)], {
    artifactType: 'application/vnd.example.sig',
  });
  expect((await putManifest(server, name, 'sig', artifact, MEDIA.ociManifest)).status).toBe(201);
  const reply = await getManifest(name, 'sig', MEDIA.dockerManifest);
  expect(reply.headers.get('content-type')).toBe(MEDIA.ociManifest);
  expect(reply.body.equals(artifact)).toBe(true);
});

describe('Docker schema 2 -> signed schema 1 when Accept is only schema 1', () => {
  interface Schema1 {
    schemaVersion: number;
    name: string;
    tag: string;
    architecture: string;
    fsLayers: Array<{ blobSum: string }>;
    history: Array<{ v1Compatibility: string }>;
    signatures: Array<{ header: { jwk: JsonWebKey; alg: string }; signature: string; protected: string }>;
  }

  test.each([MEDIA.dockerSchema1Signed, MEDIA.dockerSchema1])('Accept: %s', async (accept) => {
    const name = await createRepository(server, uniqueName('conv-s1'));
    const image = await pushImage(server, name, { tag: 'legacy', format: 'docker' });
    const reply = await getManifest(name, 'legacy', accept);
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toBe(MEDIA.dockerSchema1Signed);

    const manifest = reply.json<Schema1>();
    expect(manifest).toMatchObject({ schemaVersion: 1, name, tag: 'legacy', architecture: 'amd64' });
    // Newest first: layer 1, layer 0, then the ENV step that made no layer.
    expect(manifest.fsLayers).toEqual([{ blobSum: image.layers[1].digest }, { blobSum: image.layers[0].digest }, { blobSum: EMPTY_LAYER_DIGEST }]);
    expect(manifest.history).toHaveLength(3);
    const top = JSON.parse(manifest.history[0].v1Compatibility) as Record<string, unknown>;
    expect(top).toMatchObject({ architecture: 'amd64', os: 'linux' });
    expect(top).not.toHaveProperty('rootfs');

    // The digest is that of the payload without its signatures, and the signature verifies.
    const [signature] = manifest.signatures;
    expect(signature.header.alg).toBe('ES256');
    const format = JSON.parse(Buffer.from(signature.protected, 'base64url').toString()) as { formatLength: number; formatTail: string };
    const payload = Buffer.concat([reply.body.subarray(0, format.formatLength), Buffer.from(format.formatTail, 'base64url')]);
    expect(reply.headers.get('docker-content-digest')).toBe(sha256(payload));
    expect(JSON.parse(payload.toString())).not.toHaveProperty('signatures');
    const key = createPublicKey({ key: signature.header.jwk, format: 'jwk' });
    const signingInput = Buffer.from(`${signature.protected}.${payload.toString('base64url')}`);
    expect(verify('sha256', signingInput, { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature.signature, 'base64url'))).toBe(true);
  });

  // The converted manifest lists the empty gzip layer for history entries that made no layer;
  // nobody pushed it, yet a schema 1 client pulls every blobSum.
  test('every blobSum of the converted manifest can be pulled, the empty layer included', async () => {
    const name = await createRepository(server, uniqueName('conv-s1-pull'));
    await pushImage(server, name, { tag: 'legacy', format: 'docker' });
    const manifest = (await getManifest(name, 'legacy', MEDIA.dockerSchema1Signed)).json<Schema1>();
    for (const { blobSum } of manifest.fsLayers) {
      const blob = await v2(server, 'GET', `/v2/${name}/blobs/${blobSum}`);
      expect({ blobSum, status: blob.status }).toEqual({ blobSum, status: 200 });
      expect(sha256(blob.body)).toBe(blobSum);
    }
  });

  test('an OCI image asked for as schema 1 has no translation: the stored manifest is served', async () => {
    const name = await createRepository(server, uniqueName('conv-s1-oci'));
    const image = await pushImage(server, name, { tag: 'v1', format: 'oci' });
    const reply = await getManifest(name, 'v1', MEDIA.dockerSchema1Signed);
    expect(reply.headers.get('content-type')).toBe(MEDIA.ociManifest);
    expect(reply.body.equals(image.manifest)).toBe(true);
  });
});
