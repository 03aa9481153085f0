import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The real `berth serve` as a child process (bin/berth.js -> dist/, so `npm run build` first),
// for tests that must kill it as a crash would: SIGKILL, then a new process on the same data
// directory and port.

const bin = join(fileURLToPath(new URL('../..', import.meta.url)), 'bin', 'berth.js');

export interface BerthProcess {
  child: ChildProcess;
  endpoint: string;
  /** Resolves with the signal that ended the process (null for a normal exit). */
  exited: Promise<NodeJS.Signals | null>;
  /** What the process wrote to stderr so far. */
  stderr(): string;
}

/** A port nothing listens on now (the OS picks it; it is closed again before returning). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Starts `berth serve` on the data directory and port; resolves once /_berth/health answers. */
export async function startBerthProcess(dataDir: string, port: number, env: NodeJS.ProcessEnv = {}): Promise<BerthProcess> {
  const child = spawn(process.execPath, [bin, 'serve', '--data-dir', dataDir, '--port', String(port), '--host', '127.0.0.1'], {
    env: { ...process.env, BERTH_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`berth exited before answering: ${stderr}`);
    const healthy = await fetch(`${endpoint}/_berth/health`).then(
      (response) => response.ok,
      () => false,
    );
    if (healthy) return { child, endpoint, exited, stderr: () => stderr };
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`berth did not answer on ${endpoint} within 20 s: ${stderr}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** SIGKILL (no shutdown of any kind) and wait until the process is gone. */
export async function killHard(berth: BerthProcess): Promise<void> {
  if (berth.child.exitCode === null && berth.child.signalCode === null) berth.child.kill('SIGKILL');
  await berth.exited;
}
