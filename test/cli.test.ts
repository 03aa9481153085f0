import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CreateRepositoryCommand, DescribeRepositoriesCommand, ECRClient, TagResourceCommand } from '@aws-sdk/client-ecr';
import { adminRequest } from './helpers/admin.js';

// The real `berth` binary (bin/berth.js -> dist/, built by `npm test` and by `prepare`).
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'bin', 'berth.js');

interface Running {
  child: ChildProcess;
  endpoint: string;
  stdout: string;
}

function berth(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Running> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`berth did not start: ${stderr}`)), 10_000);
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(stdout);
      if (match && stdout.includes('\n', stdout.indexOf('Try:'))) {
        clearTimeout(timer);
        resolve({ child, endpoint: match[1], stdout });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`berth exited with ${code}: ${stderr}`));
    });
  });
}

function stop(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', (code) => resolve(code));
    child.kill(signal);
  });
}

function run(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}

const client = (endpoint: string) =>
  new ECRClient({ endpoint, region: 'eu-west-1', credentials: { accessKeyId: '123456789012', secretAccessKey: 'x' }, maxAttempts: 1 });

let dataDir: string;
beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'berth-cli-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

test('berth serve prints its endpoint and an AWS CLI example, serves health, and stops cleanly on SIGTERM', async () => {
  const server = await berth(['serve', '--port', '0', '--data-dir', dataDir]);
  expect(server.stdout).toMatch(/aws ecr create-repository --repository-name \S+ --endpoint-url http:\/\/127\.0\.0\.1:\d+/);
  const health = (await (await fetch(`${server.endpoint}/_berth/health`)).json()) as { status: string; version: string };
  expect(health).toEqual({ status: 'ok', version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
  expect(await stop(server.child, 'SIGTERM')).toBe(0);
});

test('state written through one berth serve is there after a restart on the same --data-dir (SIGINT)', async () => {
  const first = await berth(['serve', '--port', '0', '--data-dir', dataDir]);
  const created = await client(first.endpoint).send(
    new CreateRepositoryCommand({ repositoryName: 'kept', imageTagMutability: 'IMMUTABLE', tags: [{ Key: 'team', Value: 'a' }] }),
  );
  await client(first.endpoint).send(new TagResourceCommand({ resourceArn: created.repository!.repositoryArn!, tags: [{ Key: 'env', Value: 'dev' }] }));
  expect(await stop(first.child, 'SIGINT')).toBe(0);

  const second = await berth(['serve', '--port', '0', '--data-dir', dataDir]);
  try {
    const { repositories } = await client(second.endpoint).send(new DescribeRepositoriesCommand({}));
    expect(repositories).toEqual([
      expect.objectContaining({ repositoryName: 'kept', registryId: '123456789012', imageTagMutability: 'IMMUTABLE' }),
    ]);
    expect(repositories![0].createdAt).toEqual(created.repository!.createdAt);
  } finally {
    await stop(second.child);
  }
});

test('options come from BERTH_* environment variables too', async () => {
  const server = await berth(['serve'], { BERTH_PORT: '0', BERTH_EPHEMERAL: '1', BERTH_DATA_DIR: dataDir, BERTH_REGISTRY_HOST: '{account}.dkr.ecr.{region}.localhost:5080' });
  try {
    expect(server.stdout).toContain('ephemeral');
    const { repository } = await client(server.endpoint).send(new CreateRepositoryCommand({ repositoryName: 'env' }));
    expect(repository!.repositoryUri).toBe('123456789012.dkr.ecr.eu-west-1.localhost:5080/env');
  } finally {
    await stop(server.child);
  }
  // Ephemeral: nothing written to the data directory.
  expect(existsSync(dataDir) ? readdirSync(dataDir) : []).toEqual([]);
});

test('bad options are refused with a message and exit code 1', async () => {
  const badAccount = await run(['serve', '--account-id', '12', '--ephemeral', '--port', '0']);
  expect(badAccount.code).toBe(1);
  expect(badAccount.stderr).toMatch(/account-id.*12 digits/);
  const badPort = await run(['serve', '--port', 'http', '--ephemeral']);
  expect(badPort.code).toBe(1);
  expect(badPort.stderr).toMatch(/port/);
  const badOffset = await run(['serve', '--clock-offset', 'soon', '--ephemeral', '--port', '0']);
  expect(badOffset.code).toBe(1);
  expect(badOffset.stderr).toMatch(/clock-offset.*seconds/);
  const farOffset = await run(['serve', '--clock-offset', '1e300', '--ephemeral', '--port', '0']);
  expect(farOffset.code).toBe(1);
  expect(farOffset.stderr).toMatch(/clock-offset.*100 years/);
  const badInterval = await run(['serve', '--lifecycle-interval', '-5', '--ephemeral', '--port', '0']);
  expect(badInterval.code).toBe(1);
  expect(badInterval.stderr).toMatch(/lifecycle-interval/);
  const badHost = await run(['serve', '--allowed-host', 'not a host!', '--ephemeral', '--port', '0']);
  expect(badHost.code).toBe(1);
  expect(badHost.stderr).toMatch(/allowed-host.*not a host name/);
});

test('--clock-offset shifts the clock the server starts with; BERTH_LIFECYCLE_INTERVAL is read', async () => {
  const server = await berth(['serve', '--port', '0', '--ephemeral', '--clock-offset', '86400'], { BERTH_LIFECYCLE_INTERVAL: '0' });
  try {
    const clock = (await (await fetch(`${server.endpoint}/_berth/clock`)).json()) as { offsetSeconds: number; now: string };
    expect(clock.offsetSeconds).toBe(86400);
    const ahead = Date.parse(clock.now) - Date.now();
    expect(ahead).toBeGreaterThan(86_000_000);
    expect(ahead).toBeLessThan(86_500_000);
  } finally {
    await stop(server.child);
  }
});

/** The status of GET /_berth/clock with the Host and (optional) bearer token given. */
const clockStatus = async (endpoint: string, host: string, token?: string): Promise<number> =>
  (await adminRequest(endpoint, 'GET', '/_berth/clock', { headers: { Host: host, ...(token ? { Authorization: `Bearer ${token}` } : {}) } })).status;

test('--allowed-host (repeatable) and --admin-token guard the admin endpoints; the flags win over the variables', async () => {
  const server = await berth(
    ['serve', '--port', '0', '--ephemeral', '--allowed-host', 'berth.internal', '--allowed-host', 'other.internal,third.internal', '--admin-token', 'flag-token'],
    { BERTH_ALLOWED_HOSTS: 'from-env.internal', BERTH_ADMIN_TOKEN: 'env-token' },
  );
  try {
    expect(await clockStatus(server.endpoint, 'berth.internal:5080', 'flag-token')).toBe(200);
    expect(await clockStatus(server.endpoint, 'other.internal', 'flag-token')).toBe(200);
    expect(await clockStatus(server.endpoint, 'third.internal', 'flag-token')).toBe(200);
    expect(await clockStatus(server.endpoint, 'from-env.internal', 'flag-token')).toBe(403);
    expect(await clockStatus(server.endpoint, 'berth.internal', 'env-token')).toBe(401);
    expect(await clockStatus(server.endpoint, 'berth.internal')).toBe(401);
  } finally {
    await stop(server.child);
  }
});

test('BERTH_ALLOWED_HOSTS (comma-separated) and BERTH_ADMIN_TOKEN are read; an empty token is none', async () => {
  const server = await berth(['serve', '--port', '0', '--ephemeral'], { BERTH_ALLOWED_HOSTS: 'a.internal, b.internal', BERTH_ADMIN_TOKEN: 'env-token' });
  try {
    expect(await clockStatus(server.endpoint, 'a.internal', 'env-token')).toBe(200);
    expect(await clockStatus(server.endpoint, 'b.internal', 'env-token')).toBe(200);
    expect(await clockStatus(server.endpoint, 'b.internal', 'wrong')).toBe(401);
    expect(await clockStatus(server.endpoint, 'evil.example', 'env-token')).toBe(403);
  } finally {
    await stop(server.child);
  }
  const open = await berth(['serve', '--port', '0', '--ephemeral'], { BERTH_ADMIN_TOKEN: '' });
  try {
    expect(await clockStatus(open.endpoint, 'localhost')).toBe(200);
  } finally {
    await stop(open.child);
  }
});
