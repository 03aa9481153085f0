import { createServer } from 'node:net';
import {
  CreateRepositoryCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  ECRServiceException,
  GetAuthorizationTokenCommand,
  ListImagesCommand,
  PutImageCommand,
  RepositoryNotFoundException,
  paginateDescribeRepositories,
  paginateListImages,
  StartLifecyclePolicyPreviewCommand,
  waitUntilImageScanComplete,
  waitUntilLifecyclePolicyPreviewComplete,
} from '@aws-sdk/client-ecr';
import { operationNames } from '../../src/model/generated/operations.js';
import { loadModel } from '../../src/model/model.js';
import { createInputValidator } from '../../src/model/validate.js';
import { mockEcr, startBerth, type Berth, type EcrMock } from '../../src/index.js';
import { failure } from '../helpers/failure.js';
import { basicAuth, descriptorOf, MEDIA, pushBlob, v2 } from '../helpers/registry.js';
import { commandFor } from './commands.js';
import { buildImage } from './images.js';
import { minimalInput } from './minimal-input.js';
import { normalize, Transcript } from './transcript.js';

// mockEcr() as a test suite uses it: clients with no endpoint, answered by Berth in-process.

const ACCOUNT = '123456789012';
const REGION = 'eu-west-1';
const credentials = { accessKeyId: ACCOUNT, secretAccessKey: 'secret' };
const mockedClient = (options: { accessKeyId?: string; region?: string } = {}) =>
  new ECRClient({ region: options.region ?? REGION, credentials: { ...credentials, accessKeyId: options.accessKeyId ?? ACCOUNT } });

/** A local port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** An SDK input as AWS JSON 1.1 carries it: blobs base64, timestamps epoch seconds. */
function onTheWire(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(onTheWire);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, member]) => [key, onTheWire(member)]));
  return value;
}

/** How one call ended, comparable across transports. */
async function outcomeOf(client: ECRClient, operation: (typeof operationNames)[number]) {
  return client.send(commandFor(operation, minimalInput(operation))).then(
    (output) => ({ operation, status: output.$metadata.httpStatusCode, output: normalize(output) }),
    (error: unknown) => {
      if (!(error instanceof ECRServiceException)) return { operation, notAnAnswer: String(error) };
      return { operation, status: error.$metadata.httpStatusCode, name: error.name, message: normalize(error.message), constructor: error.constructor };
    },
  );
}

describe('every operation of the model', () => {
  test('the inputs sent are valid for the model, so each call reaches its operation', () => {
    const validator = createInputValidator(loadModel());
    for (const operation of operationNames) {
      expect({ operation, ...validator.validate(operation, onTheWire(minimalInput(operation))) }).toMatchObject({ operation, ok: true });
    }
  });

  test('all 62 are answered in-process as over HTTP; the not-built ones with NotImplementedException', async () => {
    expect(operationNames).toHaveLength(62);
    const berth = await startBerth();
    const overHttp = [];
    try {
      const client = new ECRClient({ endpoint: berth.endpoint, region: REGION, credentials, maxAttempts: 1 });
      for (const operation of operationNames) overHttp.push(await outcomeOf(client, operation));
    } finally {
      await berth.stop();
    }

    const mock = await mockEcr();
    const inProcess = [];
    try {
      const client = mockedClient();
      for (const operation of operationNames) inProcess.push(await outcomeOf(client, operation));
    } finally {
      await mock.restore();
    }

    expect(inProcess).toEqual(overHttp);
    for (const outcome of inProcess) {
      expect(outcome).not.toHaveProperty('notAnAnswer');
    }
    const notBuilt = inProcess.filter((outcome) => 'name' in outcome && outcome.name === 'NotImplementedException');
    expect(notBuilt.length).toBeGreaterThan(0);
    for (const outcome of notBuilt) {
      expect(outcome).toMatchObject({ status: 501, message: expect.stringContaining(`${outcome.operation} is not implemented by Berth yet`) });
    }
  });
});

describe('errors', () => {
  let mock: EcrMock;
  beforeEach(async () => {
    mock = await mockEcr();
  });
  afterEach(() => mock.restore());

  test("are the SDK's own modeled classes", async () => {
    const error = await failure(mockedClient().send(new DescribeRepositoriesCommand({ repositoryNames: ['missing'] })));
    expect(error).toBeInstanceOf(RepositoryNotFoundException);
    expect(error).toBeInstanceOf(ECRServiceException);
    expect(error.message).toBe(`The repository with name 'missing' does not exist in the registry with id '${ACCOUNT}'`);
    expect(error.$metadata?.httpStatusCode).toBe(400);
  });

  test('a repository URI names the ECR host of the caller account and region', async () => {
    const { repository } = await mockedClient().send(new CreateRepositoryCommand({ repositoryName: 'team/app' }));
    expect(repository).toMatchObject({
      registryId: ACCOUNT,
      repositoryArn: `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/team/app`,
      repositoryUri: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/team/app`,
    });
    // Another account or region is another registry, as over HTTP.
    await expect(mockedClient({ region: 'us-west-2' }).send(new DescribeRepositoriesCommand({ repositoryNames: ['team/app'] }))).rejects.toBeInstanceOf(
      RepositoryNotFoundException,
    );
    await expect(mockedClient({ accessKeyId: '210987654321' }).send(new DescribeRepositoriesCommand({}))).resolves.toMatchObject({ repositories: [] });
  });
});

describe("send()'s options and callback", () => {
  test('an aborted signal rejects as it does over HTTP, and a callback is called back', async () => {
    const aborted = AbortSignal.abort();
    const berth = await startBerth();
    let overHttp: Error;
    try {
      const client = new ECRClient({ endpoint: berth.endpoint, region: REGION, credentials });
      overHttp = await failure(client.send(new DescribeRepositoriesCommand({}), { abortSignal: aborted }));
    } finally {
      await berth.stop();
    }
    const mock = await mockEcr();
    try {
      const inProcess = await failure(mockedClient().send(new DescribeRepositoriesCommand({}), { abortSignal: aborted }));
      expect(inProcess.name).toBe('AbortError');
      expect({ name: inProcess.name, message: inProcess.message }).toEqual({ name: overHttp.name, message: overHttp.message });

      const answered = await new Promise((resolve, reject) => {
        mockedClient().send(new DescribeRepositoriesCommand({}), (error: unknown, data?: unknown) => (error ? reject(error) : resolve(data)));
      });
      expect(answered).toMatchObject({ repositories: [] });
    } finally {
      await mock.restore();
    }
  });
});

describe('pagination helpers and waiters', () => {
  let mock: EcrMock;
  beforeAll(async () => {
    mock = await mockEcr();
  });
  afterAll(() => mock.restore());

  test('paginateDescribeRepositories follows nextToken through every page', async () => {
    const client = mockedClient({ region: 'ap-south-1' });
    const names = ['pages/a', 'pages/b', 'pages/c', 'pages/d', 'pages/e'];
    for (const repositoryName of names) await client.send(new CreateRepositoryCommand({ repositoryName }));
    const pages: string[][] = [];
    for await (const page of paginateDescribeRepositories({ client, pageSize: 2 }, {})) {
      pages.push((page.repositories ?? []).map((repository) => repository.repositoryName!));
    }
    expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
    expect(pages.flat().sort()).toEqual(names);
  });

  test('paginateListImages lists every image of a repository', async () => {
    const client = mockedClient({ region: 'ap-south-2' });
    const repositoryName = 'pages/images';
    await client.send(new CreateRepositoryCommand({ repositoryName }));
    const transcript = new Transcript(client);
    const tags = ['t1', 't2', 't3'];
    const digests: string[] = [];
    for (const tag of tags) {
      const image = await buildImage(transcript, repositoryName, tag);
      await client.send(new PutImageCommand({ repositoryName, imageManifest: image.manifest, imageTag: tag }));
      digests.push(image.digest);
    }
    const pageSizes: number[] = [];
    const seen: Array<{ imageDigest?: string; imageTag?: string }> = [];
    for await (const page of paginateListImages({ client, pageSize: 1 }, { repositoryName })) {
      pageSizes.push(page.imageIds?.length ?? 0);
      seen.push(...(page.imageIds ?? []));
    }
    expect(pageSizes).toEqual([1, 1, 1]);
    const sortByTag = (ids: typeof seen) => [...ids].sort((a, b) => a.imageTag!.localeCompare(b.imageTag!));
    expect(sortByTag(seen)).toEqual(tags.map((imageTag, i) => ({ imageTag, imageDigest: digests[i] })));
  });

  test("the SDK's waiters call through to Berth: a preview completes, a scan of a missing image is refused", async () => {
    const client = mockedClient();
    const repositoryName = 'waiters/app';
    await client.send(new CreateRepositoryCommand({ repositoryName }));
    const lifecyclePolicyText = JSON.stringify({
      rules: [{ rulePriority: 1, selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 5 }, action: { type: 'expire' } }],
    });
    await client.send(new StartLifecyclePolicyPreviewCommand({ repositoryName, lifecyclePolicyText }));
    const preview = await waitUntilLifecyclePolicyPreviewComplete({ client, maxWaitTime: 10, minDelay: 1, maxDelay: 1 }, { repositoryName });
    expect(preview.state).toBe('SUCCESS');
    // The scan waiter polls DescribeImageScanFindings, whose ImageNotFoundException it cannot wait out.
    const scan = await failure(
      waitUntilImageScanComplete({ client, maxWaitTime: 3, minDelay: 1, maxDelay: 1 }, { repositoryName, imageId: { imageTag: 'latest' } }),
    );
    expect(scan.message).toMatch(/ImageNotFoundException|does not exist/);
  });
});

describe('restore()', () => {
  test('puts the real send back: clients reach their endpoint (or AWS) again', async () => {
    const realSend = ECRClient.prototype.send;
    const port = await closedPort();
    const pointedAtNothing = new ECRClient({ endpoint: `http://127.0.0.1:${port}`, region: REGION, credentials, maxAttempts: 1 });
    const hostsAsked: string[] = [];
    const noEndpoint = new ECRClient({
      region: REGION,
      credentials,
      maxAttempts: 1,
      // Records where the real transport would go, and goes nowhere.
      requestHandler: {
        handle: async (request: { hostname: string }) => {
          hostsAsked.push(request.hostname);
          throw new Error('offline');
        },
      },
    });

    const mock = await mockEcr();
    expect(ECRClient.prototype.send).not.toBe(realSend);
    // While mocked, both are answered by Berth, endpoint or not.
    await expect(pointedAtNothing.send(new DescribeRepositoriesCommand({}))).resolves.toMatchObject({ repositories: [] });
    await expect(noEndpoint.send(new DescribeRepositoriesCommand({}))).resolves.toMatchObject({ repositories: [] });
    expect(hostsAsked).toEqual([]);

    await mock.restore();
    await mock.restore(); // idempotent
    expect(ECRClient.prototype.send).toBe(realSend);
    const refused = await failure(pointedAtNothing.send(new DescribeRepositoriesCommand({})));
    expect(refused).not.toBeInstanceOf(ECRServiceException);
    expect(refused.message).toMatch(/ECONNREFUSED/);
    const offline = await failure(noEndpoint.send(new DescribeRepositoriesCommand({})));
    expect(offline.message).toBe('offline');
    expect(hostsAsked).toEqual([`api.ecr.${REGION}.amazonaws.com`]);
  });

  test('two mocks in sequence do not share state; reset() empties one', async () => {
    const first = await mockEcr();
    try {
      await mockedClient().send(new CreateRepositoryCommand({ repositoryName: 'sequence/app' }));
      await expect(mockedClient().send(new DescribeRepositoriesCommand({}))).resolves.toMatchObject({ repositories: [expect.objectContaining({ repositoryName: 'sequence/app' })] });
    } finally {
      await first.restore();
    }
    const second = await mockEcr();
    try {
      await expect(mockedClient().send(new DescribeRepositoriesCommand({}))).resolves.toMatchObject({ repositories: [] });
      // The name is free again in the new engine.
      await mockedClient().send(new CreateRepositoryCommand({ repositoryName: 'sequence/app' }));
      await second.reset();
      await expect(mockedClient().send(new DescribeRepositoriesCommand({}))).resolves.toMatchObject({ repositories: [] });
    } finally {
      await second.restore();
    }
  });
});

describe('mockEcr({ berth }) shares the server state', () => {
  let berth: Berth;
  let mock: EcrMock;
  beforeEach(async () => {
    berth = await startBerth();
    mock = await mockEcr({ berth });
  });
  afterEach(async () => {
    await mock.restore();
    await berth.stop();
  });

  /** Pushes a one-layer image with plain fetch to berth's /v2; resolves with its digest. */
  async function pushOverV2(name: string, tag: string, headers: Record<string, string>): Promise<string> {
    const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
    const layer = Buffer.from(`layer for ${name}`);
    await pushBlob(berth, name, config, headers);
    await pushBlob(berth, name, layer, headers);
    const manifest = JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.dockerManifest,
      config: descriptorOf(MEDIA.dockerConfig, config),
      layers: [descriptorOf(MEDIA.dockerLayer, layer)],
    });
    const reply = await v2(berth, 'PUT', `/v2/${name}/manifests/${tag}`, { headers: { 'Content-Type': MEDIA.dockerManifest, ...headers }, body: manifest });
    expect(reply.status).toBe(201);
    return reply.headers.get('docker-content-digest')!;
  }

  test('a repository created through the mocked SDK takes a push to /v2 with its token, in the caller account and region', async () => {
    const client = mockedClient();
    const { repository } = await client.send(new CreateRepositoryCommand({ repositoryName: 'shared/app' }));
    // The server's host, not an ECR host: the repository is pushable where the URI says.
    expect(repository?.repositoryUri).toBe(`${berth.registryHost}/shared/app`);
    expect(repository?.registryId).toBe(ACCOUNT);

    const { authorizationData } = await client.send(new GetAuthorizationTokenCommand({}));
    const [user, password] = Buffer.from(authorizationData![0].authorizationToken!, 'base64').toString('utf8').split(':');
    expect(user).toBe('AWS');
    const digest = await pushOverV2('shared/app', 'v1', { Authorization: basicAuth(password) });

    const { imageDetails } = await client.send(new DescribeImagesCommand({ repositoryName: 'shared/app' }));
    expect(imageDetails).toEqual([expect.objectContaining({ registryId: ACCOUNT, imageDigest: digest, imageTags: ['v1'] })]);
    // Another region of the same account does not see it.
    await expect(mockedClient({ region: 'us-east-1' }).send(new DescribeImagesCommand({ repositoryName: 'shared/app' }))).rejects.toBeInstanceOf(
      RepositoryNotFoundException,
    );

    // Over HTTP (once the mock is gone), the same caller sees the same state and the same token endpoint.
    const proxyEndpoint = authorizationData![0].proxyEndpoint;
    await mock.restore();
    const overHttp = new ECRClient({ endpoint: berth.endpoint, region: REGION, credentials });
    await expect(overHttp.send(new DescribeImagesCommand({ repositoryName: 'shared/app' }))).resolves.toMatchObject({
      imageDetails: [expect.objectContaining({ imageDigest: digest, imageTags: ['v1'] })],
    });
    const overHttpToken = await overHttp.send(new GetAuthorizationTokenCommand({}));
    expect(overHttpToken.authorizationData![0].proxyEndpoint).toBe(proxyEndpoint);
  });

  test('a caller without an account-id access key uses the default account, which anonymous /v2 pushes reach', async () => {
    const client = mockedClient({ accessKeyId: 'AKIDEXAMPLE', region: 'us-east-1' });
    const { repository } = await client.send(new CreateRepositoryCommand({ repositoryName: 'anonymous/app' }));
    expect(repository?.registryId).toBe('000000000000');
    const digest = await pushOverV2('anonymous/app', 'latest', {});
    const { imageIds } = await client.send(new ListImagesCommand({ repositoryName: 'anonymous/app' }));
    expect(imageIds).toEqual([{ imageDigest: digest, imageTag: 'latest' }]);
  });

  test("the mock's reset() empties the server too", async () => {
    await mockedClient({ accessKeyId: 'AKIDEXAMPLE', region: 'us-east-1' }).send(new CreateRepositoryCommand({ repositoryName: 'reset/app' }));
    await pushOverV2('reset/app', 'v1', {});
    await mock.reset();
    await expect(mockedClient({ accessKeyId: 'AKIDEXAMPLE', region: 'us-east-1' }).send(new DescribeRepositoriesCommand({}))).resolves.toMatchObject({
      repositories: [],
    });
    expect((await v2(berth, 'GET', '/v2/reset/app/tags/list')).status).toBe(404);
  });
});
