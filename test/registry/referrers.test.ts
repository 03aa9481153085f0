import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  createRepository,
  descriptorOf,
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
  type Descriptor,
  type PushedImage,
} from '../helpers/registry.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const SBOM = 'application/spdx+json';
const SIGNATURE = 'application/vnd.dev.cosign.artifact.sig.v1+json';

interface ReferrersIndex {
  schemaVersion: number;
  mediaType: string;
  manifests: Descriptor[];
}

/** Pushes an artifact manifest (empty config) about `subject`; returns its descriptor as the referrers API lists it. */
async function pushReferrer(name: string, subject: PushedImage, artifactType: string, annotations?: Record<string, string>): Promise<Descriptor> {
  const empty = Buffer.from('{}');
  await pushBlob(server, name, empty);
  const payload = Buffer.from(`${artifactType} about ${subject.digest} ${Math.random()}`);
  await pushBlob(server, name, payload);
  const manifest = ociManifest(descriptorOf(MEDIA.ociEmpty, empty), [descriptorOf(artifactType, payload)], {
    artifactType,
    subject: subject.descriptor,
    annotations,
  });
  const reply = await putManifest(server, name, sha256(manifest), manifest, MEDIA.ociManifest);
  expect(reply.status).toBe(201);
  expect(reply.headers.get('oci-subject')).toBe(subject.digest);
  return descriptorOf(MEDIA.ociManifest, manifest, { artifactType, ...(annotations ? { annotations } : {}) });
}

const byDigest = (a: Descriptor, b: Descriptor) => a.digest.localeCompare(b.digest);

async function referrers(name: string, digest: string, query = ''): Promise<{ index: ReferrersIndex; filters: string | null }> {
  const reply = await v2(server, 'GET', `/v2/${name}/referrers/${digest}${query}`);
  expect(reply.status).toBe(200);
  expect(reply.headers.get('content-type')).toBe(MEDIA.ociIndex);
  return { index: reply.json<ReferrersIndex>(), filters: reply.headers.get('oci-filters-applied') };
}

test('without a filter: an OCI index of every manifest whose subject is the digest; no OCI-Filters-Applied', async () => {
  const name = await createRepository(server, uniqueName('ref-all'));
  const subject = await pushImage(server, name, { tag: 'app', format: 'oci' });
  const other = await pushImage(server, name, { tag: 'other', format: 'oci' });
  const sbom = await pushReferrer(name, subject, SBOM, { 'org.opencontainers.image.created': '2024-05-01T00:00:00Z' });
  const signature = await pushReferrer(name, subject, SIGNATURE);
  await pushReferrer(name, other, SBOM);

  const { index, filters } = await referrers(name, subject.digest);
  expect(filters).toBeNull();
  expect(index.schemaVersion).toBe(2);
  expect(index.mediaType).toBe(MEDIA.ociIndex);
  expect([...index.manifests].sort(byDigest)).toEqual([sbom, signature].sort(byDigest));
});

test('?artifactType= keeps the matching ones and answers OCI-Filters-Applied: artifactType', async () => {
  const name = await createRepository(server, uniqueName('ref-filter'));
  const subject = await pushImage(server, name, { tag: 'app', format: 'oci' });
  const sbom = await pushReferrer(name, subject, SBOM);
  await pushReferrer(name, subject, SIGNATURE);

  const filtered = await referrers(name, subject.digest, `?artifactType=${encodeURIComponent(SBOM)}`);
  expect(filtered.filters).toBe('artifactType');
  expect(filtered.index.manifests).toEqual([sbom]);

  const nothing = await referrers(name, subject.digest, `?artifactType=${encodeURIComponent('application/x-nothing')}`);
  expect(nothing.filters).toBe('artifactType');
  expect(nothing.index.manifests).toEqual([]);
});

test('an index with a subject is a referrer too, listed with its artifactType', async () => {
  const name = await createRepository(server, uniqueName('ref-index'));
  const subject = await pushImage(server, name, { tag: 'app', format: 'oci' });
  const child = await pushImage(server, name, { format: 'oci' });
  const index = ociIndex([child.descriptor], { artifactType: 'application/vnd.example.bundle', subject: subject.descriptor });
  const put = await putManifest(server, name, sha256(index), index, MEDIA.ociIndex);
  expect(put.status).toBe(201);
  expect(put.headers.get('oci-subject')).toBe(subject.digest);
  expect((await referrers(name, subject.digest)).index.manifests).toEqual([
    descriptorOf(MEDIA.ociIndex, index, { artifactType: 'application/vnd.example.bundle' }),
  ]);
});

test('an unknown subject (never pushed, or pushed with no referrers): 200 and an empty index', async () => {
  const name = await createRepository(server, uniqueName('ref-empty'));
  const lonely = await pushImage(server, name, { tag: 'app', format: 'oci' });
  for (const digest of [sha256('nothing refers to this'), lonely.digest]) {
    const { index, filters } = await referrers(name, digest);
    expect(index).toEqual({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [] });
    expect(filters).toBeNull();
  }
});

test('referrers are per repository, and leave with their manifest', async () => {
  const name = await createRepository(server, uniqueName('ref-scope'));
  const other = await createRepository(server, uniqueName('ref-scope-other'));
  const subject = await pushImage(server, name, { tag: 'app', format: 'oci' });
  const sbom = await pushReferrer(name, subject, SBOM);
  expect((await referrers(other, subject.digest)).index.manifests).toEqual([]);

  expect((await v2(server, 'DELETE', `/v2/${name}/manifests/${sbom.digest}`)).status).toBe(202);
  expect((await referrers(name, subject.digest)).index.manifests).toEqual([]);
});

test('a malformed digest: 400 DIGEST_INVALID; an unknown repository: 404 NAME_UNKNOWN', async () => {
  const name = await createRepository(server, uniqueName('ref-errors'));
  expectOciError(await v2(server, 'GET', `/v2/${name}/referrers/latest`), 400, 'DIGEST_INVALID');
  expectOciError(await v2(server, 'GET', `/v2/${name}-absent/referrers/${sha256('x')}`), 404, 'NAME_UNKNOWN');
});
