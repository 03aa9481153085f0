// podman against Berth's registry: log in with the AWS CLI's token, push an image, pull it
// back, build on top of it (FROM the Berth image, COPY a file) and push and pull the result.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { AWS_CLI, awsCli, requireAwsCliV2 } from './helpers.js';
import { writeMultiLayerLayout } from './oci-images.js';
import { describeWithTools, expectSuccess, podman, requireTools, tempDir } from './registry-clients.js';

interface ImageDetail {
  imageDigest: string;
  imageTags?: string[];
  imageSizeInBytes: number;
  imageManifestMediaType: string;
}

const ACCOUNT = '345678901234';
const REGION = 'ap-southeast-2';
const TOOLS = ['podman', AWS_CLI];
const TEST_TIMEOUT_MS = 180_000;

describeWithTools(TOOLS)('podman against Berth', () => {
  let server: TestServer;
  let aws: ReturnType<typeof awsCli>;
  let work: Awaited<ReturnType<typeof tempDir>>;
  let tool: ReturnType<typeof podman>;
  let registry: string;

  beforeAll(async () => {
    requireTools(TOOLS);
    await requireAwsCliV2();
    server = await startTestServer({ requireAuth: true });
    registry = `127.0.0.1:${server.port}`;
    aws = awsCli(server.endpoint, { accessKeyId: ACCOUNT, region: REGION });
    work = await tempDir('podman');
    tool = podman(work.path);
    for (const name of ['e2e/podman-base', 'e2e/podman-built']) {
      await aws.json('ecr', 'create-repository', '--repository-name', name);
    }
  }, 120_000);
  afterAll(async () => {
    await server?.close();
    if (tool) await tool.removeImages();
    await work?.remove();
  }, 60_000);

  const podmanOk = async (what: string, args: string[], input?: string) => expectSuccess(await tool.run(args, input), `podman ${what}`);
  const describeImage = async (repository: string, tag: string): Promise<ImageDetail> => {
    const { imageDetails } = await aws.json<{ imageDetails: ImageDetail[] }>(
      'ecr', 'describe-images', '--repository-name', repository, '--image-ids', `imageTag=${tag}`,
    );
    expect(imageDetails).toHaveLength(1);
    return imageDetails[0];
  };
  /** Pushes with --digestfile and returns the manifest digest podman pushed. */
  const pushImage = async (reference: string): Promise<string> => {
    const digestFile = join(work.path, `digest-${Date.now()}`);
    await podmanOk(`push ${reference}`, ['push', '--tls-verify=false', '--digestfile', digestFile, reference]);
    return (await readFile(digestFile, 'utf8')).trim();
  };
  const localDigest = async (reference: string): Promise<string> =>
    (await podmanOk('image inspect', ['image', 'inspect', '--format', '{{.Digest}}', reference])).stdout.trim();

  test('log in with get-login-password, push, pull, build FROM the Berth image and push the build', async () => {
    // Login with the token the CLI prints, as the ECR docs' one-liner does.
    const denied = await tool.run(['login', '--tls-verify=false', '-u', 'AWS', '--password-stdin', registry], 'not-a-token\n');
    expect(denied.code).not.toBe(0);
    const password = expectSuccess(await aws.run('ecr', 'get-login-password'), 'aws ecr get-login-password').stdout.trim();
    const login = await podmanOk('login', ['login', '--tls-verify=false', '-u', 'AWS', '--password-stdin', registry], `${password}\n`);
    expect(login.stdout).toContain('Login Succeeded');

    // Load a local OCI layout into podman's store, then push it to Berth.
    const layout = join(work.path, 'base-layout');
    await writeMultiLayerLayout(layout, 'base', 'podman-base');
    const base = `${registry}/e2e/podman-base:1`;
    const loaded = await podmanOk('pull oci:', ['pull', `oci:${layout}:base`]);
    // `podman pull` prints the image id last.
    const imageId = loaded.stdout.trim().split('\n').pop() ?? '';
    expect(imageId).toMatch(/^[0-9a-f]{64}$/);
    await podmanOk('tag', ['tag', imageId, base]);
    const baseDigest = await pushImage(base);
    expect(await describeImage('e2e/podman-base', '1')).toMatchObject({ imageDigest: baseDigest, imageTags: ['1'] });

    // Forget it locally, pull it back from Berth.
    await podmanOk('rmi', ['rmi', '--all', '--force']);
    await podmanOk('pull', ['pull', '--tls-verify=false', base]);
    expect(await localDigest(base)).toBe(baseDigest);

    // Build on it: FROM the Berth image, COPY a file. No RUN, so no container runtime is needed.
    const context = join(work.path, 'context');
    await mkdir(context, { recursive: true });
    await writeFile(join(context, 'greeting.txt'), GREETING);
    await writeFile(join(context, 'Containerfile'), `FROM ${base}\nCOPY greeting.txt /greeting.txt\n`);
    const built = `${registry}/e2e/podman-built:1`;
    await podmanOk('build', ['build', '--tls-verify=false', '--pull=never', '-f', join(context, 'Containerfile'), '-t', built, context]);
    const builtDigest = await pushImage(built);

    await podmanOk('rmi', ['rmi', '--all', '--force']);
    await podmanOk('pull (built)', ['pull', '--tls-verify=false', built]);
    expect(await localDigest(built)).toBe(builtDigest);
    // The copied file is in the pulled image's file system.
    const mount = (await podmanOk('image mount', ['image', 'mount', built])).stdout.trim();
    try {
      expect(await readFile(join(mount, 'greeting.txt'), 'utf8')).toBe(GREETING);
      // And the base image's files are under it.
      expect(await readFile(join(mount, 'app', 'hello.txt'), 'utf8')).toBe('hello from podman-base\n');
    } finally {
      await tool.run(['image', 'unmount', built]);
    }

    const detail = await describeImage('e2e/podman-built', '1');
    expect(detail).toMatchObject({ imageDigest: builtDigest, imageTags: ['1'] });
    expect(detail.imageSizeInBytes).toBeGreaterThan(0);
  }, TEST_TIMEOUT_MS);
});

const GREETING = 'built by podman, stored in Berth\n';
