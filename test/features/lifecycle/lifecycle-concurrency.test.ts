// Lifecycle runs racing other writers on the same repositories: pushes and tag moves through
// /v2, DeleteRepository --force and DeleteLifecyclePolicy. No request may fail with a 5xx or hang, and afterwards the
// store must be consistent: every tag entry names an existing image whose record lists the tag
// (and the reverse), and no kept index references an image that was expired.
import {
  DeleteRepositoryCommand,
  GetLifecyclePolicyCommand,
  LifecyclePolicyNotFoundException,
  PutLifecyclePolicyCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { applyLifecyclePolicy } from '../../../src/features/lifecycle/run.js';
import { repositoryEntriesPrefix, repositoryKey } from '../../../src/store/keys.js';
import {
  MEDIA,
  createRepository,
  descriptorOf,
  ociIndex,
  pushImage,
  putManifest,
  uniqueName,
  type PushedImage,
} from '../../helpers/registry.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

const ACCOUNT = '123456789012';
const REGION = 'us-east-1';

let server: TestServer;
let client: ECRClient;

beforeAll(async () => {
  server = await startTestServer({ lifecycleIntervalMs: 0, accountId: ACCOUNT, region: REGION });
  client = server.client({ accountId: ACCOUNT, region: REGION });
});
afterAll(async () => {
  await server.close();
});

const scope = { accountId: ACCOUNT, region: REGION };
const KEEP_ONE = JSON.stringify({
  rules: [{ rulePriority: 1, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } }],
});

/** Fails (instead of hanging the suite) when `work` has not settled within `ms`. */
async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms (deadlock?)`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function runLifecycle(): Promise<number> {
  const response = await fetch(`${server.endpoint}/_berth/lifecycle/run`, { method: 'POST', headers: { 'Content-Type': 'application/json' } });
  await response.arrayBuffer();
  return response.status;
}

/** The repository's tags and images as stored, checked against each other. */
async function expectConsistent(repositoryName: string): Promise<{ images: number; tags: number }> {
  const prefix = repositoryEntriesPrefix(scope, repositoryName);
  const images = new Map((await server.store.tables.images.list(prefix)).map(([, image]) => [image.digest, image]));
  const tags = (await server.store.tables.tags.list(prefix)).map(([key, tag]) => ({ tag: key.slice(prefix.length), digest: tag.digest }));
  const problems: string[] = [];
  for (const { tag, digest } of tags) {
    const image = images.get(digest);
    if (!image) problems.push(`tag ${tag} names ${digest}, which is not stored`);
    else if (!image.tags.includes(tag)) problems.push(`tag ${tag} names ${digest}, whose record lists ${JSON.stringify(image.tags)}`);
  }
  for (const image of images.values()) {
    for (const tag of image.tags) {
      if (!tags.some((entry) => entry.tag === tag && entry.digest === image.digest)) problems.push(`${image.digest} lists tag ${tag}, which names another image or none`);
    }
    for (const child of image.manifests) {
      if (!images.has(child)) problems.push(`index ${image.digest} references ${child}, which is not stored`);
    }
    if (!(await server.store.tables.manifests.get(`${prefix}${image.digest}`))) problems.push(`${image.digest} has no manifest bytes`);
  }
  expect(problems).toEqual([]);
  return { images: images.size, tags: tags.length };
}

test('pushes, tag moves and index pushes through /v2 while lifecycle runs repeatedly: no 5xx, no dangling tags', async () => {
  const name = await createRepository(server, uniqueName('race-push'), {}, scope);
  // Keeps few images, so runs expire while pushes land; tags move between images all the time.
  await client.send(
    new PutLifecyclePolicyCommand({
      repositoryName: name,
      lifecyclePolicyText: JSON.stringify({
        rules: [
          { rulePriority: 1, selection: { tagStatus: 'tagged', tagPrefixList: ['keep'], countType: 'imageCountMoreThan', countNumber: 2 }, action: { type: 'expire' } },
          { rulePriority: 2, selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } },
          { rulePriority: 3, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 3 }, action: { type: 'expire' } },
        ],
      }),
    }),
  );

  const statuses: number[] = [];
  let pushing = true;
  const pusher = (async () => {
    const tags = ['latest', 'keep-a', 'keep-b', 'keep-c', 'dev', undefined];
    try {
      for (let i = 0; i < 36; i++) {
        const tag = tags[i % tags.length];
        const image: PushedImage = await pushImage(server, name, { tag, seed: `${name}-${i}`, layerCount: 1 });
        statuses.push(201);
        // Every third image also gets an index over it and the previous one (which a run may have
        // expired meanwhile: then the index is refused with a 4xx, never a 5xx).
        if (i % 3 === 2) {
          const index = ociIndex([image.descriptor, descriptorOf(MEDIA.ociManifest, Buffer.from(`${name}-missing-${i}`))].slice(0, 1 + (i % 2)));
          const reply = await putManifest(server, name, i % 2 ? 'keep-index' : `index-${i}`, index, MEDIA.ociIndex);
          statuses.push(reply.status);
        }
      }
    } finally {
      pushing = false;
    }
  })();
  const runner = (async () => {
    let runs = 0;
    while (pushing || runs < 3) {
      statuses.push(await runLifecycle());
      runs++;
    }
    return runs;
  })();
  const [, runs] = await within(12_000, 'pushes racing lifecycle runs', Promise.all([pusher, runner]));
  expect(runs).toBeGreaterThanOrEqual(3);
  expect(statuses.filter((status) => status >= 500)).toEqual([]);
  const state = await expectConsistent(name);
  // The last runs came after the last push: the policy's bound holds.
  expect(state.images).toBeLessThanOrEqual(6);
  expect(state.tags).toBeGreaterThan(0);
}, 15_000);

test('a lifecycle run and DeleteRepository --force on the same repository, in either order, both finish', async () => {
  // Deterministic: the lock each side asks for first is registered synchronously, so starting
  // the run and then the delete (and the reverse) fixes who holds what first. With the run
  // holding the images lock and then asking for the repository lock (the reverse of
  // DeleteRepository's order), the first ordering deadlocked.
  const deps = { store: server.store, clock: server.clock };
  for (const runFirst of [true, false]) {
    const name = await createRepository(server, uniqueName('race-delete'), {}, scope);
    for (let j = 0; j < 3; j++) await pushImage(server, name, { tag: `t${j}`, seed: `${name}-${j}`, layerCount: 1 });
    await client.send(new PutLifecyclePolicyCommand({ repositoryName: name, lifecyclePolicyText: KEEP_ONE }));
    const deleteRepository = () =>
      server.engine.invokeApi({
        target: 'AmazonEC2ContainerRegistry_V20150921.DeleteRepository',
        body: Buffer.from(JSON.stringify({ repositoryName: name, force: true })),
        authorization: undefined,
        host: undefined,
      });
    const [applied, deleted] = runFirst
      ? await within(3_000, 'run, then delete', Promise.all([applyLifecyclePolicy(deps, scope, name), deleteRepository()]))
      : await within(3_000, 'delete, then run', Promise.all([deleteRepository(), applyLifecyclePolicy(deps, scope, name)]).then(([d, a]) => [a, d] as const));
    expect(deleted.status).toBe(200);
    // Run first: it expired two of the three images; delete first: nothing was left to evaluate.
    if (runFirst) expect(applied?.map((outcome) => outcome.action)).toEqual(['EXPIRE', 'EXPIRE']);
    else expect(applied).toBeUndefined();
    expect(await server.store.tables.repositories.get(repositoryKey(scope, name))).toBeUndefined();
    expect(await server.store.tables.images.list(repositoryEntriesPrefix(scope, name))).toEqual([]);
    expect(await server.store.tables.tags.list(repositoryEntriesPrefix(scope, name))).toEqual([]);
  }
});

test('over HTTP: forced deletes landing during a run leave no entries behind and later runs still work', async () => {
  for (let round = 0; round < 6; round++) {
    const names: string[] = [];
    for (let i = 0; i < 4; i++) {
      const name = await createRepository(server, uniqueName(`race-delete-${round}`), {}, scope);
      for (let j = 0; j < 3; j++) await pushImage(server, name, { tag: `t${j}`, seed: `${name}-${j}`, layerCount: 1 });
      await client.send(new PutLifecyclePolicyCommand({ repositoryName: name, lifecyclePolicyText: KEEP_ONE }));
      names.push(name);
    }
    // The run walks the repositories one by one; the deletes land while it is in one of them.
    const run = runLifecycle();
    const deletes = names.map(async (name, i) => {
      await new Promise((resolve) => setTimeout(resolve, i * (round % 3)));
      await client.send(new DeleteRepositoryCommand({ repositoryName: name, force: true }));
    });
    const [status] = await within(5_000, `round ${round}: lifecycle run racing DeleteRepository`, Promise.all([run, ...deletes]));
    expect(status).toBe(200);
    for (const name of names) {
      expect(await server.store.tables.repositories.get(repositoryKey(scope, name))).toBeUndefined();
      expect(await server.store.tables.images.list(repositoryEntriesPrefix(scope, name))).toEqual([]);
      expect(await server.store.tables.tags.list(repositoryEntriesPrefix(scope, name))).toEqual([]);
    }
  }
  // A stuck run would queue every later one behind it.
  expect(await within(3_000, 'a later lifecycle run', runLifecycle())).toBe(200);
}, 15_000);

test('a policy deleted after the run listed the repository is not applied', async () => {
  const name = await createRepository(server, uniqueName('race-policy'), {}, scope);
  for (let j = 0; j < 3; j++) await pushImage(server, name, { tag: `t${j}`, seed: `${name}-${j}`, layerCount: 1 });
  await client.send(new PutLifecyclePolicyCommand({ repositoryName: name, lifecyclePolicyText: KEEP_ONE }));
  // The delete asks for the repository lock first (synchronously, through the in-process API);
  // the evaluation waits for it and then finds no policy, instead of applying the text the run
  // listed.
  const deleted = server.engine.invokeApi({
    target: 'AmazonEC2ContainerRegistry_V20150921.DeleteLifecyclePolicy',
    body: Buffer.from(JSON.stringify({ repositoryName: name })),
    authorization: undefined,
    host: undefined,
  });
  const applied = await applyLifecyclePolicy({ store: server.store, clock: server.clock }, scope, name);
  expect((await deleted).status).toBe(200);
  expect(applied).toBeUndefined();
  await expect(client.send(new GetLifecyclePolicyCommand({ repositoryName: name }))).rejects.toThrow(LifecyclePolicyNotFoundException);
  expect(await server.store.tables.images.list(repositoryEntriesPrefix(scope, name))).toHaveLength(3);
});
