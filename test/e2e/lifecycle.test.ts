// Lifecycle end to end with Debian's clients: skopeo pushes images at chosen times (Berth's
// clock moved with POST /_berth/clock), the AWS CLI puts a policy, previews it and waits for
// the preview, the clock advances, a run applies the policy, and exactly the previewed images
// are gone from describe-images and from /v2 while the rest still pull.
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { AWS_CLI, awsCli, requireAwsCliV2 } from './helpers.js';
import { writeMultiLayerLayout, type BuiltImage } from './oci-images.js';
import { describeWithTools, expectSuccess, requireTools, skopeo, tempDir } from './registry-clients.js';

const ACCOUNT = '345678901234';
const REGION = 'ap-southeast-2';
const TOOLS = ['skopeo', AWS_CLI];
const TEST_TIMEOUT_MS = 300_000;
const DAY = 24 * 60 * 60;
const REPOSITORY = 'lifecycle/app';

interface PreviewResult {
  imageDigest: string;
  imageTags?: string[];
  action: { type: string };
  appliedRulePriority: number;
}

describeWithTools(TOOLS)('lifecycle policies with the AWS CLI and skopeo', () => {
  let server: TestServer;
  let aws: ReturnType<typeof awsCli>;
  let work: Awaited<ReturnType<typeof tempDir>>;
  let tool: ReturnType<typeof skopeo>;
  let registry: string;
  let creds: string;

  beforeAll(async () => {
    requireTools(TOOLS);
    await requireAwsCliV2();
    server = await startTestServer({ lifecycleIntervalMs: 0 });
    registry = `127.0.0.1:${server.port}`;
    aws = awsCli(server.endpoint, { accessKeyId: ACCOUNT, region: REGION });
    work = await tempDir('lifecycle');
    tool = skopeo(work.path);
    creds = `AWS:${expectSuccess(await aws.run('ecr', 'get-login-password'), 'aws ecr get-login-password').stdout.trim()}`;
    await aws.json('ecr', 'create-repository', '--repository-name', REPOSITORY);
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    await work?.remove();
  });

  const setClock = async (offsetSeconds: number) => {
    const response = await fetch(`${server.endpoint}/_berth/clock`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ offsetSeconds }),
    });
    expect(response.status).toBe(200);
  };
  /** Builds a distinct image and pushes it with skopeo as `tag`, `daysAgo` days before the real now. */
  const pushAt = async (daysAgo: number, tag: string, seed: string): Promise<BuiltImage> => {
    const dir = join(work.path, `src-${seed}`);
    const image = await writeMultiLayerLayout(dir, tag, seed);
    await setClock(-daysAgo * DAY);
    expectSuccess(
      await tool.run('copy', '--dest-tls-verify=false', '--dest-creds', creds, `oci:${dir}:${tag}`, `docker://${registry}/${REPOSITORY}:${tag}`),
      `skopeo copy ${tag}`,
    );
    await setClock(0);
    return image;
  };
  /** 'pulled', 'unknown' (the registry's 404) or skopeo's error. */
  const pull = async (digest: string): Promise<string> => {
    const result = await tool.run(
      'copy', '--src-tls-verify=false', '--src-creds', creds,
      `docker://${registry}/${REPOSITORY}@${digest}`, `oci:${join(work.path, `pull-${digest.slice(7, 19)}`)}:x`,
    );
    if (result.code === 0) return 'pulled';
    return /manifest unknown/i.test(result.stderr) ? 'unknown' : result.stderr;
  };
  const describedDigests = async () =>
    (await aws.json<{ imageDetails: Array<{ imageDigest: string }> }>('ecr', 'describe-images', '--repository-name', REPOSITORY)).imageDetails
      .map((detail) => detail.imageDigest)
      .sort();

  test('preview, advance the clock, run: exactly the previewed images are gone, the rest still pull', async () => {
    const old = await pushAt(20, 'old-1', 'old-1');
    const replaced = await pushAt(15, 'tmp', 'tmp-a'); // untagged once tmp-b takes the tag
    const current = await pushAt(14, 'tmp', 'tmp-b');
    const fresh = await pushAt(0, 'new', 'new');

    const policy = JSON.stringify({
      rules: [
        {
          rulePriority: 1,
          description: 'untagged images go after a week',
          selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 7 },
          action: { type: 'expire' },
        },
        {
          rulePriority: 2,
          description: 'old-* builds go after 30 days',
          selection: { tagStatus: 'tagged', tagPatternList: ['old-*'], countType: 'sinceImagePushed', countUnit: 'days', countNumber: 30 },
          action: { type: 'expire' },
        },
      ],
    });
    await aws.json('ecr', 'put-lifecycle-policy', '--repository-name', REPOSITORY, '--lifecycle-policy-text', policy);
    const stored = await aws.json<{ lifecyclePolicyText: string }>('ecr', 'get-lifecycle-policy', '--repository-name', REPOSITORY);
    expect(JSON.parse(stored.lifecyclePolicyText)).toEqual(JSON.parse(policy));

    // Fifteen days on, old-1 is 35 days old: both rules now have something to expire.
    await setClock(15 * DAY);
    const started = await aws.json<{ status: string }>('ecr', 'start-lifecycle-policy-preview', '--repository-name', REPOSITORY);
    expect(started.status).toBe('IN_PROGRESS');
    expectSuccess(await aws.run('ecr', 'wait', 'lifecycle-policy-preview-complete', '--repository-name', REPOSITORY), 'aws ecr wait');
    const preview = await aws.json<{ status: string; previewResults: PreviewResult[]; summary: { expiringImageTotalCount: number } }>(
      'ecr', 'get-lifecycle-policy-preview', '--repository-name', REPOSITORY,
    );
    expect(preview.status).toBe('COMPLETE');
    const previewed = preview.previewResults.map((result) => result.imageDigest).sort();
    expect(previewed).toEqual([old.descriptor.digest, replaced.descriptor.digest].sort());
    expect(preview.summary.expiringImageTotalCount).toBe(2);
    expect(preview.previewResults.find((result) => result.imageDigest === old.descriptor.digest)).toMatchObject({
      imageTags: ['old-1'],
      action: { type: 'EXPIRE' },
      appliedRulePriority: 2,
    });

    const run = await fetch(`${server.endpoint}/_berth/lifecycle/run`, { method: 'POST', headers: { 'Content-Type': 'application/json' } });
    const report = (await run.json()) as { expired: Array<{ imageDigest: string }> };
    expect(report.expired.map((outcome) => outcome.imageDigest).sort()).toEqual(previewed);

    const kept = [current.descriptor.digest, fresh.descriptor.digest].sort();
    expect(await describedDigests()).toEqual(kept);
    // Tokens live 12 hours on Berth's clock too: log in again after moving it 15 days.
    creds = `AWS:${expectSuccess(await aws.run('ecr', 'get-login-password'), 'aws ecr get-login-password').stdout.trim()}`;
    for (const digest of previewed) expect(await pull(digest)).toBe('unknown');
    for (const digest of kept) expect(await pull(digest)).toBe('pulled');
    const evaluated = await aws.json<{ lastEvaluatedAt?: string }>('ecr', 'get-lifecycle-policy', '--repository-name', REPOSITORY);
    expect(Number.isNaN(Date.parse(evaluated.lastEvaluatedAt ?? ''))).toBe(false);
  }, TEST_TIMEOUT_MS);

  test('a bad policy text is InvalidParameterException from the CLI and the stored policy stays', async () => {
    const before = await aws.json<{ lifecyclePolicyText: string }>('ecr', 'get-lifecycle-policy', '--repository-name', REPOSITORY);
    const bad = JSON.stringify({
      rules: [{ rulePriority: 1, selection: { tagStatus: 'tagged', countType: 'imageCountMoreThan', countNumber: 1 }, action: { type: 'expire' } }],
    });
    const result = await aws.run('ecr', 'put-lifecycle-policy', '--repository-name', REPOSITORY, '--lifecycle-policy-text', bad);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/InvalidParameterException.*Lifecycle policy validation failure/s);
    const after = await aws.json<{ lifecyclePolicyText: string }>('ecr', 'get-lifecycle-policy', '--repository-name', REPOSITORY);
    expect(after.lifecyclePolicyText).toBe(before.lifecyclePolicyText);
  }, TEST_TIMEOUT_MS);
});
