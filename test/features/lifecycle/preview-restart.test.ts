// A lifecycle policy preview is evaluated in the background of the process that started it.
// When that process stops first (crash, restart), the stored preview stays IN_PROGRESS; the
// next process must finish it on GetLifecyclePolicyPreview and must not refuse a new
// StartLifecyclePolicyPreview with LifecyclePolicyPreviewInProgressException for ever.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetLifecyclePolicyPreviewCommand,
  StartLifecyclePolicyPreviewCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { lifecyclePreviewKey } from '../../../src/store/keys.js';
import { createRepository, pushImage, uniqueName } from '../../helpers/registry.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

const KEEP_ONE = JSON.stringify({
  rules: [{ rulePriority: 1, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } }],
});

let dataDir: string;
const servers: TestServer[] = [];
const start = async (): Promise<TestServer> => {
  const server = await startTestServer({ ephemeral: false, dataDir, lifecycleIntervalMs: 0 });
  servers.push(server);
  return server;
};

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'berth-preview-restart-'));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
  rmSync(dataDir, { recursive: true, force: true });
});

async function settled(client: ECRClient, repositoryName: string) {
  for (let attempt = 0; attempt < 200; attempt++) {
    const preview = await client.send(new GetLifecyclePolicyPreviewCommand({ repositoryName }));
    if (preview.status !== 'IN_PROGRESS') return preview;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error('the preview stayed IN_PROGRESS');
}

/** A repository with three images and a preview stored IN_PROGRESS, as a process that stopped mid-preview leaves it. */
async function interruptedPreview(): Promise<{ name: string; server: TestServer }> {
  const first = await start();
  const name = await createRepository(first, uniqueName('preview-restart'));
  for (const tag of ['a', 'b', 'c']) await pushImage(first, name, { tag, seed: `${name}-${tag}`, layerCount: 1 });
  const key = lifecyclePreviewKey({ accountId: first.engine.config.accountId, region: first.engine.config.region }, name);
  await first.store.write((batch) => batch.put('lifecyclePreviews', key, { status: 'IN_PROGRESS', policyText: KEEP_ONE, startedAt: Date.now(), results: [] }));
  await first.close();
  servers.splice(servers.indexOf(first), 1);
  return { name, server: await start() };
}

test('after a restart, GetLifecyclePolicyPreview finishes the interrupted preview', async () => {
  const { name, server } = await interruptedPreview();
  const preview = await settled(server.client(), name);
  expect(preview.status).toBe('COMPLETE');
  expect(preview.lifecyclePolicyText).toBe(KEEP_ONE);
  expect(preview.previewResults).toHaveLength(2);
  expect(preview.summary?.expiringImageTotalCount).toBe(2);
});

test('after a restart, StartLifecyclePolicyPreview replaces the interrupted preview instead of answering in-progress', async () => {
  const { name, server } = await interruptedPreview();
  const client = server.client();
  const keepTwo = KEEP_ONE.replace('"countNumber":1', '"countNumber":2');
  const started = await client.send(new StartLifecyclePolicyPreviewCommand({ repositoryName: name, lifecyclePolicyText: keepTwo }));
  expect(started.status).toBe('IN_PROGRESS');
  const preview = await settled(client, name);
  expect(preview.status).toBe('COMPLETE');
  expect(preview.lifecyclePolicyText).toBe(keepTwo);
  expect(preview.previewResults).toHaveLength(1);
});

test('a preview this process is still evaluating refuses a second start with LifecyclePolicyPreviewInProgressException', async () => {
  const server = await start();
  const name = await createRepository(server, uniqueName('preview-busy'));
  for (const tag of ['a', 'b']) await pushImage(server, name, { tag, seed: `${name}-${tag}`, layerCount: 1 });
  // Both calls enter the pipeline at once (in process, no HTTP): the second takes the preview's
  // lock right after the first has stored IN_PROGRESS, before the background evaluation (queued
  // with setImmediate) has stored its outcome.
  const startPreview = () =>
    server.engine.invokeApi({
      target: 'AmazonEC2ContainerRegistry_V20150921.StartLifecyclePolicyPreview',
      body: Buffer.from(JSON.stringify({ repositoryName: name, lifecyclePolicyText: KEEP_ONE })),
      authorization: undefined,
      host: undefined,
    });
  const [first, second] = await Promise.all([startPreview(), startPreview()]);
  expect(first.status).toBe(200);
  expect({ status: second.status, type: (JSON.parse(second.body) as { __type: string }).__type }).toEqual({
    status: 400,
    type: 'LifecyclePolicyPreviewInProgressException',
  });
  expect((await settled(server.client(), name)).previewResults).toHaveLength(1);
});
