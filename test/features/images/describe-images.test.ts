import {
  CreateRepositoryCommand,
  DescribeImagesCommand,
  ImageNotFoundException,
  InvalidParameterException,
  ListImagesCommand,
  PutImageCommand,
  RepositoryNotFoundException,
  paginateDescribeImages,
  type ECRClient,
  type ImageDetail,
} from '@aws-sdk/client-ecr';
import { failure } from '../../helpers/failure.js';
import { MEDIA, buildImage, putImage, sha256, type BuiltImage } from '../../helpers/images.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

describe('one repository of a few images', () => {
  let server: TestServer;
  let client: ECRClient;
  let tagged: BuiltImage;
  let untagged: BuiltImage;
  let artifact: BuiltImage;
  let pushedFrom: number;
  beforeAll(async () => {
    server = await startTestServer();
    client = server.client();
    await client.send(new CreateRepositoryCommand({ repositoryName: 'app' }));
    pushedFrom = Math.floor(Date.now() / 1000) * 1000;
    tagged = await putImage(server, client, 'app', 'v2', { seed: 'tagged', layerCount: 3 });
    await client.send(new PutImageCommand({ repositoryName: 'app', imageManifest: tagged.manifest, imageTag: 'latest' }));
    untagged = await putImage(server, client, 'app', undefined, { seed: 'untagged', format: 'oci' });
    artifact = await putImage(server, client, 'app', 'sig', {
      seed: 'artifact',
      format: 'oci',
      artifactType: 'application/vnd.example.signature',
      subject: { mediaType: MEDIA.dockerManifest, digest: tagged.digest, size: Buffer.byteLength(tagged.manifest) },
    });
  });
  afterAll(() => server.close());

  const describeAll = async (filter?: { tagStatus?: 'TAGGED' | 'UNTAGGED' | 'ANY'; imageStatus?: 'ACTIVE' | 'ARCHIVED' | 'ACTIVATING' | 'ANY' }) =>
    (await client.send(new DescribeImagesCommand({ repositoryName: 'app', filter }))).imageDetails ?? [];
  const digests = (details: ImageDetail[]) => details.map((detail) => detail.imageDigest).sort();

  test('a tagged image is described in full', async () => {
    const detail = (await describeAll()).find((d) => d.imageDigest === tagged.digest);
    expect(detail).toEqual({
      registryId: '000000000000',
      repositoryName: 'app',
      imageDigest: tagged.digest,
      imageTags: ['latest', 'v2'],
      imageSizeInBytes: tagged.layers.reduce((sum, layer) => sum + layer.size, 0),
      imagePushedAt: expect.any(Date),
      imageManifestMediaType: MEDIA.dockerManifest,
      artifactMediaType: MEDIA.dockerConfig,
      imageStatus: 'ACTIVE',
    });
    expect(detail!.imagePushedAt!.getTime()).toBeGreaterThanOrEqual(pushedFrom);
    expect(detail!.imagePushedAt!.getTime()).toBeLessThanOrEqual(Date.now());
  });

  test('an untagged image has no imageTags', async () => {
    const detail = (await describeAll()).find((d) => d.imageDigest === untagged.digest);
    expect(detail).not.toHaveProperty('imageTags');
    expect(detail?.imageManifestMediaType).toBe(MEDIA.ociManifest);
    expect(detail?.artifactMediaType).toBe(MEDIA.ociConfig);
  });

  test('an artifact reports its artifactType and the subject it refers to', async () => {
    const detail = (await describeAll()).find((d) => d.imageDigest === artifact.digest);
    expect(detail?.artifactMediaType).toBe('application/vnd.example.signature');
    expect(detail?.subjectManifestDigest).toBe(tagged.digest);
  });

  test('filter.tagStatus selects tagged, untagged or any images', async () => {
    expect(digests(await describeAll())).toEqual([tagged.digest, untagged.digest, artifact.digest].sort());
    expect(digests(await describeAll({ tagStatus: 'ANY' }))).toEqual([tagged.digest, untagged.digest, artifact.digest].sort());
    expect(digests(await describeAll({ tagStatus: 'TAGGED' }))).toEqual([tagged.digest, artifact.digest].sort());
    expect(digests(await describeAll({ tagStatus: 'UNTAGGED' }))).toEqual([untagged.digest]);
  });

  test('filter.imageStatus: every image is ACTIVE, none ARCHIVED', async () => {
    expect(await describeAll({ imageStatus: 'ACTIVE' })).toHaveLength(3);
    expect(await describeAll({ imageStatus: 'ANY' })).toHaveLength(3);
    expect(await describeAll({ imageStatus: 'ARCHIVED' })).toEqual([]);
  });

  test('imageIds by tag or digest describe those images, each once', async () => {
    const { imageDetails, nextToken } = await client.send(
      new DescribeImagesCommand({
        repositoryName: 'app',
        imageIds: [{ imageTag: 'latest' }, { imageDigest: untagged.digest }, { imageTag: 'v2' }, { imageTag: 'v2', imageDigest: tagged.digest }],
      }),
    );
    expect(nextToken).toBeUndefined();
    expect(imageDetails?.map((d) => d.imageDigest)).toEqual([tagged.digest, untagged.digest]);
  });

  test('an unknown tag is ImageNotFoundException in ECR\'s words', async () => {
    const error = await failure(client.send(new DescribeImagesCommand({ repositoryName: 'app', imageIds: [{ imageTag: 'v2' }, { imageTag: 'nope' }] })));
    expect(error).toBeInstanceOf(ImageNotFoundException);
    expect(error.message).toBe(
      "The image with imageId {imageDigest:'null', imageTag:'nope'} does not exist within the repository with name 'app' in the registry with id '000000000000'",
    );
    expect(error.$metadata?.httpStatusCode).toBe(400);
  });

  test('an unknown digest, or a tag that does not name the digest, is ImageNotFoundException', async () => {
    const unknown = sha256('unknown');
    const byDigest = await failure(client.send(new DescribeImagesCommand({ repositoryName: 'app', imageIds: [{ imageDigest: unknown }] })));
    expect(byDigest).toBeInstanceOf(ImageNotFoundException);
    expect(byDigest.message).toBe(
      `The image with imageId {imageDigest:'${unknown}', imageTag:'null'} does not exist within the repository with name 'app' in the registry with id '000000000000'`,
    );
    const mismatch = await failure(
      client.send(new DescribeImagesCommand({ repositoryName: 'app', imageIds: [{ imageDigest: untagged.digest, imageTag: 'v2' }] })),
    );
    expect(mismatch).toBeInstanceOf(ImageNotFoundException);
    expect(mismatch.message).toContain(`{imageDigest:'${untagged.digest}', imageTag:'v2'}`);
  });

  test('an id with neither tag nor digest is ImageNotFoundException', async () => {
    const error = await failure(client.send(new DescribeImagesCommand({ repositoryName: 'app', imageIds: [{}] })));
    expect(error).toBeInstanceOf(ImageNotFoundException);
    expect(error.message).toContain("{imageDigest:'null', imageTag:'null'}");
  });

  test('maxResults or nextToken together with imageIds is InvalidParameterException', async () => {
    const withMax = await failure(client.send(new DescribeImagesCommand({ repositoryName: 'app', imageIds: [{ imageTag: 'v2' }], maxResults: 5 })));
    expect(withMax).toBeInstanceOf(InvalidParameterException);
    expect(withMax.message).toBe("Invalid parameter at 'maxResults' failed to satisfy constraint: 'maxResults cannot be used together with imageIds'");
    const withToken = await failure(client.send(new DescribeImagesCommand({ repositoryName: 'app', imageIds: [{ imageTag: 'v2' }], nextToken: 'x' })));
    expect(withToken).toBeInstanceOf(InvalidParameterException);
    expect(withToken.message).toBe("Invalid parameter at 'nextToken' failed to satisfy constraint: 'nextToken cannot be used together with imageIds'");
  });

  test('a nextToken Berth did not issue is InvalidParameterException', async () => {
    const error = await failure(client.send(new DescribeImagesCommand({ repositoryName: 'app', nextToken: 'garbage' })));
    expect(error).toBeInstanceOf(InvalidParameterException);
    expect(error.message).toBe("Invalid parameter at 'nextToken' failed to satisfy constraint: 'Invalid nextToken provided'");
  });

  test('maxResults outside 1..1000 is InvalidParameterException', async () => {
    await expect(client.send(new DescribeImagesCommand({ repositoryName: 'app', maxResults: 0 }))).rejects.toThrow(InvalidParameterException);
    await expect(client.send(new DescribeImagesCommand({ repositoryName: 'app', maxResults: 1001 }))).rejects.toThrow(InvalidParameterException);
  });

  test('a missing repository is RepositoryNotFoundException', async () => {
    const error = await failure(client.send(new DescribeImagesCommand({ repositoryName: 'missing' })));
    expect(error).toBeInstanceOf(RepositoryNotFoundException);
    expect(error.message).toBe("The repository with name 'missing' does not exist in the registry with id '000000000000'");
  });
});

describe('pagination', () => {
  let server: TestServer;
  let client: ECRClient;
  const pushed: string[] = [];
  beforeAll(async () => {
    server = await startTestServer();
    client = server.client();
    await client.send(new CreateRepositoryCommand({ repositoryName: 'many' }));
    // 103 images: 51 tagged, 52 untagged.
    for (let i = 0; i < 103; i++) {
      const image = await buildImage(server, 'many', { seed: `image-${i}`, layerCount: 0 });
      await client.send(new PutImageCommand({ repositoryName: 'many', imageManifest: image.manifest, imageTag: i % 2 ? `t${i}` : undefined }));
      pushed.push(image.digest);
    }
  });
  afterAll(() => server.close());

  test('without maxResults a page holds 100 images and a token for the rest', async () => {
    const first = await client.send(new DescribeImagesCommand({ repositoryName: 'many' }));
    expect(first.imageDetails).toHaveLength(100);
    expect(first.nextToken).toEqual(expect.any(String));
    const second = await client.send(new DescribeImagesCommand({ repositoryName: 'many', nextToken: first.nextToken }));
    expect(second.imageDetails).toHaveLength(3);
    expect(second.nextToken).toBeUndefined();
    const all = [...first.imageDetails!, ...second.imageDetails!].map((d) => d.imageDigest);
    expect(all.sort()).toEqual([...pushed].sort());
  });

  test('maxResults pages through every image exactly once', async () => {
    const seen: string[] = [];
    let pages = 0;
    for await (const page of paginateDescribeImages({ client, pageSize: 7 }, { repositoryName: 'many' })) {
      pages++;
      expect(page.imageDetails!.length).toBeLessThanOrEqual(7);
      seen.push(...page.imageDetails!.map((d) => d.imageDigest!));
    }
    expect(pages).toBe(Math.ceil(103 / 7));
    expect(seen.sort()).toEqual([...pushed].sort());
  });

  test('a filtered listing pages over the matching images only', async () => {
    const seen: string[] = [];
    for await (const page of paginateDescribeImages({ client, pageSize: 10 }, { repositoryName: 'many', filter: { tagStatus: 'TAGGED' } })) {
      expect(page.imageDetails!.every((d) => d.imageTags?.length)).toBe(true);
      seen.push(...page.imageDetails!.map((d) => d.imageDigest!));
    }
    expect(seen).toHaveLength(51);
    expect(new Set(seen).size).toBe(51);
  });

  test('the last page ends without a token; an exact fit does not promise an empty page', async () => {
    const page = await client.send(new DescribeImagesCommand({ repositoryName: 'many', filter: { tagStatus: 'UNTAGGED' }, maxResults: 52 }));
    expect(page.imageDetails).toHaveLength(52);
    expect(page.nextToken).toBeUndefined();
  });

  test('a token from ListImages is refused', async () => {
    const listed = await client.send(new ListImagesCommand({ repositoryName: 'many', maxResults: 1 }));
    const error = await failure(client.send(new DescribeImagesCommand({ repositoryName: 'many', nextToken: listed.nextToken })));
    expect(error).toBeInstanceOf(InvalidParameterException);
  });
});
