// skopeo and podman (Debian's packages) against a real Berth, isolated from the machine: no
// auth file, storage or signature policy of the host is read or written. Berth's registry is
// plain HTTP, hence the tls-verify=false flags throughout.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { AWS_CLI, skipE2E, type CommandResult } from './helpers.js';

/** The path of an executable (absolute, or looked up on PATH), or undefined. */
export function findExecutable(name: string): string | undefined {
  const candidates = isAbsolute(name) ? [name] : (process.env.PATH ?? '').split(delimiter).filter(Boolean).map((dir) => join(dir, name));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

const installHint = (missing: string[]): string =>
  `not installed: ${missing.join(', ')} (Debian: apt-get install ${missing.map((tool) => (tool === AWS_CLI ? 'awscli' : tool)).join(' ')})`;

/**
 * `describe` when every tool is installed. Otherwise `describe.skip`, saying what to install,
 * except under CI (CI=true): .ci/run installs the tools there, so the suite runs and
 * requireTools() fails it. A suite that quietly skipped in CI would pass without testing.
 */
export function describeWithTools(tools: string[]): jest.Describe {
  if (skipE2E) return describe.skip;
  const missing = tools.filter((tool) => !findExecutable(tool));
  if (missing.length === 0 || process.env.CI === 'true') return describe;
  console.warn(`skipping end-to-end tests: ${installHint(missing)}; set BERTH_SKIP_E2E=1 to skip them all quietly`);
  return describe.skip;
}

/** Fails, saying what to install, unless every tool is there. */
export function requireTools(tools: string[]): void {
  const missing = tools.filter((tool) => !findExecutable(tool));
  if (missing.length > 0) throw new Error(`${installHint(missing)}; set BERTH_SKIP_E2E=1 to skip end-to-end tests`);
}

/** Long enough for podman to copy a few MB through vfs storage on a slow CI machine. */
const TOOL_TIMEOUT_MS = 90_000;

/** Runs a command without a shell, optionally feeding `input` on stdin; never throws on a non-zero exit. */
export function runTool(file: string, args: string[], env: NodeJS.ProcessEnv, input?: string): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, TOOL_TIMEOUT_MS);
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: killed ? -1 : (code ?? -1), stdout, stderr: stderr + (killed ? `\n[killed after ${TOOL_TIMEOUT_MS} ms]` : '') });
    });
    child.stdin.end(input ?? '');
  });
}

/** Fails with the command's output unless it exited 0; returns the result. */
export function expectSuccess(result: CommandResult, what: string): CommandResult {
  if (result.code !== 0) throw new Error(`${what} exited ${result.code}:\n${result.stderr.trim()}\n${result.stdout.trim()}`);
  return result;
}

/**
 * A new temporary directory removed by the returned cleanup. Its name is lowercase: podman
 * names an image pulled from `oci:<dir>` after the path, and references must be lowercase.
 */
export async function tempDir(prefix: string): Promise<{ path: string; remove(): Promise<void> }> {
  const path = join(tmpdir(), `berth-e2e-${prefix}-${randomBytes(6).toString('hex')}`);
  await mkdir(path, { mode: 0o700 });
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

/** The environment skopeo and podman run in: no auth file or container config of the machine. */
function containersEnv(workDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('REGISTRY_AUTH') && !name.startsWith('CONTAINERS_') && !name.startsWith('DOCKER_')) env[name] = value;
  }
  return {
    ...env,
    REGISTRY_AUTH_FILE: join(workDir, 'auth.json'),
    DOCKER_CONFIG: join(workDir, 'docker-config'),
    TMPDIR: workDir,
  };
}

/** skopeo with the accept-anything signature policy and an auth file of its own under `workDir`. */
export function skopeo(workDir: string) {
  const env = containersEnv(workDir);
  return {
    run: (...args: string[]) => runTool('skopeo', ['--insecure-policy', ...args], env),
  };
}

/**
 * podman on a private root and runroot under `workDir` with the vfs driver (works as root in
 * any container, no overlay or fuse needed), file events and cgroupfs (no systemd needed).
 */
export function podman(workDir: string) {
  const env = containersEnv(workDir);
  const global = [
    '--root', join(workDir, 'root'),
    '--runroot', join(workDir, 'runroot'),
    '--tmpdir', join(workDir, 'libpod-tmp'),
    '--storage-driver', 'vfs',
    '--events-backend', 'file',
    '--cgroup-manager', 'cgroupfs',
  ];
  return {
    run: (args: string[], input?: string) => runTool('podman', [...global, ...args], env, input),
    /**
     * Removes the images from the private store, so nothing is left mounted. Not `system
     * reset`: that also deletes podman networks, which live in the machine's configuration.
     */
    async removeImages(): Promise<void> {
      await runTool('podman', [...global, 'rmi', '--all', '--force'], env);
    },
  };
}
