import {
  BatchDeleteImageCommand,
  CreateRepositoryCommand,
  InvalidParameterException,
  ListImageReferrersCommand,
  RepositoryNotFoundException,
  type ECRClient,
  type ImageReferrer,
} from '@aws-sdk/client-ecr';
import { failure } from '../../helpers/failure.js';
import { MEDIA, putImage, sha256, type BuiltImage, type Descriptor } from '../../helpers/images.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

const SIGNATURE = 'application/vnd.example.signature';
const SBOM = 'application/vnd.example.sbom';

let server: TestServer;
let client: ECRClient;
let subject: BuiltImage;
let signature: BuiltImage;
let sbom: BuiltImage;
let unrelated: BuiltImage;
beforeAll(async () => {
  server = await startTestServer();
  client = server.client();
  await client.send(new CreateRepositoryCommand({ repositoryName: 'app' }));
  subject = await putImage(server, client, 'app', 'v1', { seed: 'subject', format: 'oci' });
  const subjectDescriptor: Descriptor = { mediaType: MEDIA.ociManifest, digest: subject.digest, size: Buffer.byteLength(subject.manifest) };
  signature = await putImage(server, client, 'app', undefined, {
    seed: 'signature',
    format: 'oci',
    artifactType: SIGNATURE,
    subject: subjectDescriptor,
    annotations: { 'org.example.signed-by': 'ci' },
  });
  sbom = await putImage(server, client, 'app', undefined, { seed: 'sbom', format: 'oci', artifactType: SBOM, subject: subjectDescriptor });
  const other = await putImage(server, client, 'app', 'v2', { seed: 'other', format: 'oci' });
  unrelated = await putImage(server, client, 'app', undefined, {
    seed: 'unrelated',
    format: 'oci',
    artifactType: SIGNATURE,
    subject: { mediaType: MEDIA.ociManifest, digest: other.digest, size: Buffer.byteLength(other.manifest) },
  });
});
afterAll(() => server.close());

const list = (input: Partial<ConstructorParameters<typeof ListImageReferrersCommand>[0]> = {}) =>
  client.send(new ListImageReferrersCommand({ repositoryName: 'app', subjectId: { imageDigest: subject.digest }, ...input }));

const byDigest = (referrers: ImageReferrer[] | undefined) => [...(referrers ?? [])].sort((a, b) => a.digest!.localeCompare(b.digest!));

test('lists the manifests whose subject is the image, described as OCI referrers', async () => {
  const { referrers, nextToken } = await list();
  expect(nextToken).toBeUndefined();
  expect(byDigest(referrers)).toEqual(
    byDigest([
      {
        digest: signature.digest,
        mediaType: MEDIA.ociManifest,
        size: Buffer.byteLength(signature.manifest),
        artifactType: SIGNATURE,
        annotations: { 'org.example.signed-by': 'ci' },
        artifactStatus: 'ACTIVE',
      },
      { digest: sbom.digest, mediaType: MEDIA.ociManifest, size: Buffer.byteLength(sbom.manifest), artifactType: SBOM, artifactStatus: 'ACTIVE' },
    ]),
  );
  expect(referrers!.map((r) => r.digest)).not.toContain(unrelated.digest);
});

test('filter.artifactTypes keeps only those types', async () => {
  expect((await list({ filter: { artifactTypes: [SBOM] } })).referrers?.map((r) => r.digest)).toEqual([sbom.digest]);
  expect((await list({ filter: { artifactTypes: [SBOM, SIGNATURE] } })).referrers).toHaveLength(2);
  expect((await list({ filter: { artifactTypes: ['application/vnd.example.none'] } })).referrers).toEqual([]);
});

test('filter.artifactStatus: ACTIVE and ANY list them, ARCHIVED lists none', async () => {
  expect((await list({ filter: { artifactStatus: 'ACTIVE' } })).referrers).toHaveLength(2);
  expect((await list({ filter: { artifactStatus: 'ANY' } })).referrers).toHaveLength(2);
  expect((await list({ filter: { artifactStatus: 'ARCHIVED' } })).referrers).toEqual([]);
});

test('maxResults pages through them with a token', async () => {
  const first = await list({ maxResults: 1 });
  expect(first.referrers).toHaveLength(1);
  expect(first.nextToken).toEqual(expect.any(String));
  const second = await list({ maxResults: 1, nextToken: first.nextToken });
  expect(second.referrers).toHaveLength(1);
  expect(second.nextToken).toBeUndefined();
  expect([first.referrers![0].digest, second.referrers![0].digest].sort()).toEqual([signature.digest, sbom.digest].sort());
});

test('a subject nothing refers to lists nothing', async () => {
  const { referrers, nextToken } = await list({ subjectId: { imageDigest: sha256('no such image') } });
  expect(referrers).toEqual([]);
  expect(nextToken).toBeUndefined();
});

test('a deleted referrer is no longer listed', async () => {
  await client.send(new BatchDeleteImageCommand({ repositoryName: 'app', imageIds: [{ imageDigest: unrelated.digest }] }));
  const other = JSON.parse(unrelated.manifest) as { subject: { digest: string } };
  expect((await list({ subjectId: { imageDigest: other.subject.digest } })).referrers).toEqual([]);
});

test('a malformed subject digest is InvalidParameterException', async () => {
  const error = await failure(list({ subjectId: { imageDigest: 'latest' } }));
  expect(error).toBeInstanceOf(InvalidParameterException);
  expect(error.message).toBe(
    "Invalid parameter at 'subjectId.imageDigest' failed to satisfy constraint: 'image digest should satisfy the regex '[a-zA-Z0-9-_+.]+:[a-fA-F0-9]+''",
  );
});

test('a nextToken Berth did not issue is InvalidParameterException', async () => {
  const error = await failure(list({ nextToken: 'garbage' }));
  expect(error).toBeInstanceOf(InvalidParameterException);
});

test('a missing repository is RepositoryNotFoundException', async () => {
  const error = await failure(list({ repositoryName: 'missing' }));
  expect(error).toBeInstanceOf(RepositoryNotFoundException);
  expect(error.message).toBe("The repository with name 'missing' does not exist in the registry with id '000000000000'");
});
