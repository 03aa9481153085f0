// Image scanning benchmark: how long Berth takes to scan a large image, and how much memory the
// scan adds to the server.
//
//   npm run bench:scan [-- --size-mib 500 --runs 1]
//
// Before anything is timed, the benchmark writes a small OSV database (Debian:12 records, a few
// affecting packages the image has installed, a few hundred that match a package but not its
// version) and an image of --size-mib compressed bytes: 5 gzip layers of many files of partly
// compressible data (text-like runs, zero runs and random bytes, about 1.8:1 overall), the first
// layer holding etc/os-release for Debian 12 and a var/lib/dpkg/status of a few hundred packages.
// Layers are streamed (tar-stream -> gzip -> file), never held in memory.
//
// Each run starts Berth afresh (`berth serve --data-dir <tmp> --vuln-db <tmp>`, data on disk, so
// stored blobs are not counted in its RSS), creates the repositories with the AWS SDK, pushes
// the image through /v2 (POST upload, PUT with the layer file streamed, manifest PUT), then scans
// a small warm-up image so the vulnerability database is loaded. The server's VmRSS is sampled
// every 50 ms: the baseline is the median over a quiet second once all that has settled, the
// peak is the highest sample from StartImageScan until DescribeImageScanFindings reports the
// scan COMPLETE or FAILED. Scan wall time is that same interval (polled every 100 ms).
// The findings must be exactly the expected (vulnerability, package) pairs, otherwise the
// benchmark exits non-zero. The layers were just pushed, so they are read from the page cache.
// MB = 10^6 bytes, MiB = 2^20 bytes. Target (from the issue): the scan raises the server's RSS by
// at most 100 MB.
import { createHash, randomFillSync, randomInt } from 'node:crypto';
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';
import {
  CreateRepositoryCommand,
  DescribeImageScanFindingsCommand,
  ECRClient,
  StartImageScanCommand,
} from '@aws-sdk/client-ecr';
import tarStream from 'tar-stream';
import { startBerthProcess } from './lib/berth-process.mjs';
import { ensureBuilt, positiveInt } from './lib/build.mjs';
import { freePort, HOST } from './lib/http.mjs';
import { median, printTable, runBenchmark, stopProcess } from './lib/run.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MiB = 1024 * 1024;
const LAYERS = 5;
const RSS_POLL_MS = 50;
const SCAN_POLL_MS = 100;
const SETTLE_MS = 2000;
const BASELINE_WINDOW_MS = 1000;
const SCAN_TIMEOUT_MS = 15 * 60 * 1000;
const TARGET_GROWTH_MB = 100;
const BIG_REPOSITORY = 'bench/scan-big';
const WARMUP_REPOSITORY = 'bench/scan-warmup';
const MEDIA = {
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
};
const CLIENT = { region: 'us-east-1', credentials: { accessKeyId: '000000000000', secretAccessKey: 'bench' } };

const { values: args } = parseArgs({
  options: {
    'size-mib': { type: 'string', default: '500' },
    runs: { type: 'string', default: '1' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (args.help) {
  console.log('usage: node scripts/bench-scan.mjs [--size-mib 500] [--runs 1]');
  process.exit(0);
}
const SIZE_MIB = positiveInt('size-mib', args['size-mib'], 64 * 1024);
const RUNS = positiveInt('runs', args.runs, 100);
if (SIZE_MIB < LAYERS) throw new Error(`--size-mib must be at least ${LAYERS}`);

const fmt = (value, digits = 1) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const sha256 = (bytes) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

// Everything this benchmark writes lives under one directory, removed on exit, even on failure.
const WORK = mkdtempSync(join(tmpdir(), 'berth-bench-scan-'));

// ------------------------------------------------------------------ vulnerability database

// Installed packages the records are about. Findings are per (vulnerability, binary package):
// Debian tracks by source package, so one record reports every binary package built from it.
const VULNERABLE_PACKAGES = [
  { name: 'openssl', version: '3.0.11-1~deb12u1' },
  { name: 'libssl3', version: '3.0.11-1~deb12u1', source: 'openssl' },
  { name: 'curl', version: '7.88.1-10+deb12u5' },
  { name: 'libcurl4', version: '7.88.1-10+deb12u5', source: 'curl' },
  { name: 'libc6', version: '2.36-9+deb12u4', source: 'glibc' },
  { name: 'libc-bin', version: '2.36-9+deb12u4', source: 'glibc' },
  { name: 'perl-base', version: '5.36.0-7+deb12u1', source: 'perl' },
  { name: 'perl', version: '5.36.0-7+deb12u1' },
  { name: 'perl-modules-5.36', version: '5.36.0-7+deb12u1', source: 'perl' },
  { name: 'tar', version: '1.34+dfsg-1.2+deb12u1' },
  // Installed, but not affected by their records (see below).
  { name: 'zlib1g', version: '1:1.2.13.dfsg-1', source: 'zlib' },
  { name: 'bash', version: '5.2.15-2+b2' },
];

/** Filler packages, each with a record whose fix is older than what is installed. */
const FILLER_PACKAGES = 320;
const fillerName = (i) => `libbench${String(i).padStart(3, '0')}-${['core', 'utils', 'data', 'dev', 'common'][i % 5]}`;
const fillerVersion = (i) => `${1 + (i % 7)}.${i % 13}.${i % 5}-${1 + (i % 3)}`;

function osvRecord(id, ecosystem, name, fixed, extra = {}) {
  return {
    id,
    modified: '2026-11-01T00:00:00Z',
    published: '2026-10-01T00:00:00Z',
    aliases: [id.replace(/^DEBIAN-/, '')],
    summary: `${id} in ${name}`,
    details: `A benchmark vulnerability in ${name}.`,
    severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }],
    affected: [{ package: { ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, ...(fixed ? [{ fixed }] : [])] }] }],
    references: [{ type: 'ADVISORY', url: `https://security-tracker.example/${id}` }],
    ...extra,
  };
}

const VULN_RECORDS = [
  // Affected: the installed (source) version is below the fix, or there is no fix.
  osvRecord('DEBIAN-CVE-2026-3001', 'Debian:12', 'openssl', '3.0.11-1~deb12u2'),
  osvRecord('DEBIAN-CVE-2026-3002', 'Debian:12', 'curl', '7.88.1-10+deb12u6'),
  osvRecord('DEBIAN-CVE-2026-3003', 'Debian:12', 'glibc', '2.36-9+deb12u5'),
  osvRecord('DEBIAN-CVE-2026-3004', 'Debian:12', 'perl', '5.36.0-7+deb12u2'),
  osvRecord('DEBIAN-CVE-2026-3005', 'Debian:12', 'tar', undefined),
  // Not affected: installed exactly at the fix, newer than the fix (binNMU), another release.
  osvRecord('DEBIAN-CVE-2026-3006', 'Debian:12', 'zlib', '1:1.2.13.dfsg-1'),
  osvRecord('DEBIAN-CVE-2026-3007', 'Debian:12', 'bash', '5.2.15-2'),
  osvRecord('DEBIAN-CVE-2026-3008', 'Debian:11', 'openssl', '3.0.99-1'),
  ...Array.from({ length: FILLER_PACKAGES }, (_, i) => osvRecord(`DEBIAN-CVE-2025-${String(10000 + i)}`, 'Debian:12', fillerName(i), '0.9-1')),
];

/** "CVE package" for every finding the big image must produce. */
const EXPECTED_FINDINGS = [
  ['CVE-2026-3001', ['openssl', 'libssl3']],
  ['CVE-2026-3002', ['curl', 'libcurl4']],
  ['CVE-2026-3003', ['libc6', 'libc-bin']],
  ['CVE-2026-3004', ['perl-base', 'perl', 'perl-modules-5.36']],
  ['CVE-2026-3005', ['tar']],
].flatMap(([cve, packages]) => packages.map((name) => `${cve} ${name}`)).sort();

/** The warm-up image has only openssl and libssl3 installed. */
const WARMUP_PACKAGES = VULNERABLE_PACKAGES.slice(0, 2);
const EXPECTED_WARMUP_FINDINGS = ['CVE-2026-3001 libssl3', 'CVE-2026-3001 openssl'];

function writeVulnDb(dir) {
  mkdirSync(join(dir, 'nested'), { recursive: true });
  VULN_RECORDS.forEach((record, i) => writeFileSync(join(dir, i % 2 ? 'nested' : '', `${record.id}.json`), JSON.stringify(record, null, 2)));
}

// ------------------------------------------------------------------------- image content

const OS_RELEASE =
  'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION="12 (bookworm)"\n' +
  'VERSION_CODENAME=bookworm\nID=debian\nHOME_URL="https://www.debian.org/"\n';

function dpkgStanza(pkg) {
  return [
    `Package: ${pkg.name}`,
    'Status: install ok installed',
    'Priority: optional',
    `Section: ${pkg.section ?? 'libs'}`,
    `Installed-Size: ${pkg.installedSize ?? 1024}`,
    'Maintainer: Debian Benchmark Maintainers <bench@example.org>',
    'Architecture: amd64',
    ...(pkg.source ? [`Source: ${pkg.source}`] : []),
    `Version: ${pkg.version}`,
    'Depends: libc6 (>= 2.34)',
    `Description: ${pkg.name} for the scan benchmark`,
    ` A package installed in the benchmark image; its files are elsewhere in the layers.`,
    ` .`,
    ` Homepage and more text to make the stanza the size of a real one.`,
    '',
  ].join('\n');
}

function dpkgStatus(packages) {
  return packages.map(dpkgStanza).join('\n');
}

const BIG_IMAGE_PACKAGES = [
  ...VULNERABLE_PACKAGES,
  ...Array.from({ length: FILLER_PACKAGES }, (_, i) => ({ name: fillerName(i), version: fillerVersion(i), installedSize: 100 + i })),
];

// Text-like content: slices of a corpus of pseudo-words (compresses about 3:1 with gzip -6).
const CORPUS = (() => {
  const syllables = ['ka', 'lo', 'mi', 'ne', 'su', 'tar', 'vel', 'xo', 'ri', 'pan', 'dor', 'fi', 'gre', 'ub', 'os', 'que', 'zel', 'hy', 'ja', 'wen'];
  const words = Array.from({ length: 3000 }, () => Array.from({ length: 1 + randomInt(4) }, () => syllables[randomInt(syllables.length)]).join(''));
  const punctuation = [' ', ' ', ' ', ' ', ', ', '. ', '(', ') ', ' = ', ';\n', '\n', '_', '/', '{ ', ' }\n'];
  const parts = [];
  let length = 0;
  while (length < 4 * MiB) {
    const part = words[randomInt(words.length)] + punctuation[randomInt(punctuation.length)] + (randomInt(8) === 0 ? String(randomInt(1e6)) : '');
    parts.push(part);
    length += part.length;
  }
  return Buffer.from(parts.join(''));
})();

const BLOCK = 4096;

/**
 * One file's bytes. Three kinds, as an image's files mix them: text (sources, docs, scripts),
 * binaries (4 KiB blocks that are random, zero, or text-like, as code, padding and string
 * tables are), and already compressed assets (random bytes).
 */
function fileContent(size, kind) {
  const buffer = Buffer.allocUnsafe(size);
  if (kind === 'compressed') return randomFillSync(buffer);
  for (let offset = 0; offset < size; offset += BLOCK) {
    const length = Math.min(BLOCK, size - offset);
    const roll = kind === 'text' ? 99 : randomInt(100);
    if (roll < 25) randomFillSync(buffer, offset, length);
    else if (roll < 45) buffer.fill(0, offset, offset + length);
    else {
      const from = randomInt(CORPUS.length - length);
      CORPUS.copy(buffer, offset, from, from + length);
    }
  }
  return buffer;
}

/** A file size, log-uniform from 256 B to 1 MiB: many small files, most bytes in the large ones. */
const fileSize = () => Math.round(Math.exp(Math.log(256) + Math.random() * (Math.log(MiB) - Math.log(256))));
const fileKind = () => {
  const roll = randomInt(100);
  return roll < 30 ? 'text' : roll < 85 ? 'binary' : 'compressed';
};
const EXTENSION = { text: '.txt', binary: '.so', compressed: '.gz' };

/** Counts (and hashes) the bytes passing through. */
function tap() {
  const hash = createHash('sha256');
  const state = { bytes: 0, digest: () => `sha256:${hash.digest('hex')}` };
  state.stream = new Transform({
    transform(chunk, _encoding, done) {
      hash.update(chunk);
      state.bytes += chunk.length;
      done(null, chunk);
    },
  });
  return state;
}

/**
 * Writes a gzipped tar layer to `path`: `entries` first, then generated files until the
 * compressed output reaches `targetBytes`. Streams throughout: at most one file in memory.
 */
async function writeLayer(path, { index, entries = [], targetBytes = 0 }) {
  const pack = tarStream.pack();
  const tar = tap();
  const gz = tap();
  const writing = pipeline(pack, tar.stream, createGzip({ level: 6 }), gz.stream, createWriteStream(path));
  let failure;
  writing.catch((error) => (failure = error));
  const mtime = new Date('2026-01-01T00:00:00Z');
  const add = (header, body) => {
    if (failure) throw failure;
    return new Promise((resolve, reject) => pack.entry({ mtime, ...header }, body, (error) => (error ? reject(error) : resolve())));
  };
  const directories = new Set();
  const addDirectory = async (dir) => {
    const parts = dir.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const path = parts.slice(0, i).join('/');
      if (directories.has(path)) continue;
      directories.add(path);
      await add({ name: `${path}/`, type: 'directory', mode: 0o755 });
    }
  };

  for (const entry of entries) {
    await addDirectory(dirname(entry.name));
    await add({ name: entry.name, mode: 0o644 }, Buffer.from(entry.content));
  }
  let files = entries.length;
  const top = ['usr/lib/x86_64-linux-gnu', 'usr/share', 'opt/app', 'usr/local/lib/python3.11/site-packages', 'var/cache'][index % 5];
  while (gz.bytes < targetBytes) {
    const dir = `${top}/bench-layer${index}/group${Math.floor(files / 200)}/pkg${Math.floor(files / 40)}`;
    await addDirectory(dir);
    const kind = fileKind();
    const name = `${dir}/file${files}${EXTENSION[kind]}`;
    await add({ name, mode: kind === 'binary' ? 0o755 : 0o644 }, fileContent(fileSize(), kind));
    files += 1;
    if (files % 97 === 0) {
      await add({ name: `${dir}/link${files}`, type: 'symlink', linkname: `file${files - 1}${EXTENSION[kind]}` });
      files += 1;
    }
  }
  pack.finalize();
  await writing;
  return { path, digest: gz.digest(), size: gz.bytes, diffId: tar.digest(), tarBytes: tar.bytes, files };
}

/** An image's layer files plus its config and manifest (small, kept in memory). */
function imageOf(layers, label) {
  const config = Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      created: '2026-01-01T00:00:00Z',
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['/bin/bash'] },
      rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.diffId) },
      history: layers.map((_, i) => ({ created: '2026-01-01T00:00:00Z', created_by: `${label} layer ${i}` })),
    }),
  );
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.manifest,
      config: { mediaType: MEDIA.config, digest: sha256(config), size: config.length },
      layers: layers.map((layer) => ({ mediaType: MEDIA.layer, digest: layer.digest, size: layer.size })),
    }),
  );
  return {
    layers,
    config,
    manifest,
    digest: sha256(manifest),
    compressedBytes: layers.reduce((sum, layer) => sum + layer.size, 0),
    tarBytes: layers.reduce((sum, layer) => sum + layer.tarBytes, 0),
    files: layers.reduce((sum, layer) => sum + layer.files, 0),
  };
}

async function prepareImages() {
  const started = performance.now();
  const target = Math.floor((SIZE_MIB * MiB) / LAYERS);
  const base = [
    { name: 'etc/os-release', content: OS_RELEASE },
    { name: 'var/lib/dpkg/status', content: dpkgStatus(BIG_IMAGE_PACKAGES) },
  ];
  // gzip runs on libuv's thread pool: layers written side by side use the machine's cores.
  const concurrency = Math.max(1, Math.min(LAYERS, availableParallelism(), 4));
  const layers = new Array(LAYERS);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < LAYERS; i = next++) {
        layers[i] = await writeLayer(join(WORK, `big-layer-${i}.tar.gz`), { index: i, entries: i === 0 ? base : [], targetBytes: target });
      }
    }),
  );
  const big = imageOf(layers, 'bench-scan');
  const warmupLayer = await writeLayer(join(WORK, 'warmup-layer.tar.gz'), {
    index: 0,
    entries: [
      { name: 'etc/os-release', content: OS_RELEASE },
      { name: 'var/lib/dpkg/status', content: dpkgStatus(WARMUP_PACKAGES) },
    ],
  });
  const warmup = imageOf([warmupLayer], 'bench-scan-warmup');
  console.log(
    `Prepared in ${fmt((performance.now() - started) / 1000)} s: ${LAYERS} gzip layers, ${fmt(big.compressedBytes / MiB)} MiB compressed, ` +
      `${fmt(big.tarBytes / MiB)} MiB of tar (${fmt(big.tarBytes / big.compressedBytes, 2)}:1), ${big.files.toLocaleString('en-US')} entries; ` +
      `${BIG_IMAGE_PACKAGES.length} dpkg packages; ${VULN_RECORDS.length} OSV records; ${EXPECTED_FINDINGS.length} findings expected\n`,
  );
  return { big, warmup };
}

// --------------------------------------------------------------------------------- server

const children = new Set();

async function startBerth(dataDir, vulnDb) {
  const port = await freePort();
  const serveArgs = ['--data-dir', dataDir, '--vuln-db', vulnDb, '--lifecycle-interval', '0'];
  const { child, output } = await startBerthProcess(ROOT, { port, serveArgs, children });
  const stop = () => stopProcess(child);
  const client = new ECRClient({ ...CLIENT, endpoint: `http://${HOST}:${port}` });
  return { pid: child.pid, port, client, output: () => output, stop: async () => (client.destroy(), stop()) };
}

/** One request with a streamed body (a file) or a buffer; resolves { status, headers, body }. */
function send(port, { method, path, headers = {}, file, body }) {
  return new Promise((resolve, reject) => {
    const req = request({ host: HOST, port, method, path, headers, agent: false }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (file) pipeline(createReadStream(file), req).catch(reject);
    else req.end(body);
  });
}

async function pushBlob(server, repository, { digest, size, file, body }) {
  const started = await send(server.port, { method: 'POST', path: `/v2/${repository}/blobs/uploads/`, headers: { 'Content-Length': 0 } });
  if (started.status !== 202 || !started.headers.location) throw new Error(`POST blobs/uploads/: ${started.status} ${started.body}`);
  const location = new URL(started.headers.location, `http://${HOST}:${server.port}`);
  location.searchParams.set('digest', digest);
  const put = await send(server.port, {
    method: 'PUT',
    path: `${location.pathname}${location.search}`,
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': size },
    file,
    body,
  });
  if (put.status !== 201) throw new Error(`PUT blob ${digest}: ${put.status} ${put.body}`);
}

async function pushImage(server, repository, tag, image) {
  for (const layer of image.layers) await pushBlob(server, repository, { digest: layer.digest, size: layer.size, file: layer.path });
  await pushBlob(server, repository, { digest: sha256(image.config), size: image.config.length, body: image.config });
  const put = await send(server.port, {
    method: 'PUT',
    path: `/v2/${repository}/manifests/${tag}`,
    headers: { 'Content-Type': MEDIA.manifest, 'Content-Length': image.manifest.length },
    body: image.manifest,
  });
  if (put.status !== 201) throw new Error(`PUT manifest: ${put.status} ${put.body}`);
}

// ------------------------------------------------------------------------------- scanning

/** VmRSS of `pid` every 50 ms, with the time of each sample. */
function startRssSampler(pid) {
  const samples = [];
  const sample = () => {
    try {
      const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match) samples.push({ at: performance.now(), mib: Number(match[1]) / 1024 });
    } catch {
      // the process is gone; the run fails elsewhere
    }
  };
  sample();
  const timer = setInterval(sample, RSS_POLL_MS);
  return {
    sample,
    between: (from, to) => samples.filter((s) => s.at >= from && s.at <= to).map((s) => s.mib),
    stop: () => clearInterval(timer),
  };
}

/** Starts a scan and polls until it is COMPLETE or FAILED; resolves with the findings. */
async function scan(client, repositoryName, tag) {
  const imageId = { imageTag: tag };
  const started = performance.now();
  const reply = await client.send(new StartImageScanCommand({ repositoryName, imageId }));
  if (reply.imageScanStatus?.status !== 'IN_PROGRESS') throw new Error(`StartImageScan answered ${JSON.stringify(reply.imageScanStatus)}`);
  for (;;) {
    const out = await client.send(new DescribeImageScanFindingsCommand({ repositoryName, imageId, maxResults: 1000 }));
    const status = out.imageScanStatus?.status;
    if (status === 'COMPLETE' || status === 'FAILED') {
      const finished = performance.now();
      const findings = [...(out.imageScanFindings?.findings ?? [])];
      for (let token = out.nextToken; token; ) {
        const page = await client.send(new DescribeImageScanFindingsCommand({ repositoryName, imageId, maxResults: 1000, nextToken: token }));
        findings.push(...(page.imageScanFindings?.findings ?? []));
        token = page.nextToken;
      }
      const packageOf = (finding) => finding.attributes?.find((a) => a.key === 'package_name')?.value;
      return {
        status,
        description: out.imageScanStatus?.description,
        started,
        finished,
        seconds: (finished - started) / 1000,
        findings: findings.map((finding) => `${finding.name} ${packageOf(finding)}`).sort(),
      };
    }
    if (performance.now() - started > SCAN_TIMEOUT_MS) throw new Error(`scan still ${status} after ${SCAN_TIMEOUT_MS / 1000} s`);
    await sleep(SCAN_POLL_MS);
  }
}

function checkFindings(label, result, expected) {
  if (result.status !== 'COMPLETE') throw new Error(`${label} scan ${result.status}: ${result.description}`);
  const same = result.findings.length === expected.length && result.findings.every((f, i) => f === expected[i]);
  if (!same) throw new Error(`${label} scan found ${result.findings.length} findings, expected ${expected.length}:\n  got      ${result.findings.join(', ')}\n  expected ${expected.join(', ')}`);
}

async function runOnce(runIndex, images, vulnDb) {
  const dataDir = join(WORK, `data-run${runIndex}`);
  mkdirSync(dataDir);
  const server = await startBerth(dataDir, vulnDb);
  try {
    for (const repositoryName of [BIG_REPOSITORY, WARMUP_REPOSITORY]) {
      await server.client.send(new CreateRepositoryCommand({ repositoryName, imageScanningConfiguration: { scanOnPush: false } }));
    }
    const pushStarted = performance.now();
    await pushImage(server, BIG_REPOSITORY, 'latest', images.big);
    const pushSeconds = (performance.now() - pushStarted) / 1000;
    await pushImage(server, WARMUP_REPOSITORY, 'latest', images.warmup);

    const rss = startRssSampler(server.pid);
    try {
      // Loads the vulnerability database, and runs the scanner's code once.
      checkFindings('warm-up', await scan(server.client, WARMUP_REPOSITORY, 'latest'), EXPECTED_WARMUP_FINDINGS);
      await sleep(SETTLE_MS);
      const windowStart = performance.now();
      await sleep(BASELINE_WINDOW_MS);
      const baselineMiB = median(rss.between(windowStart, performance.now()));

      const result = await scan(server.client, BIG_REPOSITORY, 'latest');
      rss.sample();
      const during = rss.between(result.started, performance.now());
      const peakMiB = Math.max(...during);
      await sleep(500);
      const afterMiB = rss.between(performance.now() - 300, performance.now()).at(-1);
      if (result.status === 'FAILED') throw new Error(`scan FAILED: ${result.description}`);
      checkFindings('big image', result, EXPECTED_FINDINGS);
      return { pushSeconds, seconds: result.seconds, findings: result.findings.length, baselineMiB, peakMiB, afterMiB, samples: during.length };
    } finally {
      rss.stop();
    }
  } finally {
    await server.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------------------------ main

const MB = (mib) => (mib * MiB) / 1e6;

async function main() {
  ensureBuilt(ROOT);
  console.log(
    `Scan benchmark: ${SIZE_MIB} MiB image (${LAYERS} gzip layers), ${RUNS} run(s); ${availableParallelism()} CPU(s) shared by the benchmark and Berth; ` +
      `MB = 10^6 bytes, MiB = 2^20 bytes\n`,
  );
  const vulnDb = join(WORK, 'osv');
  writeVulnDb(vulnDb);
  const images = await prepareImages();

  const runs = [];
  for (let runIndex = 1; runIndex <= RUNS; runIndex++) {
    const r = await runOnce(runIndex, images, vulnDb);
    runs.push(r);
    console.log(
      `Run ${runIndex}/${RUNS}: push ${fmt(r.pushSeconds, 2)} s; scan ${fmt(r.seconds, 2)} s, ${r.findings} findings; ` +
        `RSS baseline ${fmt(r.baselineMiB)} MiB, peak ${fmt(r.peakMiB)} MiB (+${fmt(r.peakMiB - r.baselineMiB)} MiB), ${fmt(r.afterMiB)} MiB after (${r.samples} samples)`,
    );
  }
  console.log('');

  const { big } = images;
  const summary = (pick, digits = 1) => {
    const values = runs.map(pick);
    const value = median(values);
    const spread = values.length > 1 ? ` [${fmt(Math.min(...values), digits)}-${fmt(Math.max(...values), digits)}]` : '';
    return { value, text: `${fmt(value, digits)}${spread}` };
  };
  const growth = summary((r) => MB(r.peakMiB - r.baselineMiB));
  const rows = [
    ['scan wall time (StartImageScan to COMPLETE)', 's', summary((r) => r.seconds, 2).text],
    [`throughput, compressed (${fmt(big.compressedBytes / 1e6)} MB)`, 'MB/s', summary((r) => big.compressedBytes / 1e6 / r.seconds).text],
    [`throughput, uncompressed tar (${fmt(big.tarBytes / 1e6)} MB)`, 'MB/s', summary((r) => big.tarBytes / 1e6 / r.seconds).text],
    ['server RSS baseline (after push and warm-up scan)', 'MiB', summary((r) => r.baselineMiB).text],
    ['server RSS peak during scan', 'MiB', summary((r) => r.peakMiB).text],
    ['peak minus baseline', 'MiB', summary((r) => r.peakMiB - r.baselineMiB).text],
    ['peak minus baseline', 'MB', growth.text],
    [`findings (expected ${EXPECTED_FINDINGS.length})`, '', summary((r) => r.findings, 0).text],
  ];
  printTable(['measurement', 'unit', RUNS > 1 ? `median of ${RUNS} [min-max]` : 'value'], rows);
  const met = growth.value <= TARGET_GROWTH_MB;
  console.log(`\nTarget: the scan raises the server's RSS by at most ${TARGET_GROWTH_MB} MB: ${met ? 'met' : 'NOT met'} (${fmt(growth.value)} MB).`);
  console.log(`RSS: VmRSS polled every ${RSS_POLL_MS} ms; baseline = median over ${BASELINE_WINDOW_MS / 1000} s after ${SETTLE_MS / 1000} s of quiet. Scan time: DescribeImageScanFindings polled every ${SCAN_POLL_MS} ms.`);
}

runBenchmark(main, {
  ceilingMs: (10 + RUNS * 20) * 60 * 1000,
  cleanup: () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    rmSync(WORK, { recursive: true, force: true });
  },
});
