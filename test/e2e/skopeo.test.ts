// skopeo against Berth's registry, with the AWS CLI for ECR's view of what was pushed: an OCI
// image and a multi-architecture index go in and come back out byte for byte, and the image
// actions report them as ECR would.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { AWS_CLI, awsCli, requireAwsCliV2 } from './helpers.js';
import { OCI_MEDIA, readLayout, refNamed, writeMultiArchLayout, writeMultiLayerLayout, type BuiltImage } from './oci-images.js';
import { describeWithTools, expectSuccess, requireTools, skopeo, tempDir } from './registry-clients.js';

interface ImageDetail {
  registryId: string;
  repositoryName: string;
  imageDigest: string;
  imageTags?: string[];
  imageSizeInBytes: number;
  imagePushedAt: string;
  imageManifestMediaType: string;
  artifactMediaType?: string;
}
interface ImageId {
  imageDigest?: string;
  imageTag?: string;
}

const ACCOUNT = '210987654321';
const REGION = 'eu-central-1';
const TOOLS = ['skopeo', AWS_CLI];
const TEST_TIMEOUT_MS = 180_000;

const layerSize = (image: BuiltImage): number => image.layers.reduce((sum, layer) => sum + layer.size, 0);

describeWithTools(TOOLS)('skopeo against Berth', () => {
  let server: TestServer;
  let aws: ReturnType<typeof awsCli>;
  let work: Awaited<ReturnType<typeof tempDir>>;
  let tool: ReturnType<typeof skopeo>;
  let registry: string;
  let creds: string;

  beforeAll(async () => {
    requireTools(TOOLS);
    await requireAwsCliV2();
    // Anonymous requests refused, as in ECR: every skopeo call must carry the CLI's token.
    server = await startTestServer({ requireAuth: true });
    registry = `127.0.0.1:${server.port}`;
    aws = awsCli(server.endpoint, { accessKeyId: ACCOUNT, region: REGION });
    work = await tempDir('skopeo');
    tool = skopeo(work.path);
    const login = expectSuccess(await aws.run('ecr', 'get-login-password'), 'aws ecr get-login-password');
    creds = `AWS:${login.stdout.trim()}`;
    for (const name of ['e2e/multi-layer', 'e2e/multi-arch']) {
      await aws.json('ecr', 'create-repository', '--repository-name', name);
    }
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await work?.remove();
  });

  const push = (source: string, destination: string, ...flags: string[]) =>
    tool.run('copy', ...flags, '--dest-tls-verify=false', '--dest-creds', creds, source, `docker://${registry}/${destination}`);
  const pull = (source: string, destination: string, ...flags: string[]) =>
    tool.run('copy', ...flags, '--src-tls-verify=false', '--src-creds', creds, `docker://${registry}/${source}`, destination);
  const describeImages = async (repository: string, ...imageIds: string[]) =>
    (
      await aws.json<{ imageDetails: ImageDetail[] }>(
        'ecr', 'describe-images', '--repository-name', repository, ...(imageIds.length ? ['--image-ids', ...imageIds] : []),
      )
    ).imageDetails;

  test('a multi-layer OCI image goes in and comes back out byte for byte', async () => {
    const source = join(work.path, 'multi-layer-src');
    const image = await writeMultiLayerLayout(source, 'v1');
    expectSuccess(await push(`oci:${source}:v1`, 'e2e/multi-layer:v1'), 'skopeo copy (push)');

    // The manifest as stored, by digest, is the one pushed.
    const raw = expectSuccess(
      await tool.run('inspect', '--raw', '--tls-verify=false', '--creds', creds, `docker://${registry}/e2e/multi-layer@${image.descriptor.digest}`),
      'skopeo inspect --raw',
    );
    expect(raw.stdout).toBe(image.manifestBytes.toString('utf8'));

    const out = join(work.path, 'multi-layer-out');
    expectSuccess(await pull('e2e/multi-layer:v1', `oci:${out}:v1`), 'skopeo copy (pull)');
    const pulled = await readLayout(out);
    expect(refNamed(pulled, 'v1')).toMatchObject({ mediaType: OCI_MEDIA.manifest, digest: image.descriptor.digest, size: image.descriptor.size });
    expect([...pulled.blobs].sort()).toEqual([image.descriptor.digest, ...image.blobDigests].sort());
    for (const layer of image.layers) {
      const bytes = await pulled.read(layer.digest);
      expect(`sha256:${createHash('sha256').update(bytes).digest('hex')}`).toBe(layer.digest);
      expect(bytes.equals(layer.bytes)).toBe(true);
    }

    const [detail, ...others] = await describeImages('e2e/multi-layer');
    expect(others).toEqual([]);
    expect(detail).toMatchObject({
      registryId: ACCOUNT,
      repositoryName: 'e2e/multi-layer',
      imageDigest: image.descriptor.digest,
      imageTags: ['v1'],
      imageSizeInBytes: layerSize(image),
      imageManifestMediaType: OCI_MEDIA.manifest,
      artifactMediaType: OCI_MEDIA.config,
    });
    expect(Number.isNaN(Date.parse(detail.imagePushedAt))).toBe(false);

    const listed = await aws.json<{ imageIds: ImageId[] }>('ecr', 'list-images', '--repository-name', 'e2e/multi-layer');
    expect(listed.imageIds).toEqual([{ imageDigest: image.descriptor.digest, imageTag: 'v1' }]);
  }, TEST_TIMEOUT_MS);

  test('a multi-architecture index goes in and comes back out with --all', async () => {
    const source = join(work.path, 'multi-arch-src');
    const index = await writeMultiArchLayout(source, 'multi');
    expectSuccess(await push(`oci:${source}:multi`, 'e2e/multi-arch:multi', '--all'), 'skopeo copy --all (push)');

    const out = join(work.path, 'multi-arch-out');
    expectSuccess(await pull('e2e/multi-arch:multi', `oci:${out}:multi`, '--all'), 'skopeo copy --all (pull)');
    const pulled = await readLayout(out);
    expect(refNamed(pulled, 'multi')).toMatchObject({ mediaType: OCI_MEDIA.index, digest: index.descriptor.digest, size: index.descriptor.size });
    const expected = new Set([index.descriptor.digest, ...index.images.flatMap((image) => [image.descriptor.digest, ...image.blobDigests])]);
    expect([...pulled.blobs].sort()).toEqual([...expected].sort());
    expect((await pulled.read(index.descriptor.digest)).equals(index.indexBytes)).toBe(true);

    // One platform only: skopeo picks the arm64 child out of the index.
    const armOut = join(work.path, 'multi-arch-arm64');
    const armPull = await tool.run(
      '--override-arch', 'arm64', 'copy', '--src-tls-verify=false', '--src-creds', creds, `docker://${registry}/e2e/multi-arch:multi`, `oci:${armOut}:arm`,
    );
    expectSuccess(armPull, 'skopeo --override-arch arm64 copy');
    const [amd64, arm64] = index.images;
    expect(refNamed(await readLayout(armOut), 'arm')?.digest).toBe(arm64.descriptor.digest);

    // ECR lists the index (tagged, sized as its largest child) and each child (untagged).
    const details = await describeImages('e2e/multi-arch');
    const byDigest = new Map(details.map((detail) => [detail.imageDigest, detail]));
    expect(details).toHaveLength(3);
    expect(byDigest.get(index.descriptor.digest)).toMatchObject({
      imageTags: ['multi'],
      imageManifestMediaType: OCI_MEDIA.index,
      imageSizeInBytes: Math.max(layerSize(amd64), layerSize(arm64)),
    });
    expect(layerSize(arm64)).toBeGreaterThan(layerSize(amd64));
    for (const child of [amd64, arm64]) {
      const detail = byDigest.get(child.descriptor.digest);
      expect(detail).toMatchObject({ imageManifestMediaType: OCI_MEDIA.manifest, imageSizeInBytes: layerSize(child) });
      expect(detail?.imageTags ?? []).toEqual([]);
    }

    const listed = await aws.json<{ imageIds: ImageId[] }>('ecr', 'list-images', '--repository-name', 'e2e/multi-arch', '--filter', 'tagStatus=TAGGED');
    expect(listed.imageIds).toEqual([{ imageDigest: index.descriptor.digest, imageTag: 'multi' }]);
    const untagged = await aws.json<{ imageIds: ImageId[] }>('ecr', 'list-images', '--repository-name', 'e2e/multi-arch', '--filter', 'tagStatus=UNTAGGED');
    expect(untagged.imageIds.map((id) => id.imageDigest).sort()).toEqual([amd64.descriptor.digest, arm64.descriptor.digest].sort());
  }, TEST_TIMEOUT_MS);

  test('batch-delete-image removes a tag; skopeo then gets "manifest unknown" for it', async () => {
    const source = join(work.path, 'delete-src');
    const image = await writeMultiLayerLayout(source, 'gone', 'delete-me');
    expectSuccess(await push(`oci:${source}:gone`, 'e2e/multi-layer:gone'), 'skopeo copy (push :gone)');
    expectSuccess(await push(`oci:${source}:gone`, 'e2e/multi-layer:kept'), 'skopeo copy (push :kept)');
    const [before] = await describeImages('e2e/multi-layer', `imageDigest=${image.descriptor.digest}`);
    expect([...(before.imageTags ?? [])].sort()).toEqual(['gone', 'kept']);

    const deleted = await aws.json<{ imageIds: ImageId[]; failures: unknown[] }>(
      'ecr', 'batch-delete-image', '--repository-name', 'e2e/multi-layer', '--image-ids', 'imageTag=gone',
    );
    expect(deleted.failures).toEqual([]);
    expect(deleted.imageIds).toEqual([{ imageDigest: image.descriptor.digest, imageTag: 'gone' }]);

    const inspectGone = await tool.run('inspect', '--raw', '--tls-verify=false', '--creds', creds, `docker://${registry}/e2e/multi-layer:gone`);
    expect(inspectGone.code).not.toBe(0);
    expect(inspectGone.stderr).toMatch(/manifest unknown/i);

    // The image itself stays, under its other tag.
    const kept = expectSuccess(
      await tool.run('inspect', '--raw', '--tls-verify=false', '--creds', creds, `docker://${registry}/e2e/multi-layer:kept`),
      'skopeo inspect :kept',
    );
    expect(kept.stdout).toBe(image.manifestBytes.toString('utf8'));
    const [after] = await describeImages('e2e/multi-layer', `imageDigest=${image.descriptor.digest}`);
    expect(after.imageTags).toEqual(['kept']);

    // Deleting the last tag deletes the image: then its digest is unknown too.
    await aws.json('ecr', 'batch-delete-image', '--repository-name', 'e2e/multi-layer', '--image-ids', 'imageTag=kept');
    const byDigest = await tool.run(
      'inspect', '--raw', '--tls-verify=false', '--creds', creds, `docker://${registry}/e2e/multi-layer@${image.descriptor.digest}`,
    );
    expect(byDigest.code).not.toBe(0);
    expect(byDigest.stderr).toMatch(/manifest unknown/i);
  }, TEST_TIMEOUT_MS);

  test('without credentials skopeo is refused', async () => {
    const source = join(work.path, 'anonymous-src');
    await writeMultiLayerLayout(source, 'anon');
    const result = await tool.run('copy', '--dest-tls-verify=false', '--dest-no-creds', `oci:${source}:anon`, `docker://${registry}/e2e/multi-layer:anon`);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/unauthorized|authentication required|401/i);
  }, TEST_TIMEOUT_MS);
});
