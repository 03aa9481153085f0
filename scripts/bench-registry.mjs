// Registry benchmark: Berth's OCI Distribution /v2 side by side with Debian's `docker-registry`
// (CNCF distribution, filesystem storage), both started as child processes on 127.0.0.1 with their
// data in one temporary directory, in the same run and with the same client commands:
//
//   1. raw blob upload with curl: monolithic (POST, then one PUT with the body) and chunked
//      (POST, 16 MiB PATCHes with Content-Range, then PUT ?digest= with no body);
//   2. raw blob download with curl (GET to /dev/null);
//   3. skopeo copy push and pull of a 4-layer image of --size-mib (default 1 GiB) in total;
//   4. skopeo copy push and pull of a 200 x 64 KiB-layer image (layers/s);
//   plus the server's peak RSS during the big skopeo push.
//
//   npm run bench:registry [-- --size-mib 1024 --runs 3 --stat median --only berth|registry --skip-skopeo
//                              --measure download,upload-mono]
//
// --measure keeps only the named measurements (keys: MEASURE_KEYS below); a download without the
// monolithic upload before it uploads its blob first, untimed.
//
// All data is incompressible random bytes, prepared (with its sha256) before anything is timed.
// Each run starts both servers afresh on empty storage, and the measurements alternate between
// them, the one measured first changing with every measure and every run (use an even --runs so
// each server goes first equally often), so neither gets a warmer cache or a quieter disk. Curl figures are the sum of curl's own
// time_total over the session's requests (process start-up excluded); skopeo figures are the
// wall time of the skopeo process. MB = 10^6 bytes. Client and servers share the machine's cores.
// The servers differ only in how they are started (SERVERS below); everything measured goes
// through the same functions.
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes, randomFillSync } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureBuilt, positiveInt } from './lib/build.mjs';
import { call, freePort, HOST } from './lib/http.mjs';
import { median, printTable, runBenchmark, stopProcess } from './lib/run.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MiB = 1024 * 1024;
const CHUNK_BYTES = 16 * MiB;
const BIG_IMAGE_LAYERS = 4;
const SMALL_IMAGE_LAYERS = 200;
const SMALL_LAYER_BYTES = 64 * 1024;
const PROCESS_TIMEOUT_S = 900;
const RSS_POLL_MS = 50;

const { values: args } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '1024' },
    only: { type: 'string' },
    'skip-skopeo': { type: 'boolean', default: false },
    measure: { type: 'string' },
    runs: { type: 'string', default: '2' },
    // With several runs: the median of the runs, or the best one.
    stat: { type: 'string', default: 'median' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log('usage: node scripts/bench-registry.mjs [--size-mib 1024] [--runs 1] [--stat median|best] [--only berth|registry] [--skip-skopeo] [--measure download,...]');
  process.exit(0);
}
const SIZE_MIB = positiveInt('size-mib', args['size-mib'], 64 * 1024);
const RUNS = positiveInt('runs', args.runs, 100);
if (!['median', 'best'].includes(args.stat)) throw new Error('--stat must be median or best');
if (args.only !== undefined && !['berth', 'registry'].includes(args.only)) throw new Error('--only must be berth or registry');
if (SIZE_MIB < BIG_IMAGE_LAYERS) throw new Error(`--size-mib must be at least ${BIG_IMAGE_LAYERS}`);
const SIZE_BYTES = SIZE_MIB * MiB;
const MEASURE_KEYS = ['upload-mono', 'upload-chunked', 'download', 'push-big', 'pull-big', 'push-small', 'pull-small'];
const SELECTED = args.measure === undefined ? MEASURE_KEYS : args.measure.split(',').map((key) => key.trim());
for (const key of SELECTED) if (!MEASURE_KEYS.includes(key)) throw new Error(`--measure: unknown '${key}' (known: ${MEASURE_KEYS.join(', ')})`);
const SKOPEO = !args['skip-skopeo'] && SELECTED.some((key) => key.startsWith('push-') || key.startsWith('pull-'));

const sizeLabel = (bytes) => (bytes % (1024 * MiB) === 0 ? `${bytes / (1024 * MiB)} GiB` : bytes % MiB === 0 ? `${bytes / MiB} MiB` : `${bytes / 1024} KiB`);
const fmt = (value, digits = 1) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Everything this benchmark writes lives under one directory, removed on exit, even on failure.
const WORK = mkdtempSync(join(tmpdir(), 'berth-bench-registry-'));

// --------------------------------------------------------------------------- child processes

const children = new Set();

/** Runs a command to completion; resolves { code, stdout, stderr, seconds }. */
function run(command, commandArgs, { env = process.env, timeoutS = PROCESS_TIMEOUT_S } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, commandArgs, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutS * 1000);
    child.once('error', (error) => {
      clearTimeout(timer);
      children.delete(child);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code: code ?? signal, stdout, stderr, seconds: (performance.now() - started) / 1000 });
    });
  });
}

function killAllNow() {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

function removeWork() {
  rmSync(WORK, { recursive: true, force: true });
}

// ----------------------------------------------------------------------------------- servers

/** Starts a long-running server process and waits until `ready(port)` holds. */
async function startProcess(label, command, commandArgs, { port, env, ready }) {
  const child = spawn(command, commandArgs, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let output = '';
  const keep = (chunk) => {
    output = (output + chunk).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const spawnError = new Promise((_, reject) => child.once('error', reject));
  const started = performance.now();
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${label} exited early (${child.exitCode ?? child.signalCode})`);
      if (performance.now() - started > 30_000) throw new Error(`${label} did not become ready within 30 s`);
      const isReady = await Promise.race([ready(port).catch(() => false), spawnError]);
      if (isReady) break;
      await sleep(20);
    }
  } catch (error) {
    await stopProcess(child);
    throw new Error(`${error.message}${output ? `\n${label} output:\n${output}` : ''}`);
  }
  return { pid: child.pid, stop: () => stopProcess(child), output: () => output };
}

async function startBerth(dataDir) {
  const port = await freePort();
  const server = await startProcess('berth', process.execPath, [join(ROOT, 'bin', 'berth.js'), 'serve', '--host', HOST, '--port', String(port), '--data-dir', dataDir], {
    port,
    env: { ...process.env, BERTH_LOG_LEVEL: 'warn' },
    ready: async (p) => (await call(p, { path: '/_berth/health' })).status === 200,
  });
  const v2 = await call(port, { path: '/v2/' });
  if (v2.status !== 200 && v2.status !== 401) {
    await server.stop();
    throw new Error(`Berth answers GET /v2/ with ${v2.status}: this build has no OCI registry yet`);
  }
  return {
    ...server,
    port,
    // Berth, like ECR, only accepts pushes to repositories created through the control plane.
    async createRepository(name) {
      const body = JSON.stringify({ repositoryName: name });
      const response = await call(port, {
        method: 'POST',
        headers: {
          'X-Amz-Target': 'AmazonEC2ContainerRegistry_V20150921.CreateRepository',
          'Content-Type': 'application/x-amz-json-1.1',
          'Content-Length': Buffer.byteLength(body),
        },
        body,
      });
      if (response.status !== 200) throw new Error(`CreateRepository ${name} failed: ${response.status} ${response.body}`);
    },
  };
}

async function startDockerRegistry(dataDir) {
  const port = await freePort();
  mkdirSync(join(dataDir, 'storage'), { recursive: true });
  const configPath = join(dataDir, 'config.yml');
  writeFileSync(
    configPath,
    [
      'version: 0.1',
      'log:',
      '  level: error',
      '  accesslog:',
      '    disabled: true',
      'storage:',
      '  filesystem:',
      `    rootdirectory: ${join(dataDir, 'storage')}`,
      '  cache:',
      '    blobdescriptor: inmemory',
      '  maintenance:',
      '    uploadpurging:',
      '      enabled: false',
      'http:',
      `  addr: ${HOST}:${port}`,
      `  secret: ${randomBytes(16).toString('hex')}`,
      '',
    ].join('\n'),
  );
  const server = await startProcess('docker-registry', '/usr/bin/docker-registry', ['serve', configPath], {
    port,
    env: process.env,
    ready: async (p) => (await call(p, { path: '/v2/' })).status === 200,
  });
  // Repositories spring into existence on first push.
  return { ...server, port, async createRepository() {} };
}

const SERVERS = [
  { key: 'berth', label: 'Berth', start: startBerth },
  { key: 'registry', label: 'docker-registry', start: startDockerRegistry },
].filter((server) => args.only === undefined || args.only === server.key);

// -------------------------------------------------------------------------------------- data

/** Writes `bytes` random bytes to `path`; returns its sha256 digest. */
function writeRandomFile(path, bytes) {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(Math.min(bytes, CHUNK_BYTES));
  const fd = openSync(path, 'w');
  try {
    for (let written = 0; written < bytes; ) {
      const slice = buffer.subarray(0, Math.min(buffer.length, bytes - written));
      randomFillSync(slice);
      hash.update(slice);
      writeSync(fd, slice);
      written += slice.length;
    }
  } finally {
    closeSync(fd);
  }
  return `sha256:${hash.digest('hex')}`;
}

/** A blob kept as 16 MiB chunk files, so chunked uploads need no slicing while timed. */
function writeChunkedBlob(dir, bytes) {
  mkdirSync(dir);
  const hash = createHash('sha256');
  const chunks = [];
  for (let offset = 0; offset < bytes; offset += CHUNK_BYTES) {
    const length = Math.min(CHUNK_BYTES, bytes - offset);
    const path = join(dir, `chunk-${String(chunks.length).padStart(5, '0')}`);
    const buffer = randomFillSync(Buffer.allocUnsafe(length));
    hash.update(buffer);
    writeFileSync(path, buffer);
    chunks.push({ path, start: offset, end: offset + length - 1 });
  }
  return { chunks, digest: `sha256:${hash.digest('hex')}`, size: bytes };
}

const sha256 = (buffer) => `sha256:${createHash('sha256').update(buffer).digest('hex')}`;

/**
 * An OCI image layout with uncompressed random "layers" (nothing inspects their contents), so
 * diff_ids equal the layer digests and skopeo has nothing to recompress.
 */
function writeOciLayout(dir, layerSizes) {
  const blobs = join(dir, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const putBlob = (content) => {
    const digest = sha256(content);
    writeFileSync(join(blobs, digest.slice('sha256:'.length)), content);
    return { digest, size: content.length };
  };
  const layers = layerSizes.map((size, i) => {
    const path = join(dir, `layer-${i}.tmp`);
    const digest = writeRandomFile(path, size);
    renameSync(path, join(blobs, digest.slice('sha256:'.length)));
    return { mediaType: 'application/vnd.oci.image.layer.v1.tar', digest, size };
  });
  const config = putBlob(
    Buffer.from(
      JSON.stringify({
        created: '2026-01-01T00:00:00Z',
        architecture: 'amd64',
        os: 'linux',
        config: {},
        rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.digest) },
        history: layers.map(() => ({ created: '2026-01-01T00:00:00Z', created_by: 'bench-registry' })),
      }),
    ),
  );
  const manifest = putBlob(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers,
      }),
    ),
  );
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{ mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: { 'org.opencontainers.image.ref.name': 'latest' } }],
    }),
  );
  return { dir, manifestDigest: manifest.digest, layerCount: layers.length, bytes: layerSizes.reduce((a, b) => a + b, 0) };
}

function prepareData() {
  const dataDir = join(WORK, 'data');
  mkdirSync(dataDir);
  const started = performance.now();
  const monoPath = join(dataDir, 'monolithic.bin');
  const mono = { path: monoPath, size: SIZE_BYTES, digest: writeRandomFile(monoPath, SIZE_BYTES) };
  const chunked = SELECTED.includes('upload-chunked') ? writeChunkedBlob(join(dataDir, 'chunked'), SIZE_BYTES) : undefined;
  let big;
  let small;
  if (SKOPEO) {
    const layerSize = Math.floor(SIZE_BYTES / BIG_IMAGE_LAYERS);
    const sizes = Array.from({ length: BIG_IMAGE_LAYERS }, (_, i) => (i === BIG_IMAGE_LAYERS - 1 ? SIZE_BYTES - layerSize * (BIG_IMAGE_LAYERS - 1) : layerSize));
    big = writeOciLayout(join(dataDir, 'big-oci'), sizes);
    small = writeOciLayout(join(dataDir, 'small-oci'), Array(SMALL_IMAGE_LAYERS).fill(SMALL_LAYER_BYTES));
  }
  console.log(`Prepared ${fmt((performance.now() - started) / 1000)} s of random data in ${dataDir}\n`);
  return { mono, chunked, big, small };
}

// ------------------------------------------------------------------------------------ curl

const CURL_MARK = '\n@@bench-registry@@';

/**
 * One curl request; resolves { status, seconds, downloaded, location, body } from curl's own -w
 * figures. `Expect:` stops curl waiting for 100 Continue before sending a body.
 */
async function curl(curlArgs) {
  const format = `${CURL_MARK}%{http_code} %{time_total} %{size_download} %header{location}`;
  const result = await run('curl', ['-sS', '--max-time', String(PROCESS_TIMEOUT_S), '-H', 'Expect:', '-w', format, ...curlArgs]);
  if (result.code !== 0) throw new Error(`curl ${curlArgs.join(' ')} failed (${result.code}): ${result.stderr.trim()}`);
  const at = result.stdout.lastIndexOf(CURL_MARK);
  const [status, seconds, downloaded, location = ''] = result.stdout.slice(at + CURL_MARK.length).split(' ');
  return { status: Number(status), seconds: Number(seconds), downloaded: Number(downloaded), location: location.trim(), body: result.stdout.slice(0, at) };
}

function expectStatus(response, expected, what) {
  if (response.status !== expected) throw new Error(`${what}: HTTP ${response.status}, expected ${expected}: ${response.body.slice(0, 500)}`);
}

const base = (server) => `http://${HOST}:${server.port}`;
const withDigest = (location, digest) => `${location}${location.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`;

async function startUpload(server, repo) {
  const response = await curl(['-X', 'POST', '-H', 'Content-Length: 0', `${base(server)}/v2/${repo}/blobs/uploads/`]);
  expectStatus(response, 202, 'POST blobs/uploads/');
  if (!response.location) throw new Error('POST blobs/uploads/ returned no Location');
  return { location: new URL(response.location, base(server)).href, seconds: response.seconds };
}

async function uploadMonolithic(server, repo, blob) {
  const upload = await startUpload(server, repo);
  const put = await curl(['-X', 'PUT', '-H', 'Content-Type: application/octet-stream', '-T', blob.path, '-o', '-', withDigest(upload.location, blob.digest)]);
  expectStatus(put, 201, 'PUT with body');
  return { bytes: blob.size, seconds: upload.seconds + put.seconds };
}

async function uploadChunked(server, repo, blob) {
  let { location, seconds } = await startUpload(server, repo);
  for (const chunk of blob.chunks) {
    const patch = await curl(['-X', 'PATCH', '-H', 'Content-Type: application/octet-stream', '-H', `Content-Range: ${chunk.start}-${chunk.end}`, '-T', chunk.path, '-o', '-', location]);
    expectStatus(patch, 202, `PATCH ${chunk.start}-${chunk.end}`);
    if (!patch.location) throw new Error('PATCH returned no Location');
    location = new URL(patch.location, base(server)).href;
    seconds += patch.seconds;
  }
  const put = await curl(['-X', 'PUT', '-H', 'Content-Length: 0', withDigest(location, blob.digest)]);
  expectStatus(put, 201, 'closing PUT ?digest=');
  return { bytes: blob.size, seconds: seconds + put.seconds };
}

async function download(server, repo, blob) {
  const response = await curl(['-o', '/dev/null', `${base(server)}/v2/${repo}/blobs/${blob.digest}`]);
  expectStatus(response, 200, 'GET blob');
  if (response.downloaded !== blob.size) throw new Error(`GET blob: ${response.downloaded} bytes, expected ${blob.size}`);
  return { bytes: blob.size, seconds: response.seconds };
}

/** HEAD of a blob: confirms the server holds exactly the uploaded bytes under that digest. */
async function checkBlob(server, repo, blob) {
  const head = await call(server.port, { method: 'HEAD', path: `/v2/${repo}/blobs/${blob.digest}` });
  if (head.status !== 200 || Number(head.headers['content-length']) !== blob.size) {
    throw new Error(`HEAD blob after upload: HTTP ${head.status}, Content-Length ${head.headers['content-length']}, expected 200 and ${blob.size}`);
  }
}

// ---------------------------------------------------------------------------------- skopeo

let skopeoNeedsUserNamespace;

/**
 * Runs skopeo with its home, blob-info cache and auth file in a fresh temporary directory. As root,
 * skopeo keeps its blob-info cache in /var/lib/containers whatever HOME says, so it runs in a user
 * namespace (unprivileged inside, same files outside) where the per-user locations apply. A fresh
 * cache per invocation also stops skopeo reusing what an earlier copy taught it.
 */
async function skopeo(skopeoArgs) {
  const home = mkdtempSync(join(WORK, 'skopeo-home-'));
  for (const sub of ['data', 'config', 'cache', 'run']) mkdirSync(join(home, sub), { mode: 0o700 });
  const policy = join(home, 'policy.json');
  writeFileSync(policy, JSON.stringify({ default: [{ type: 'insecureAcceptAnything' }] }));
  const env = { ...process.env, HOME: home, XDG_DATA_HOME: join(home, 'data'), XDG_CONFIG_HOME: join(home, 'config'), XDG_CACHE_HOME: join(home, 'cache'), XDG_RUNTIME_DIR: join(home, 'run') };
  if (skopeoNeedsUserNamespace === undefined) {
    skopeoNeedsUserNamespace = process.getuid?.() === 0;
    if (skopeoNeedsUserNamespace && spawnSync('unshare', ['--user', 'true']).status !== 0) {
      console.warn('WARNING: cannot run skopeo in a user namespace; its blob-info cache goes to /var/lib/containers/cache');
      skopeoNeedsUserNamespace = false;
    }
  }
  const command = skopeoNeedsUserNamespace ? ['unshare', ['--user', 'skopeo', '--policy', policy, ...skopeoArgs]] : ['skopeo', ['--policy', policy, ...skopeoArgs]];
  try {
    const result = await run(command[0], command[1], { env });
    if (result.code !== 0) throw new Error(`skopeo ${skopeoArgs.join(' ')} failed (${result.code}): ${result.stderr.trim().slice(-2000)}`);
    return result;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

const ociRef = (dir) => `oci:${dir}:latest`;
const dockerRef = (server, repo) => `docker://${HOST}:${server.port}/${repo}:latest`;

/** The pushed manifest must be byte-for-byte the local one: nothing was recompressed or rewritten. */
async function checkPushedManifest(server, repo, image) {
  const response = await call(server.port, { method: 'HEAD', path: `/v2/${repo}/manifests/latest`, headers: { Accept: 'application/vnd.oci.image.manifest.v1+json' } });
  const digest = response.headers['docker-content-digest'];
  if (response.status !== 200 || digest !== image.manifestDigest) {
    throw new Error(`pushed manifest: HTTP ${response.status}, digest ${digest}, expected ${image.manifestDigest}`);
  }
}

async function push(server, repo, image, { sampleRss = false } = {}) {
  const rss = sampleRss ? startRssSampler(server.pid) : undefined;
  const result = await skopeo(['copy', '--quiet', '--preserve-digests', '--dest-tls-verify=false', ociRef(image.dir), dockerRef(server, repo)]).finally(() => rss?.stop());
  await checkPushedManifest(server, repo, image);
  return { bytes: image.bytes, layers: image.layerCount, seconds: result.seconds, peakRssMiB: rss?.stop() };
}

async function pull(server, repo, image) {
  const dir = join(WORK, `pulled-${server.key}`);
  rmSync(dir, { recursive: true, force: true });
  try {
    const result = await skopeo(['copy', '--quiet', '--preserve-digests', '--src-tls-verify=false', '--dest-oci-accept-uncompressed-layers', dockerRef(server, repo), ociRef(dir)]);
    const pulled = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')).manifests[0].digest;
    if (pulled !== image.manifestDigest) throw new Error(`pulled manifest ${pulled}, expected ${image.manifestDigest}`);
    return { bytes: image.bytes, layers: image.layerCount, seconds: result.seconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Polls VmRSS every 50 ms; stop() returns the peak seen, in MiB. */
function startRssSampler(pid) {
  let peakKb = 0;
  const sample = () => {
    try {
      const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match) peakKb = Math.max(peakKb, Number(match[1]));
    } catch {
      // the process is gone; the measurement fails elsewhere
    }
  };
  sample();
  const timer = setInterval(sample, RSS_POLL_MS);
  let peakMiB;
  return {
    stop() {
      if (peakMiB === undefined) {
        clearInterval(timer);
        sample();
        peakMiB = peakKb / 1024;
      }
      return peakMiB;
    },
  };
}

// -------------------------------------------------------------------------------- measures

const MB = (r) => r.bytes / 1e6 / r.seconds;
const layersPerSecond = (r) => r.layers / r.seconds;

/** The measurements, in order; each runs against every server before the next one starts. */
function measures(data) {
  const list = [
    { key: 'upload-mono', title: `upload ${sizeLabel(SIZE_BYTES)} blob, monolithic POST+PUT (curl)`, unit: 'MB/s', value: MB, act: async (s) => {
      const r = await uploadMonolithic(s, 'bench/raw', data.mono);
      await checkBlob(s, 'bench/raw', data.mono);
      return r;
    } },
    { key: 'upload-chunked', title: `upload ${sizeLabel(SIZE_BYTES)} blob, ${sizeLabel(CHUNK_BYTES)} PATCH chunks (curl)`, unit: 'MB/s', value: MB, act: async (s) => {
      const r = await uploadChunked(s, 'bench/raw', data.chunked);
      await checkBlob(s, 'bench/raw', data.chunked);
      return r;
    } },
    { key: 'download', title: `download ${sizeLabel(SIZE_BYTES)} blob, GET (curl)`, unit: 'MB/s', value: MB, act: (s) => download(s, 'bench/raw', data.mono),
      // Only when the monolithic upload was not measured before it.
      prepare: (s) => (SELECTED.includes('upload-mono') ? undefined : uploadMonolithic(s, 'bench/raw', data.mono)) },
  ];
  if (SKOPEO) {
    const bigLabel = `${sizeLabel(data.big.bytes)} image (${BIG_IMAGE_LAYERS} x ${sizeLabel(Math.floor(data.big.bytes / BIG_IMAGE_LAYERS))})`;
    const smallLabel = `${SMALL_IMAGE_LAYERS} x ${sizeLabel(SMALL_LAYER_BYTES)} image`;
    list.push(
      { key: 'push-big', title: `skopeo push ${bigLabel}`, unit: 'MB/s', value: MB, act: (s) => push(s, 'bench/big', data.big, { sampleRss: true }) },
      { key: 'pull-big', title: `skopeo pull ${bigLabel}`, unit: 'MB/s', value: MB, act: (s) => pull(s, 'bench/big', data.big) },
      { key: 'push-small', title: `skopeo push ${smallLabel}`, unit: 'layers/s', value: layersPerSecond, act: (s) => push(s, 'bench/small', data.small) },
      { key: 'pull-small', title: `skopeo pull ${smallLabel}`, unit: 'layers/s', value: layersPerSecond, act: (s) => pull(s, 'bench/small', data.small) },
    );
  }
  return list.filter((measure) => SELECTED.includes(measure.key));
}

const REPOSITORIES = ['bench/raw', 'bench/big', 'bench/small'];

// ------------------------------------------------------------------------------------ main

async function main() {
  if (SERVERS.some((s) => s.key === 'berth')) ensureBuilt(ROOT);
  console.log(
    `Registry benchmark: ${SERVERS.map((s) => s.label).join(' vs ')}, ${sizeLabel(SIZE_BYTES)} blobs, ${RUNS} run(s) (${args.stat}), ` +
      `${availableParallelism()} CPU(s) shared by client and servers; MB = 10^6 bytes\n`,
  );
  const data = prepareData();
  const list = measures(data);
  // results[measure][server] = one entry per run: a number or an Error
  const results = Object.fromEntries(list.map((m) => [m.key, Object.fromEntries(SERVERS.map((s) => [s.key, []]))]));
  const peakRss = Object.fromEntries(SERVERS.map((s) => [s.key, []]));

  for (let runIndex = 1; runIndex <= RUNS; runIndex++) {
    console.log(`Run ${runIndex}/${RUNS}`);
    const started = [];
    try {
      for (const definition of SERVERS) {
        const dataDir = join(WORK, `${definition.key}-run${runIndex}`);
        mkdirSync(dataDir);
        const server = { ...definition, ...(await definition.start(dataDir)), dataDir };
        started.push(server);
        for (const repo of REPOSITORIES) await server.createRepository(repo);
      }
      for (const [measureIndex, measure] of list.entries()) {
        // Which server goes first alternates from measure to measure and from run to run: the
        // first of a pair was measured slower (a skopeo pull right after the two pushes took
        // ~1.5x as long, whichever server it was), so a fixed order favours the second server.
        const order = (runIndex + measureIndex) % 2 === 1 ? started : [...started].reverse();
        for (const server of order) {
          try {
            await measure.prepare?.(server);
            // Earlier writes still in the page cache must not be flushed on this measurement's time.
            spawnSync('sync');
            const outcome = await measure.act(server);
            const value = measure.value(outcome);
            results[measure.key][server.key].push(value);
            if (outcome.peakRssMiB !== undefined) peakRss[server.key].push(outcome.peakRssMiB);
            const rss = outcome.peakRssMiB !== undefined ? `, peak RSS ${fmt(outcome.peakRssMiB)} MiB` : '';
            console.log(`  ${server.label.padEnd(16)} ${measure.title}: ${fmt(outcome.seconds, 2)} s, ${fmt(value)} ${measure.unit}${rss}`);
          } catch (error) {
            results[measure.key][server.key].push(error);
            console.log(`  ${server.label.padEnd(16)} ${measure.title}: FAILED: ${error.message}`);
          }
        }
      }
    } finally {
      for (const server of started) {
        await server.stop();
        rmSync(server.dataDir, { recursive: true, force: true });
      }
    }
    console.log('');
  }

  // Summary table: one row per measure, a column per server, and the ratio when both ran.
  const summarize = (values, higherIsBetter = true) => {
    const numbers = values.filter((v) => typeof v === 'number');
    if (numbers.length === 0) return undefined;
    if (args.stat === 'best') return higherIsBetter ? Math.max(...numbers) : Math.min(...numbers);
    return median(numbers);
  };
  // With several runs the spread follows the figure, so noise is visible next to it.
  const cell = (values, summary) => {
    const numbers = values.filter((v) => typeof v === 'number');
    const failures = values.length - numbers.length;
    if (summary === undefined) return 'failed';
    const spread = numbers.length > 1 ? ` [${fmt(Math.min(...numbers))}-${fmt(Math.max(...numbers))}]` : '';
    return `${fmt(summary)}${spread}${failures ? ` (${failures} failed)` : ''}`;
  };
  const both = SERVERS.length === 2;
  const header = ['measurement', 'unit', ...SERVERS.map((s) => s.label), ...(both ? ['Berth/docker-registry'] : [])];
  const rows = list.map((measure) => {
    const values = SERVERS.map((s) => results[measure.key][s.key]);
    const summaries = values.map((v) => summarize(v));
    const ratio = both && summaries.every((v) => v !== undefined) ? `${fmt(summaries[0] / summaries[1], 2)}x` : '-';
    return [measure.title, measure.unit, ...values.map((v, i) => cell(v, summaries[i])), ...(both ? [ratio] : [])];
  });
  if (SKOPEO) {
    const values = SERVERS.map((s) => peakRss[s.key]);
    const summaries = values.map((v) => summarize(v, false));
    const ratio = both && summaries.every((v) => v !== undefined) ? `${fmt(summaries[0] / summaries[1], 2)}x` : '-';
    rows.push([`peak RSS during ${sizeLabel(SIZE_BYTES)} skopeo push (lower is better)`, 'MiB', ...values.map((v, i) => cell(v, summaries[i])), ...(both ? [ratio] : [])]);
  }
  printTable(header, rows);
  console.log(
    `\n${RUNS > 1 ? `${args.stat} of ${RUNS} runs [min-max]. ` : ''}Curl figures: sum of curl's time_total over the session's requests. ` +
      `skopeo figures: wall time of skopeo copy (--preserve-digests, uncompressed layers). RSS: VmRSS polled every ${RSS_POLL_MS} ms.`,
  );
  const failed = Object.values(results).some((byServer) => Object.values(byServer).some((values) => values.some((v) => v instanceof Error)));
  if (failed) {
    console.error('\nSome measurements failed (see above).');
    process.exitCode = 1;
  }
}

runBenchmark(main, {
  ceilingMs: RUNS * (SKOPEO ? 9 : 3) * PROCESS_TIMEOUT_S * 1000,
  cleanup: () => {
    killAllNow();
    removeWork();
  },
});
