// Installs and tests each project under examples/, as a user of the package would: each
// depends on berth through "file:../.." with install-links (see its .npmrc), so npm packs this
// repository (running its `prepare` build) and installs the packed files. The old copy of berth
// is removed first, since npm would otherwise keep it whenever the version number is unchanged.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const examples = join(dirname(fileURLToPath(import.meta.url)), '..', 'examples');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(cwd, args) {
  console.log(`==> ${cwd}: npm ${args.join(' ')}`);
  const { status, error } = spawnSync(npm, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
  if (error) throw error;
  if (status !== 0) {
    console.error(`npm ${args.join(' ')} failed in ${cwd} (exit ${status})`);
    process.exit(status ?? 1);
  }
}

const projects = readdirSync(examples, { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(examples, entry.name, 'package.json')))
  .map((entry) => join(examples, entry.name));
if (projects.length === 0) throw new Error(`no example projects under ${examples}`);

for (const project of projects) {
  rmSync(join(project, 'node_modules', 'berth'), { recursive: true, force: true });
  run(project, ['install', '--no-audit', '--no-fund', '--loglevel=error']);
  run(project, ['test', '--silent']);
}
