// Start-up cost of Berth's programmatic API, as a test suite pays it:
//
//   startBerth()  to ready: the promise resolved (listening), then the first API call answered;
//   mockEcr()     to the first answered call: mockEcr() resolved, then CreateRepository through a
//                 fresh ECRClient with no endpoint answered.
//
//   npm run bench:embed [-- --runs 10]
//
// Every sample is a fresh `node` process, so nothing is warm: the child first imports Berth's
// package entry (dist/index.js, which loads @aws-sdk/client-ecr) and the SDK client ("import"),
// then makes the calls ("call", measured from just before startBerth()/mockEcr() to the answer).
// Figures are the median over the runs. Targets (from the issue) apply to the call: 300 ms for
// startBerth() to ready, 50 ms for mockEcr() to its first answer. Run `npm run build` first.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { median } from './lib/run.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const ENTRY = join(ROOT, 'dist', 'index.js');
const MODES = ['startBerth', 'mockEcr'];
const TARGET_MS = { startBerth: 300, mockEcr: 50 };
const CLIENT = { region: 'us-east-1', credentials: { accessKeyId: '000000000000', secretAccessKey: 'bench' } };

/** One sample, in a fresh process: prints {import, resolved, answered} in ms as JSON. */
async function child(mode) {
  const start = performance.now();
  const berth = await import(pathToFileURL(ENTRY).href);
  const { ECRClient, CreateRepositoryCommand } = await import('@aws-sdk/client-ecr');
  const imported = performance.now();

  if (mode === 'startBerth') {
    const server = await berth.startBerth();
    const resolved = performance.now();
    const client = new ECRClient({ ...CLIENT, endpoint: server.endpoint });
    await client.send(new CreateRepositoryCommand({ repositoryName: 'bench/app' }));
    const answered = performance.now();
    client.destroy();
    await server.stop();
    return { import: imported - start, resolved: resolved - imported, answered: answered - imported };
  }
  const mock = await berth.mockEcr();
  const resolved = performance.now();
  const { repository } = await new ECRClient(CLIENT).send(new CreateRepositoryCommand({ repositoryName: 'bench/app' }));
  const answered = performance.now();
  if (repository?.repositoryName !== 'bench/app') throw new Error('mockEcr did not answer CreateRepository');
  await mock.restore();
  return { import: imported - start, resolved: resolved - imported, answered: answered - imported };
}

function sample(mode) {
  const run = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', mode], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 });
  if (run.status !== 0) throw new Error(`${mode} sample failed (exit ${run.status}):\n${run.stderr}`);
  return JSON.parse(run.stdout.trim().split('\n').at(-1));
}

const ms = (value) => `${value.toFixed(1).padStart(7)} ms`;

async function main() {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' }, child: { type: 'string' } } });
  if (values.child) {
    process.stdout.write(`${JSON.stringify(await child(values.child))}\n`);
    return;
  }
  if (!existsSync(ENTRY)) throw new Error(`${ENTRY} is missing: run \`npm run build\` first`);
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs takes a positive integer');

  // Alternate the modes so neither gets a quieter machine.
  const samples = { startBerth: [], mockEcr: [] };
  for (let i = 0; i < runs; i++) for (const mode of MODES) samples[mode].push(sample(mode));

  const figure = (mode, key) => median(samples[mode].map((s) => s[key]));
  console.log(`Berth embed start-up: median of ${runs} fresh node processes per mode (node ${process.version})`);
  console.log('');
  console.log(`${''.padEnd(44)}${'import'.padStart(10)}${'call'.padStart(10)}${'target'.padStart(10)}`);
  const row = (label, mode, key, target) => {
    const call = figure(mode, key);
    const verdict = target === undefined ? '' : call < target ? '  met' : '  MISSED';
    console.log(`${label.padEnd(44)}${ms(figure(mode, 'import'))}${ms(call)}${target === undefined ? '' : ms(target)}${verdict}`);
  };
  row('startBerth() resolved (listening)', 'startBerth', 'resolved');
  row('startBerth() ready: first call answered', 'startBerth', 'answered', TARGET_MS.startBerth);
  row('mockEcr() resolved', 'mockEcr', 'resolved');
  row('mockEcr() first call answered', 'mockEcr', 'answered', TARGET_MS.mockEcr);
  console.log('');
  console.log('import: dist/index.js + @aws-sdk/client-ecr in a fresh process; call: from startBerth()/mockEcr()');
  console.log('to that point, CreateRepository sent through a new ECRClient (endpoint for the server, none for the mock).');
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
