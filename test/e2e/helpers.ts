// Helpers for end-to-end tests that drive real client tools (the AWS CLI, later skopeo and
// podman) against a real Berth. The tools are installed by .ci/run; a missing tool fails the
// test with a message saying what to install, unless BERTH_SKIP_E2E=1 says to skip them.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** BERTH_SKIP_E2E=1 turns the end-to-end suites off (for machines without the tools). */
export const skipE2E = process.env.BERTH_SKIP_E2E === '1';

/** `describe`, or `describe.skip` when end-to-end tests are switched off. */
export const describeE2E = skipE2E ? describe.skip : describe;

/**
 * AWS CLI v2 from Debian's `awscli` package. Not plain `aws` from PATH: a v1 CLI (e.g. a pyenv
 * shim) may come first there, and v1 words some commands and errors differently.
 */
export const AWS_CLI = process.env.AWS_CLI || '/usr/bin/aws';

/** Long enough for a cold Python start of the CLI on a slow CI machine. */
const COMMAND_TIMEOUT_MS = 60_000;

export interface CommandResult {
  /** The exit code; a tool killed by the timeout counts as failed (code -1). */
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command without a shell and never throws on a non-zero exit: tests assert on it. */
export async function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<CommandResult> {
  try {
    const { stdout, stderr } = await execFileAsync(file, args, { env, timeout: COMMAND_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { code?: number | string; stdout?: string; stderr?: string; killed?: boolean };
    if (failure.code === 'ENOENT') throw error;
    return {
      code: typeof failure.code === 'number' ? failure.code : -1,
      stdout: failure.stdout ?? '',
      stderr: (failure.stderr ?? '') + (failure.killed ? `\n[killed after ${COMMAND_TIMEOUT_MS} ms]` : ''),
    };
  }
}

/**
 * The environment the CLI runs in: the caller's environment without any AWS_* setting (a
 * profile, CA bundle or endpoint from the machine must not leak in), then static credentials,
 * a region, no config files, no pager, no instance-metadata lookups and no retries.
 */
export function awsEnv(credentials: { accessKeyId: string; region: string }): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('AWS_') && name !== 'PYTHONPATH' && name !== 'PYTHONHOME') env[name] = value;
  }
  return {
    ...env,
    AWS_ACCESS_KEY_ID: credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: 'berth-e2e-secret',
    AWS_DEFAULT_REGION: credentials.region,
    AWS_CONFIG_FILE: '/nonexistent/berth-e2e/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/berth-e2e/aws-credentials',
    AWS_PAGER: '',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_MAX_ATTEMPTS: '1',
  };
}

/**
 * Fails with an install hint unless AWS_CLI is an AWS CLI v2. Returns its `--version` line.
 */
export async function requireAwsCliV2(): Promise<string> {
  let result: CommandResult;
  try {
    result = await run(AWS_CLI, ['--version'], awsEnv({ accessKeyId: 'none', region: 'us-east-1' }));
  } catch (error) {
    throw new Error(
      `AWS CLI v2 not found at ${AWS_CLI} (${(error as Error).message}). ` +
        'Install it (Debian: apt-get install awscli), point AWS_CLI at it, or set BERTH_SKIP_E2E=1 to skip end-to-end tests.',
    );
  }
  const version = (result.stdout + result.stderr).trim();
  if (result.code !== 0 || !version.startsWith('aws-cli/2.')) {
    throw new Error(`${AWS_CLI} is not AWS CLI v2 (exit ${result.code}): ${version || '(no output)'}`);
  }
  return version;
}

/** An AWS CLI bound to one Berth endpoint and one caller (access key = account, region). */
export function awsCli(endpoint: string, caller: { accessKeyId: string; region: string }) {
  const env = awsEnv(caller);
  return {
    /** Runs `aws <args> --endpoint-url <endpoint> --output json`. */
    run(...args: string[]): Promise<CommandResult> {
      return run(AWS_CLI, [...args, '--endpoint-url', endpoint, '--output', 'json'], env);
    },
    /** Runs the command, fails with its stderr on a non-zero exit, and parses stdout as JSON. */
    async json<T = Record<string, unknown>>(...args: string[]): Promise<T> {
      const result = await this.run(...args);
      if (result.code !== 0) throw new Error(`aws ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
      return (result.stdout.trim() ? JSON.parse(result.stdout) : {}) as T;
    },
  };
}
