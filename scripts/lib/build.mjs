// What the benchmark scripts share besides HTTP: a fresh build of Berth, and integer options.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Runs `npm run build` when dist/ is missing or older than src/ (a packed copy without src/ is used as is). */
export function ensureBuilt(root) {
  const cli = join(root, 'dist', 'cli.js');
  if (!existsSync(join(root, 'src'))) {
    if (!existsSync(cli)) throw new Error('dist/cli.js is missing and there is no src/ to build it from');
    return;
  }
  if (existsSync(cli) && statSync(cli).mtimeMs >= newestMtime(join(root, 'src'))) return;
  console.log('dist/ is missing or older than src/: running npm run build');
  const result = spawnSync('npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`npm run build failed (exit ${result.status})`);
}

/** A --name option that must be an integer from 1 to max. */
export function positiveInt(name, raw, max) {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > max) throw new Error(`--${name} must be an integer from 1 to ${max}`);
  return value;
}
