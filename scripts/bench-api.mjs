// API benchmark: start-up time, idle and loaded RSS, DescribeRepositories and CreateRepository
// throughput against a real `berth serve` child process on 127.0.0.1, its LevelDB store on
// disk in a temporary directory (or in memory with --store memory).
//
//   npm run bench [-- --duration 10 --connections 50 --repos 20 --startup-runs 5]
//
// The load generator (autocannon, in this process) shares the machine's cores with the
// server, so the figures are a floor of what the server alone could do. Targets are reported
// as PASS/MISS; the process exits non-zero only when the benchmark itself broke.
import { spawn } from 'node:child_process';
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureBuilt, positiveInt } from './lib/build.mjs';
import { call as httpCall, freePort, HOST } from './lib/http.mjs';
import { median, runBenchmark, stopProcess } from './lib/run.mjs';
import autocannon from 'autocannon';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: process.env.BENCH_DURATION ?? '10' },
    connections: { type: 'string', default: process.env.BENCH_CONNECTIONS ?? '50' },
    repos: { type: 'string', default: process.env.BENCH_REPOS ?? '20' },
    'startup-runs': { type: 'string', default: process.env.BENCH_STARTUP_RUNS ?? '5' },
    // disk: LevelDB in a temporary data directory (what a user runs); memory: --ephemeral.
    store: { type: 'string', default: process.env.BENCH_STORE ?? 'disk' },
    // Extra node flags for the server, e.g. --server-node-args=--cpu-prof to profile it.
    'server-node-args': { type: 'string', default: process.env.BENCH_SERVER_NODE_ARGS ?? '' },
  },
});
const DURATION_S = positiveInt('duration', args.duration, 120);
const CONNECTIONS = positiveInt('connections', args.connections, 1000);
const REPOS = positiveInt('repos', args.repos, 1000);
const STARTUP_RUNS = positiveInt('startup-runs', args['startup-runs'], 50);
if (!['disk', 'memory'].includes(args.store)) throw new Error('--store must be disk or memory');
const STORE = args.store;
const SERVER_NODE_ARGS = args['server-node-args'].split(/\s+/).filter(Boolean);

const TARGETS = { describePerSecond: 5000, idleRssMb: 100, startupMs: 500 };

const HEADERS = {
  'Content-Type': 'application/x-amz-json-1.1',
  // Not verified by Berth: the credential scope only picks the account and region.
  Authorization:
    'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261126/us-east-1/ecr/aws4_request, SignedHeaders=host, Signature=abc',
};
const target = (operation) => `AmazonEC2ContainerRegistry_V20150921.${operation}`;

// ---------------------------------------------------------------------------------- server

/** bench-api's exchanges are POSTs unless they say otherwise, with a 5 s timeout. */
const call = (port, options = {}) => httpCall(port, { method: 'POST', timeoutMs: 5000, ...options });

const ecrCall = (port, operation, input) => {
  const body = JSON.stringify(input);
  return call(port, { headers: { ...HEADERS, 'X-Amz-Target': target(operation), 'Content-Length': Buffer.byteLength(body) }, body });
};

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls until `probe` answers 200, returning ms since `since`; gives up after `limitMs`. */
async function pollUntilOk(probe, since, limitMs, child) {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited early with code ${child.exitCode}`);
    try {
      const { status } = await probe();
      if (status === 200) return performance.now() - since;
    } catch {
      // not listening yet
    }
    if (performance.now() - since > limitMs) throw new Error(`server did not answer within ${limitMs} ms`);
    await sleep(2);
  }
}

const running = new Set();

/** Spawns the server and measures start-up: to first /_berth/health and to first DescribeRepositories. */
async function startBerth() {
  const port = await freePort();
  const dataDir = STORE === 'disk' ? mkdtempSync(join(tmpdir(), 'berth-bench-')) : undefined;
  const storeArgs = dataDir ? ['--data-dir', dataDir] : ['--ephemeral'];
  const started = performance.now();
  const child = spawn(process.execPath, [...SERVER_NODE_ARGS, join(ROOT, 'bin', 'berth.js'), 'serve', ...storeArgs, '--port', String(port), '--host', HOST], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, BERTH_LOG_LEVEL: 'warn' },
  });
  running.add(child);
  child.once('exit', () => {
    running.delete(child);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });
  let stderr = '';
  child.stdout.resume();
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  try {
    const healthMs = await pollUntilOk(() => call(port, { method: 'GET', path: '/_berth/health' }), started, 15_000, child);
    const describeMs = await pollUntilOk(() => ecrCall(port, 'DescribeRepositories', {}), started, 15_000, child);
    return { child, port, healthMs, describeMs, stderr: () => stderr };
  } catch (error) {
    await stopProcess(child);
    throw new Error(`${error.message}${stderr ? `\nserver stderr:\n${stderr}` : ''}`);
  }
}

function killAllNow() {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
}

// ---------------------------------------------------------------------------------- measures

/** VmRSS of a process in MiB, from /proc (Linux). */
function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  if (!match) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100; // USER_HZ is 100 on Linux
}

/** Runs autocannon against the server, with the server's CPU use over the run. */
async function load(name, port, pid, options) {
  const cpuBefore = cpuSeconds(pid);
  const wallBefore = performance.now();
  const result = await autocannon({
    url: `http://${HOST}:${port}/`,
    method: 'POST',
    connections: CONNECTIONS,
    pipelining: 1,
    duration: DURATION_S,
    timeout: 10,
    ...options,
  });
  const serverCpu = (cpuSeconds(pid) - cpuBefore) / ((performance.now() - wallBefore) / 1000);
  const row = {
    name,
    requestsPerSecond: result.requests.average,
    total: result.requests.total,
    ok: result['2xx'],
    p50: result.latency.p50,
    p99: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    serverCpu,
  };
  console.log(
    `  ${name}: ${fmt(row.requestsPerSecond, 0)} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, ` +
      `${row.ok} 2xx, ${row.non2xx} non-2xx, ${row.errors} errors, ${row.timeouts} timeouts, server CPU ${fmt(serverCpu * 100, 0)}% of a core`,
  );
  return row;
}

const fmt = (value, digits = 1) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

// ---------------------------------------------------------------------------------- main

async function main() {
  ensureBuilt(ROOT);
  console.log(
    `Berth API benchmark: ${DURATION_S}s per run, ${CONNECTIONS} connections, pipelining 1, ${REPOS} repositories, ` +
      `${availableParallelism()} CPU(s) shared by server and load generator\n`,
  );

  // Start-up: a few cold starts, median reported, then the server the load runs use.
  console.log(`Start-up (${STARTUP_RUNS} cold starts, spawn -> first 200):`);
  const startups = [];
  for (let i = 0; i < STARTUP_RUNS; i++) {
    const server = await startBerth();
    startups.push(server);
    console.log(`  run ${i + 1}: health ${fmt(server.healthMs)} ms, DescribeRepositories ${fmt(server.describeMs)} ms`);
    if (i < STARTUP_RUNS - 1) await stopProcess(server.child);
  }
  const startupMs = median(startups.map((s) => s.describeMs));
  const { child, port } = startups[startups.length - 1];
  const pid = child.pid;

  await sleep(1000);
  const idleRss = rssMb(pid);
  console.log(`\nIdle RSS after start-up and 1 s settle: ${fmt(idleRss)} MiB`);

  for (let i = 0; i < REPOS; i++) {
    const { status, body } = await ecrCall(port, 'CreateRepository', { repositoryName: `bench/seed-${String(i).padStart(4, '0')}` });
    if (status !== 200) throw new Error(`CreateRepository seed ${i} failed: ${status} ${body}`);
  }
  const listed = JSON.parse((await ecrCall(port, 'DescribeRepositories', {})).body).repositories.length;
  if (listed !== Math.min(REPOS, 100)) throw new Error(`DescribeRepositories listed ${listed} repositories, expected ${Math.min(REPOS, 100)}`);
  console.log(`Created ${REPOS} repositories; DescribeRepositories {} lists ${listed}.\n`);

  console.log(`Load (store: ${STORE === 'disk' ? 'LevelDB on disk' : 'in memory'}):`);
  const describeHeaders = { ...HEADERS, 'X-Amz-Target': target('DescribeRepositories') };
  const describeAll = await load('DescribeRepositories {}', port, pid, { headers: describeHeaders, body: '{}' });
  const describePage = await load('DescribeRepositories {"maxResults":10}', port, pid, { headers: describeHeaders, body: '{"maxResults":10}' });

  let counter = 0;
  const runTag = Date.now().toString(36);
  const create = await load('CreateRepository (unique names)', port, pid, {
    headers: { ...HEADERS, 'X-Amz-Target': target('CreateRepository') },
    requests: [
      {
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ repositoryName: `bench/load-${runTag}-${counter++}` }) }),
      },
    ],
  });

  // Every 2xx CreateRepository must be a repository the server now holds.
  let stored = 0;
  let nextToken;
  do {
    const response = await ecrCall(port, 'DescribeRepositories', nextToken ? { nextToken } : {});
    if (response.status !== 200) throw new Error(`DescribeRepositories while counting failed: ${response.status} ${response.body}`);
    const page = JSON.parse(response.body);
    stored += page.repositories.length;
    nextToken = page.nextToken;
  } while (nextToken);
  // A cross-check of the server, not of the benchmark: a mismatch is reported, not fatal.
  // autocannon does not count the requests in flight when its time is up (one per connection),
  // though the server still serves them: up to that many more repositories may exist.
  const expectedLow = REPOS + create.ok;
  const expectedHigh = expectedLow + CONNECTIONS;
  const createdCheck = stored >= expectedLow && stored <= expectedHigh;
  console.log(
    `  repositories listed (paginating DescribeRepositories) after CreateRepository load: ${stored}, expected ${expectedLow}-${expectedHigh}: ` +
      (createdCheck ? 'ok' : 'MISMATCH (lost writes or broken pagination; worth a look)'),
  );

  const loadedRss = rssMb(pid);
  console.log(`\nRSS after load: ${fmt(loadedRss)} MiB`);
  await stopProcess(child);

  const rows = [describeAll, describePage, create];
  console.log('\nSummary');
  console.table(
    rows.map((r) => ({
      run: r.name,
      'req/s': Math.round(r.requestsPerSecond),
      'p50 ms': r.p50,
      'p99 ms': r.p99,
      'non-2xx': r.non2xx,
      errors: r.errors + r.timeouts,
      'server CPU %': Math.round(r.serverCpu * 100),
    })),
  );
  const verdict = (ok) => (ok ? 'PASS' : 'MISS');
  console.table([
    { target: 'DescribeRepositories {} >= 5,000 req/s', measured: `${Math.round(describeAll.requestsPerSecond)} req/s`, result: verdict(describeAll.requestsPerSecond >= TARGETS.describePerSecond) },
    { target: 'DescribeRepositories maxResults=10 >= 5,000 req/s', measured: `${Math.round(describePage.requestsPerSecond)} req/s`, result: verdict(describePage.requestsPerSecond >= TARGETS.describePerSecond) },
    { target: 'idle RSS < 100 MB', measured: `${fmt(idleRss)} MiB`, result: verdict(idleRss < TARGETS.idleRssMb) },
    { target: 'start-up < 500 ms (median)', measured: `${fmt(startupMs)} ms`, result: verdict(startupMs < TARGETS.startupMs) },
  ]);
  console.log(`RSS after load: ${fmt(loadedRss)} MiB. Load generator and server share ${availableParallelism()} CPU(s).`);

  if (!createdCheck) console.warn(`\nWARNING: the server lists ${stored} repositories, expected ${expectedLow}-${expectedHigh}.`);
  const broken = rows.some((r) => r.non2xx > 0 || r.errors > 0 || r.timeouts > 0 || r.ok === 0);
  if (broken) {
    console.error('\nBenchmark broken: some requests failed (non-2xx, errors or timeouts).');
    process.exitCode = 1;
  }
}

runBenchmark(main, {
  ceilingMs: (STARTUP_RUNS * 20 + DURATION_S * 3 * 3 + 120) * 1000,
  cleanup: killAllNow,
  finish: async () => {
    for (const child of running) await stopProcess(child);
  },
});
