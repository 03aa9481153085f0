// Starting `berth serve` as a child process for a benchmark, and knowing when it answers.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { call, HOST } from './http.mjs';
import { stopProcess } from './run.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Spawns `node [nodeArgs] bin/berth.js serve --host 127.0.0.1 --port <port> [serveArgs]` and waits
 * for /_berth/health to answer 200 (30 s at most). The child joins `children` while it runs, for
 * the benchmark's cleanup; output() is the tail of what it printed.
 */
export async function startBerthProcess(root, { port, serveArgs = [], nodeArgs = [], children }) {
  const child = spawn(process.execPath, [...nodeArgs, join(root, 'bin', 'berth.js'), 'serve', '--host', HOST, '--port', String(port), ...serveArgs], {
    cwd: root,
    env: { ...process.env, BERTH_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let output = '';
  const keep = (chunk) => (output = (output + chunk).slice(-20_000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const started = performance.now();
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`berth exited early (${child.exitCode ?? child.signalCode}):\n${output}`);
    if (performance.now() - started > 30_000) {
      await stopProcess(child);
      throw new Error(`berth did not become ready within 30 s:\n${output}`);
    }
    if ((await call(port, { path: '/_berth/health' }).catch(() => ({ status: 0 }))).status === 200) break;
    await sleep(20);
  }
  return { child, output: () => output };
}
