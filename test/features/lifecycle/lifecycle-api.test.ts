// Lifecycle policies through the AWS SDK over HTTP, with images pushed through /v2: put, get,
// delete, preview, and runs on Berth's movable clock, checked against DescribeImages and pulls.
import {
  BatchGetImageCommand,
  DeleteLifecyclePolicyCommand,
  DescribeImagesCommand,
  GetLifecyclePolicyCommand,
  GetLifecyclePolicyPreviewCommand,
  ImageNotFoundException,
  ImageStorageClassUpdateNotSupportedException,
  LifecyclePolicyNotFoundException,
  LifecyclePolicyPreviewNotFoundException,
  PutLifecyclePolicyCommand,
  RepositoryNotFoundException,
  StartLifecyclePolicyPreviewCommand,
  UpdateImageStorageClassCommand,
  waitUntilLifecyclePolicyPreviewComplete,
  type ECRClient,
  type ImageDetail,
} from '@aws-sdk/client-ecr';
import { createRepository, pushImage, uniqueName, v2, type PushedImage } from '../../helpers/registry.js';
import { startTestServer, type TestServer } from '../../helpers/server.js';

const DAY = 24 * 60 * 60;

let server: TestServer;
let client: ECRClient;

beforeAll(async () => {
  // No scheduled runs: the tests decide when lifecycle runs.
  server = await startTestServer({ lifecycleIntervalMs: 0 });
  client = server.client();
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  server.clock.setOffsetSeconds(0);
});

const policy = (...rules: object[]): string => JSON.stringify({ rules });
const expireUntaggedAfterDays = (days: number, priority = 1) => ({
  rulePriority: priority,
  description: `untagged older than ${days} days`,
  selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: days },
  action: { type: 'expire' },
});
const keepNewest = (prefix: string, count: number, priority: number) => ({
  rulePriority: priority,
  selection: { tagStatus: 'tagged', tagPrefixList: [prefix], countType: 'imageCountMoreThan', countNumber: count },
  action: { type: 'expire' },
});

/** Pushes an image `daysAgo` days before the real now (Berth's clock moved back while it is pushed). */
async function pushAged(repository: string, daysAgo: number, tag?: string): Promise<PushedImage> {
  server.clock.setOffsetSeconds(-daysAgo * DAY);
  try {
    return await pushImage(server, repository, { tag, seed: `${repository}-${tag ?? 'untagged'}-${daysAgo}` });
  } finally {
    server.clock.setOffsetSeconds(0);
  }
}

interface RunOutcome {
  repositoryName: string;
  imageDigest: string;
  appliedRulePriority: number;
}

async function runLifecycle(): Promise<{ expired: RunOutcome[]; transitioned: RunOutcome[] }> {
  const response = await fetch(`${server.endpoint}/_berth/lifecycle/run`, { method: 'POST', headers: { 'Content-Type': 'application/json' } });
  expect(response.status).toBe(200);
  return (await response.json()) as { expired: RunOutcome[]; transitioned: RunOutcome[] };
}

async function describeAll(repositoryName: string, imageStatus?: 'ACTIVE' | 'ARCHIVED' | 'ANY'): Promise<ImageDetail[]> {
  const out = await client.send(new DescribeImagesCommand({ repositoryName, ...(imageStatus ? { filter: { imageStatus } } : {}) }));
  return out.imageDetails ?? [];
}

const digestsOf = (details: Array<{ imageDigest?: string }>): string[] => details.map((detail) => detail.imageDigest!).sort();

async function completedPreview(repositoryName: string) {
  await waitUntilLifecyclePolicyPreviewComplete({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { repositoryName });
  return client.send(new GetLifecyclePolicyPreviewCommand({ repositoryName }));
}

describe('PutLifecyclePolicy / GetLifecyclePolicy / DeleteLifecyclePolicy', () => {
  test('a policy is stored as given, read back, and deleted with its text returned', async () => {
    const name = uniqueName('lc-crud');
    await createRepository(server, name);
    const text = policy(expireUntaggedAfterDays(7));
    const put = await client.send(new PutLifecyclePolicyCommand({ repositoryName: name, lifecyclePolicyText: text }));
    expect(put).toMatchObject({ registryId: '000000000000', repositoryName: name, lifecyclePolicyText: text });

    const got = await client.send(new GetLifecyclePolicyCommand({ repositoryName: name }));
    expect(got).toMatchObject({ registryId: '000000000000', repositoryName: name, lifecyclePolicyText: text });
    expect(got.lastEvaluatedAt).toBeUndefined();

    await runLifecycle();
    const evaluated = await client.send(new GetLifecyclePolicyCommand({ repositoryName: name }));
    expect(evaluated.lastEvaluatedAt).toBeInstanceOf(Date);

    const deleted = await client.send(new DeleteLifecyclePolicyCommand({ repositoryName: name }));
    expect(deleted).toMatchObject({ repositoryName: name, lifecyclePolicyText: text });
    await expect(client.send(new GetLifecyclePolicyCommand({ repositoryName: name }))).rejects.toBeInstanceOf(LifecyclePolicyNotFoundException);
    await expect(client.send(new DeleteLifecyclePolicyCommand({ repositoryName: name }))).rejects.toThrow(
      `Lifecycle policy does not exist for the repository with name '${name}' in the registry with id '000000000000'`,
    );
  });

  test('a missing repository is RepositoryNotFoundException for every lifecycle action', async () => {
    const text = policy(expireUntaggedAfterDays(1));
    const repositoryName = 'lc-missing';
    for (const call of [
      () => client.send(new PutLifecyclePolicyCommand({ repositoryName, lifecyclePolicyText: text })),
      () => client.send(new GetLifecyclePolicyCommand({ repositoryName })),
      () => client.send(new DeleteLifecyclePolicyCommand({ repositoryName })),
      () => client.send(new StartLifecyclePolicyPreviewCommand({ repositoryName, lifecyclePolicyText: text })),
      () => client.send(new GetLifecyclePolicyPreviewCommand({ repositoryName })),
    ]) {
      await expect(call()).rejects.toBeInstanceOf(RepositoryNotFoundException);
    }
  });

  test.each([
    // The model wants at least 100 characters; JSON whitespace pads the short ones.
    ['malformed JSON', '{"rules": ['.padEnd(120, ' ')],
    ['no rules', '{"rules": []}'.padEnd(120, ' ')],
    ['an any rule before another rule', policy({ ...expireUntaggedAfterDays(1, 2) }, { rulePriority: 1, selection: { tagStatus: 'any', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } })],
    ['a tagged rule without prefix or pattern', policy({ rulePriority: 1, selection: { tagStatus: 'tagged', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } })],
    ['countUnit with imageCountMoreThan', policy({ rulePriority: 1, selection: { tagStatus: 'untagged', countType: 'imageCountMoreThan', countUnit: 'days', countNumber: 1 }, action: { type: 'expire' } })],
    ['duplicate rulePriority', policy(expireUntaggedAfterDays(1, 1), keepNewest('v', 1, 1))],
    ['a pattern with five wildcards', policy({ rulePriority: 1, selection: { tagStatus: 'tagged', tagPatternList: ['a*b*c*d*e*f'], countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } })],
    ['countNumber 0', policy({ ...expireUntaggedAfterDays(1), selection: { ...expireUntaggedAfterDays(1).selection, countNumber: 0 } })],
  ])('%s is InvalidParameterException and the stored policy stays', async (_what, bad) => {
    const name = uniqueName('lc-bad');
    await createRepository(server, name);
    const good = policy(expireUntaggedAfterDays(3));
    await client.send(new PutLifecyclePolicyCommand({ repositoryName: name, lifecyclePolicyText: good }));
    const error = await client.send(new PutLifecyclePolicyCommand({ repositoryName: name, lifecyclePolicyText: bad })).then(
      () => undefined,
      (thrown: Error) => thrown,
    );
    expect(error?.name).toBe('InvalidParameterException');
    expect(error?.message).toMatch(/^Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: /);
    expect((await client.send(new GetLifecyclePolicyCommand({ repositoryName: name }))).lifecyclePolicyText).toBe(good);
    await expect(client.send(new StartLifecyclePolicyPreviewCommand({ repositoryName: name, lifecyclePolicyText: bad }))).rejects.toMatchObject({
      name: 'InvalidParameterException',
    });
  });
});

describe('preview, then a run on an advanced clock', () => {
  test('the run expires exactly the previewed images: from DescribeImages and from /v2; the rest still pull', async () => {
    const name = uniqueName('lc-run');
    await createRepository(server, name);
    const oldUntagged = await pushAged(name, 10);
    const newUntagged = await pushAged(name, 1);
    const releases: PushedImage[] = [];
    for (let age = 5; age >= 1; age -= 1) releases.push(await pushAged(name, age, `release-${age}`));
    const dev = await pushAged(name, 9, 'dev-1');

    const text = policy(expireUntaggedAfterDays(7, 1), keepNewest('release', 2, 2));
    await expect(client.send(new StartLifecyclePolicyPreviewCommand({ repositoryName: name }))).rejects.toBeInstanceOf(LifecyclePolicyNotFoundException);
    await expect(client.send(new GetLifecyclePolicyPreviewCommand({ repositoryName: name }))).rejects.toBeInstanceOf(LifecyclePolicyPreviewNotFoundException);
    await client.send(new PutLifecyclePolicyCommand({ repositoryName: name, lifecyclePolicyText: text }));

    const started = await client.send(new StartLifecyclePolicyPreviewCommand({ repositoryName: name }));
    expect(started).toMatchObject({ repositoryName: name, lifecyclePolicyText: text, status: 'IN_PROGRESS' });
    const preview = await completedPreview(name);
    expect(preview.status).toBe('COMPLETE');
    // release-5, -4, -3 are beyond the newest two; the 10-day-old untagged image is past 7 days.
    const expected = [oldUntagged.digest, releases[0].digest, releases[1].digest, releases[2].digest].sort();
    expect(digestsOf(preview.previewResults ?? [])).toEqual(expected);
    expect(preview.summary).toEqual({ expiringImageTotalCount: 4 });
    const untaggedResult = preview.previewResults!.find((result) => result.imageDigest === oldUntagged.digest)!;
    expect(untaggedResult).toMatchObject({ action: { type: 'EXPIRE' }, appliedRulePriority: 1, storageClass: 'STANDARD' });
    expect(untaggedResult.imageTags).toBeUndefined();
    expect(preview.previewResults!.find((result) => result.imageDigest === releases[0].digest)).toMatchObject({
      imageTags: ['release-5'],
      appliedRulePriority: 2,
    });
    const tagged = await client.send(new GetLifecyclePolicyPreviewCommand({ repositoryName: name, filter: { tagStatus: 'TAGGED' } }));
    expect(tagged.previewResults).toHaveLength(3);
    const firstPage = await client.send(new GetLifecyclePolicyPreviewCommand({ repositoryName: name, maxResults: 3 }));
    expect(firstPage.previewResults).toHaveLength(3);
    const secondPage = await client.send(new GetLifecyclePolicyPreviewCommand({ repositoryName: name, maxResults: 3, nextToken: firstPage.nextToken }));
    expect(secondPage.nextToken).toBeUndefined();
    expect(digestsOf([...firstPage.previewResults!, ...secondPage.previewResults!])).toEqual(expected);

    // A real run now acts on exactly those.
    const report = await runLifecycle();
    expect(digestsOf(report.expired.filter((outcome) => outcome.repositoryName === name))).toEqual(expected);
    const remaining = digestsOf(await describeAll(name));
    expect(remaining).toEqual([newUntagged.digest, releases[3].digest, releases[4].digest, dev.digest].sort());
    for (const gone of expected) expect((await v2(server, 'GET', `/v2/${name}/manifests/${gone}`)).status).toBe(404);
    for (const kept of remaining) expect((await v2(server, 'GET', `/v2/${name}/manifests/${kept}`)).status).toBe(200);
    // The expired images' layers are now unreferenced: the collector removes them, and only them.
    const gc = await fetch(`${server.endpoint}/_berth/gc?graceSeconds=0`, { method: 'POST', headers: { 'Content-Type': 'application/json' } });
    expect(((await gc.json()) as { linksRemoved: number }).linksRemoved).toBeGreaterThanOrEqual(4 * 3);
    const expiredLayer = oldUntagged.layers[0].digest;
    expect((await v2(server, 'HEAD', `/v2/${name}/blobs/${expiredLayer}`)).status).toBe(404);
    expect((await v2(server, 'HEAD', `/v2/${name}/blobs/${releases[4].layers[0].digest}`)).status).toBe(200);

    // Six more days: the 1-day-old untagged image is now past 7 days.
    server.clock.setOffsetSeconds(6 * DAY + 60);
    const later = await runLifecycle();
    expect(later.expired.map((outcome) => outcome.imageDigest)).toEqual([newUntagged.digest]);
  });

  test('an ad-hoc preview text is evaluated without changing the stored policy', async () => {
    const name = uniqueName('lc-adhoc');
    await createRepository(server, name);
    const image = await pushAged(name, 3);
    const stored = policy(expireUntaggedAfterDays(30));
    await client.send(new PutLifecyclePolicyCommand({ repositoryName: name, lifecyclePolicyText: stored }));
    const adhoc = policy(expireUntaggedAfterDays(2));
    await client.send(new StartLifecyclePolicyPreviewCommand({ repositoryName: name, lifecyclePolicyText: adhoc }));
    const preview = await completedPreview(name);
    expect(preview.lifecyclePolicyText).toBe(adhoc);
    expect(digestsOf(preview.previewResults!)).toEqual([image.digest]);
    expect((await client.send(new GetLifecyclePolicyCommand({ repositoryName: name }))).lifecyclePolicyText).toBe(stored);
    expect((await runLifecycle()).expired.filter((outcome) => outcome.imageDigest === image.digest)).toEqual([]);
  });
});

describe('transition to archive', () => {
  test('archived images list as ARCHIVED, refuse pulls, expire after their time in archive, and come back when restored', async () => {
    const name = uniqueName('lc-archive');
    await createRepository(server, name);
    const old = await pushAged(name, 40, 'old');
    const fresh = await pushAged(name, 1, 'fresh');
    const transition = {
      rulePriority: 1,
      selection: { tagStatus: 'any', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 30 },
      action: { type: 'transition', targetStorageClass: 'archive' },
    };
    await client.send(new PutLifecyclePolicyCommand({ repositoryName: name, lifecyclePolicyText: policy(transition) }));
    await client.send(new StartLifecyclePolicyPreviewCommand({ repositoryName: name }));
    const preview = await completedPreview(name);
    expect(preview.previewResults).toEqual([
      expect.objectContaining({ imageDigest: old.digest, action: { type: 'TRANSITION', targetStorageClass: 'ARCHIVE' }, storageClass: 'STANDARD' }),
    ]);
    expect(preview.summary).toEqual({ expiringImageTotalCount: 0, transitioningImageTotalCounts: [{ targetStorageClass: 'ARCHIVE', imageTotalCount: 1 }] });

    const report = await runLifecycle();
    expect(report.transitioned.map((outcome) => outcome.imageDigest)).toEqual([old.digest]);
    expect(digestsOf(await describeAll(name))).toEqual([fresh.digest]);
    const archived = await describeAll(name, 'ARCHIVED');
    expect(archived).toEqual([expect.objectContaining({ imageDigest: old.digest, imageStatus: 'ARCHIVED', imageTags: ['old'] })]);
    expect(archived[0].lastArchivedAt).toBeInstanceOf(Date);
    expect(digestsOf(await describeAll(name, 'ANY'))).toEqual([old.digest, fresh.digest].sort());

    // Pulls fail with 404, as ECR's do; BatchGetImage reports it as inaccessible.
    expect((await v2(server, 'GET', `/v2/${name}/manifests/old`)).status).toBe(404);
    const batch = await client.send(new BatchGetImageCommand({ repositoryName: name, imageIds: [{ imageTag: 'old' }] }));
    expect(batch.failures).toEqual([expect.objectContaining({ failureCode: 'ImageInaccessible' })]);
    // The transition is not repeated on the next run.
    expect((await runLifecycle()).transitioned.filter((outcome) => outcome.imageDigest === old.digest)).toEqual([]);

    // Restored by UpdateImageStorageClass: pullable again, ACTIVE, lastActivatedAt set.
    const restored = await client.send(
      new UpdateImageStorageClassCommand({ repositoryName: name, imageId: { imageTag: 'old' }, targetStorageClass: 'STANDARD' }),
    );
    expect(restored).toMatchObject({ repositoryName: name, imageId: { imageDigest: old.digest, imageTag: 'old' }, imageStatus: 'ACTIVATING' });
    expect((await v2(server, 'GET', `/v2/${name}/manifests/old`)).status).toBe(200);
    const active = (await describeAll(name)).find((detail) => detail.imageDigest === old.digest)!;
    expect(active.imageStatus).toBe('ACTIVE');
    expect(active.lastActivatedAt).toBeInstanceOf(Date);
    await expect(
      client.send(new UpdateImageStorageClassCommand({ repositoryName: name, imageId: { imageTag: 'old' }, targetStorageClass: 'STANDARD' })),
    ).rejects.toBeInstanceOf(ImageStorageClassUpdateNotSupportedException);
    await expect(
      client.send(new UpdateImageStorageClassCommand({ repositoryName: name, imageId: { imageTag: 'nope' }, targetStorageClass: 'ARCHIVE' })),
    ).rejects.toBeInstanceOf(ImageNotFoundException);
  });

  test('sinceImageTransitioned expires archived images only once they have been in archive long enough', async () => {
    const name = uniqueName('lc-archive-expiry');
    await createRepository(server, name);
    const image = await pushAged(name, 2, 'v1');
    const archivedAt = await client.send(
      new UpdateImageStorageClassCommand({ repositoryName: name, imageId: { imageTag: 'v1' }, targetStorageClass: 'ARCHIVE' }),
    );
    expect(archivedAt.imageStatus).toBe('ARCHIVED');
    const expireArchived = {
      rulePriority: 1,
      selection: { tagStatus: 'any', storageClass: 'archive', countType: 'sinceImageTransitioned', countUnit: 'days', countNumber: 90 },
      action: { type: 'expire' },
    };
    await client.send(new PutLifecyclePolicyCommand({ repositoryName: name, lifecyclePolicyText: policy(expireArchived) }));
    server.clock.setOffsetSeconds(89 * DAY);
    expect((await runLifecycle()).expired.filter((outcome) => outcome.imageDigest === image.digest)).toEqual([]);
    server.clock.setOffsetSeconds(91 * DAY);
    expect((await runLifecycle()).expired.filter((outcome) => outcome.imageDigest === image.digest)).toHaveLength(1);
    expect(await describeAll(name, 'ANY')).toEqual([]);
  });

  test('pushing an archived image again restores it', async () => {
    const name = uniqueName('lc-repush');
    await createRepository(server, name);
    const image = await pushImage(server, name, { tag: 'v1', seed: 'repush' });
    await client.send(new UpdateImageStorageClassCommand({ repositoryName: name, imageId: { imageDigest: image.digest }, targetStorageClass: 'ARCHIVE' }));
    expect((await v2(server, 'GET', `/v2/${name}/manifests/v1`)).status).toBe(404);
    await pushImage(server, name, { tag: 'v1', seed: 'repush' });
    expect((await v2(server, 'GET', `/v2/${name}/manifests/v1`)).status).toBe(200);
    expect((await describeAll(name))[0]).toMatchObject({ imageDigest: image.digest, imageStatus: 'ACTIVE' });
  });
});

test('--lifecycle-interval applies stored policies on its own schedule', async () => {
  const scheduled = await startTestServer({ lifecycleIntervalMs: 200 });
  try {
    const name = 'scheduled';
    await createRepository(scheduled, name);
    scheduled.clock.setOffsetSeconds(-3 * DAY);
    const old = await pushImage(scheduled, name, { seed: 'scheduled-old' });
    scheduled.clock.setOffsetSeconds(0);
    const fresh = await pushImage(scheduled, name, { seed: 'scheduled-fresh' });
    const scheduledClient = scheduled.client();
    await scheduledClient.send(new PutLifecyclePolicyCommand({ repositoryName: name, lifecyclePolicyText: policy(expireUntaggedAfterDays(2)) }));
    const deadline = Date.now() + 10_000;
    let remaining: string[] = [];
    do {
      await new Promise((resolve) => setTimeout(resolve, 100));
      remaining = digestsOf((await scheduledClient.send(new DescribeImagesCommand({ repositoryName: name }))).imageDetails ?? []);
    } while (remaining.includes(old.digest) && Date.now() < deadline);
    expect(remaining).toEqual([fresh.digest]);
    expect((await scheduledClient.send(new GetLifecyclePolicyCommand({ repositoryName: name }))).lastEvaluatedAt).toBeInstanceOf(Date);
  } finally {
    await scheduled.close();
  }
});
