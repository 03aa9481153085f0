// Layer-part upload memory benchmark: how much a `berth serve` child process grows while it takes
// UploadLayerPart calls (AWS JSON 1.1, the part as base64 in `layerPartBlob`), one after another.
//
//   npm run bench:layer-upload [-- --parts 3 --part-mib 10 --store both|memory|disk --server-node-args=...]
//
// For each store (memory = --ephemeral, blobs kept in the process; disk = a temporary data
// directory): start the server, create a repository and an upload, let it settle 1 s and read
// its idle RSS; reset the kernel's high-water mark (/proc/<pid>/clear_refs), send the parts
// (random bytes, encoded before anything is measured), complete the layer (checks the digest),
// then read the peak: VmHWM, the kernel's own peak RSS since the reset, and VmRSS polled every
// few ms as a cross-check. Growth = peak - idle. With the memory store the parts themselves stay
// in the process, so its growth includes the stored bytes (shown beside it).
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureBuilt, positiveInt } from './lib/build.mjs';
import { startBerthProcess } from './lib/berth-process.mjs';
import { call, freePort } from './lib/http.mjs';
import { statusMiB, watchPeakRss } from './lib/proc.mjs';
import { printTable, runBenchmark, stopProcess } from './lib/run.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MiB = 1024 * 1024;
const RSS_POLL_MS = 5;

const { values: args } = parseArgs({
  options: {
    parts: { type: 'string', default: '3' },
    'part-mib': { type: 'string', default: '10' },
    store: { type: 'string', default: 'both' },
    // Extra node flags for the server, e.g. --server-node-args=--trace-gc to see its collections.
    'server-node-args': { type: 'string', default: '' },
  },
});
const PARTS = positiveInt('parts', args.parts, 100);
const PART_MIB = positiveInt('part-mib', args['part-mib'], 10);
if (!['both', 'memory', 'disk'].includes(args.store)) throw new Error('--store must be both, memory or disk');
const STORES = args.store === 'both' ? ['memory', 'disk'] : [args.store];
const SERVER_NODE_ARGS = args['server-node-args'].split(/\s+/).filter(Boolean);

const target = (operation) => `AmazonEC2ContainerRegistry_V20150921.${operation}`;

/** One ECR API call as raw JSON (Berth does not verify signatures; the default account answers). */
async function ecrCall(port, operation, body) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const response = await call(port, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      'X-Amz-Target': target(operation),
      'Content-Length': Buffer.byteLength(text),
    },
    body: text,
    timeoutMs: 60_000,
  });
  if (response.status !== 200) throw new Error(`${operation} failed: ${response.status} ${response.body}`);
  return JSON.parse(response.body);
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const running = new Set();

/** A server with its blobs in memory (--ephemeral) or in a temporary data directory. */
async function startBerth(store) {
  const port = await freePort();
  const dataDir = store === 'disk' ? mkdtempSync(join(tmpdir(), 'berth-bench-layer-')) : undefined;
  const serveArgs = dataDir ? ['--data-dir', dataDir] : ['--ephemeral'];
  try {
    const { child } = await startBerthProcess(ROOT, { port, serveArgs, nodeArgs: SERVER_NODE_ARGS, children: running });
    // --server-node-args=--trace-gc and the like print on stdout: pass it on.
    if (SERVER_NODE_ARGS.length) child.stdout.pipe(process.stdout);
    child.once('exit', () => dataDir && rmSync(dataDir, { recursive: true, force: true }));
    return { child, port };
  } catch (error) {
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
}

/** Parts of random bytes, each with its JSON body ready, and the layer's digest. */
function prepareParts(repositoryName) {
  const parts = Array.from({ length: PARTS }, () => randomBytes(PART_MIB * MiB));
  const digest = `sha256:${parts.reduce((hash, part) => hash.update(part), createHash('sha256')).digest('hex')}`;
  return {
    digest,
    bodies: (uploadId) => {
      let first = 0;
      return parts.map((part) => {
        const body = JSON.stringify({
          repositoryName,
          uploadId,
          partFirstByte: first,
          partLastByte: first + part.length - 1,
          layerPartBlob: part.toString('base64'),
        });
        first += part.length;
        return body;
      });
    },
  };
}

async function measure(store) {
  const repositoryName = 'bench/layer-upload';
  const layer = prepareParts(repositoryName);
  const server = await startBerth(store);
  const pid = server.child.pid;
  try {
    await ecrCall(server.port, 'CreateRepository', { repositoryName });
    const { uploadId } = await ecrCall(server.port, 'InitiateLayerUpload', { repositoryName });
    const bodies = layer.bodies(uploadId);
    await sleep(1000);
    const idle = statusMiB(pid, 'VmRSS');
    // From here on VmHWM is the peak of the uploads alone, not of start-up.
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    const polled = watchPeakRss(pid, RSS_POLL_MS);
    for (const body of bodies) await ecrCall(server.port, 'UploadLayerPart', body);
    const { layerDigest } = await ecrCall(server.port, 'CompleteLayerUpload', { repositoryName, uploadId, layerDigests: [layer.digest] });
    if (layerDigest !== layer.digest) throw new Error(`the server stored ${layerDigest}, expected ${layer.digest}`);
    const polledPeak = polled.stop();
    const peak = Math.max(statusMiB(pid, 'VmHWM'), polledPeak);
    const after = statusMiB(pid, 'VmRSS');
    return { store, idle, peak, polledPeak, after, growth: peak - idle, stored: store === 'memory' ? PARTS * PART_MIB : 0 };
  } finally {
    await stopProcess(server.child);
  }
}

const fmt = (value) => value.toFixed(1);

async function main() {
  ensureBuilt(ROOT);
  const partTextMiB = (Math.ceil((PART_MIB * MiB) / 3) * 4) / MiB;
  console.log(`UploadLayerPart memory: ${PARTS} parts of ${PART_MIB} MiB (${fmt(partTextMiB)} MiB of base64 each), sent one after another\n`);
  const rows = [];
  for (const store of STORES) {
    const result = await measure(store);
    rows.push([
      result.store,
      `${PARTS} x ${PART_MIB} MiB`,
      fmt(result.idle),
      fmt(result.peak),
      fmt(result.polledPeak),
      fmt(result.growth),
      fmt(result.stored),
      fmt(result.growth - result.stored),
      fmt(result.after),
    ]);
  }
  printTable(['store', 'parts', 'idle MiB', 'peak MiB', 'polled peak', 'growth MiB', 'stored MiB', 'growth - stored', 'after MiB'], rows);
  console.log(`\npeak: VmHWM since the reset (and VmRSS polled every ${RSS_POLL_MS} ms); growth = peak - idle; target: growth - stored < 3 x part = ${3 * PART_MIB} MiB`);
}

runBenchmark(main, {
  ceilingMs: 5 * 60_000,
  cleanup: () => {
    for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
  },
});
