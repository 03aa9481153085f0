// Seeded fuzzing of image scanning against a real server. First the six scanning actions over the
// wire with random and malformed input (unknown repositories and images, bad image ids, garbage
// nextTokens, maxResults out of range, weird filters, wrong JSON types): every answer is a success
// or a modeled 4xx error, never a 500, and a refused call leaves the stored registry
// configuration, repositories and scans exactly as they were. Then a few dozen randomly corrupted
// layers (bytes flipped, overwritten, inserted, or the blob cut short) of real gzip, zstd and tar
// layers are pushed and scanned: every scan ends COMPLETE or FAILED with a reason, none stays
// IN_PROGRESS, and the server still answers its health check.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import {
  BatchDeleteImageCommand,
  DescribeImageScanFindingsCommand,
  LimitExceededException,
  PutImageScanningConfigurationCommand,
  PutRegistryScanningConfigurationCommand,
  StartImageScanCommand,
  type ECRClient,
} from '@aws-sdk/client-ecr';
import { encodePageToken } from '../../../src/lib/page-token.js';
import { createRepository, descriptorOf, MEDIA, ociIndex, putManifest } from '../../helpers/registry.js';
import { debianOsRelease, dpkgStatus, gzipLayer, osvRecord, pushLayers, writeOsvDatabase } from '../../helpers/scan-images.js';
import { rawCall, startTestServer, type TestServer } from '../../helpers/server.js';
import { tar } from '../../e2e/oci-images.js';
import { seededRandom, type Random } from '../../helpers/random.js';

const SEED = 0x5ca7_2026;
const API_CASES = 400;
const LAYER_CASES = 36;
const ACCOUNT = '000000000000';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

// A Debian 12 layer (os-release and a dpkg status of 12 packages, openssl vulnerable) compressed by
// `zstd -19 --no-check`: real compressed zstd blocks (Huffman and FSE tables), embedded so the test
// needs no zstd compressor.
const ZSTD_DEBIAN_LAYER = Buffer.from(
  'KLUv/QBobQsAhhE7IACzPHhvYBoFjEvd66l251+bAP8J8rUVU6Ag7v//7z+0MAA0ADEA0MFqIBwXy2RiRSCva72lfNt23j0Z31c6f0pZa53qvx+8lK9WSr7L7c13R1xLWL8BXMJoXCZdOEvbbh7MoFU9EvOhQ7W4OB4LScSqQAhCAc3WHE3rCxDnx063YYZEcSjiZvF1q4ZNY75vBVYq09jddex2nME2AmZX0zFn2/mGo0ECM+fb5XQ0XIzVMEtRSiWdJu+67QGFAoEwGFDUNNVK6Zzv+UgKXmK70xKaOb9whpCLnd/eObwxfiv43fzrZp+P/gVSQGM0oJF4JDAkEkgkQqK6A/BERKoYOh5BhUJxVGEcdCAqHXrQQ0Ua6EUPFenQg85QiUkLWh6uoIDDeQYLKPhN4hWUsLuVL25dpYk/gODrWw8kQ4oHvpyMSqUbtwFkSoNELVxYDH6ccP3F5ts0Vf40dWxXE/KgSLNnFUgMA69MDw0=',
  'base64',
);

const PACKAGES = [
  { name: 'openssl', version: '3.0.11-1~deb12u1' },
  { name: 'libssl3', version: '3.0.11-1~deb12u1', source: 'openssl' },
  ...Array.from({ length: 10 }, (_, i) => ({ name: `lib${i}`, version: `1.${i}-1`, ...(i % 2 ? { source: 'zlib' } : {}) })),
];
const debianTar = (): Buffer => tar([debianOsRelease('12'), dpkgStatus(PACKAGES)]);

// The errors of each action in ECR's model, plus what the wire itself answers to unreadable input.
const model = JSON.parse(readFileSync(new URL('../../../api-models/ecr.json', import.meta.url), 'utf8')) as {
  operations: Record<string, { errors: string[] }>;
};
const PROTOCOL_ERRORS = ['SerializationException', 'ValidationException', 'InvalidParameterException'];
const allowedErrors = (action: string): Set<string> => new Set([...model.operations[action]!.errors, ...PROTOCOL_ERRORS].filter((name) => name !== 'ServerException'));

let server: TestServer;
let client: ECRClient;
let database: Awaited<ReturnType<typeof writeOsvDatabase>>;
/** What the API fuzz aims at: repositories, and images in them by tag and digest. */
const targets = { repositories: ['fuzz-scan', 'fuzz/nested-scan', 'fuzz-empty'], tags: ['gz', 'zst', 'plain', 'multi'], digests: [] as string[], tokens: [] as string[] };

beforeAll(async () => {
  database = await writeOsvDatabase([
    osvRecord('DEBIAN-CVE-2026-7001', 'Debian:12', 'openssl', '3.0.11-1~deb12u2'),
    // Enough findings that DescribeImageScanFindings has pages to turn.
    ...Array.from({ length: 12 }, (_, i) => osvRecord(`DEBIAN-CVE-2026-71${String(i).padStart(2, '0')}`, 'Debian:12', i % 2 ? 'zlib' : `lib${i}`, '9.9-1')),
  ]);
  server = await startTestServer({ vulnDbPath: database.path, lifecycleIntervalMs: 0, scanLimits: { maxUncompressedBytes: 32 * 1024 * 1024, maxScanSeconds: 20 } });
  client = server.client();
  for (const name of targets.repositories) await createRepository(server, name);
  for (const name of targets.repositories.slice(0, 2)) {
    targets.digests.push(await pushLayers(server, name, 'gz', [gzipSync(debianTar())]));
    targets.digests.push(await pushLayers(server, name, 'zst', [ZSTD_DEBIAN_LAYER], 'application/vnd.oci.image.layer.v1.tar+zstd'));
    targets.digests.push(await pushLayers(server, name, 'plain', [debianTar()], 'application/vnd.oci.image.layer.v1.tar'));
  }
  // An index (not scannable) over the first image.
  const head = await fetch(`${server.endpoint}/v2/fuzz-scan/manifests/${targets.digests[0]}`, { method: 'HEAD' });
  const index = ociIndex([descriptorOf(MEDIA.ociManifest, Buffer.alloc(0), { digest: targets.digests[0]!, size: Number(head.headers.get('content-length')) })]);
  expect((await putManifest(server, 'fuzz-scan', 'multi', index, MEDIA.ociIndex)).status).toBe(201);
  // One complete scan with pages of findings, and its tokens for the fuzz to replay and mangle.
  await client.send(new StartImageScanCommand({ repositoryName: 'fuzz-scan', imageId: { imageTag: 'gz' } }));
  await server.engine.scans.idle();
  let nextToken: string | undefined;
  do {
    const page = await client.send(new DescribeImageScanFindingsCommand({ repositoryName: 'fuzz-scan', imageId: { imageTag: 'gz' }, maxResults: 3, nextToken }));
    expect(page.imageScanStatus?.status).toBe('COMPLETE');
    nextToken = page.nextToken;
    if (nextToken) targets.tokens.push(nextToken);
  } while (nextToken);
  expect(targets.tokens.length).toBeGreaterThan(2);
}, 60_000);
afterAll(async () => {
  await server?.close();
  await database?.remove();
});

// --- random values, from valid through subtly wrong to plainly wrong -------------------------

function repositoryName(random: Random): Json {
  return random.mostly<Json>(
    () => random.pick(targets.repositories),
    [
      () => 'fuzz-missing',
      () => 'Fuzz-Scan',
      () => 'a',
      () => '',
      () => 'x'.repeat(257),
      () => 'fuzz-scan/../etc',
      () => 'fuzz-scan:gz',
      () => random.int(1000),
      () => null,
      () => ['fuzz-scan'],
    ],
    0.85,
  );
}

function imageId(random: Random): Json {
  const digest = (): Json =>
    random.mostly<Json>(() => random.pick(targets.digests), [
      () => `sha256:${'0'.repeat(64)}`,
      () => 'sha256:zz',
      () => 'sha512:abc',
      () => 'not-a-digest',
      () => '',
      () => `sha256:${random.pick(targets.digests).slice(7).toUpperCase()}`,
      () => 'x'.repeat(5000),
      () => 42,
    ]);
  const tag = (): Json => random.mostly<Json>(() => random.pick(targets.tags), [() => 'nope', () => '', () => 't'.repeat(301), () => 'a:b', () => '💥', () => true]);
  return random.mostly<Json>(
    () => random.pick<() => Json>([() => ({ imageTag: tag() }), () => ({ imageDigest: digest() }), () => ({ imageDigest: digest(), imageTag: tag() })])(),
    [() => ({}), () => ({ imageTag: null }), () => ({ imageDigest: random.pick(targets.digests), extra: 1 }), () => null, () => 'gz', () => [{ imageTag: 'gz' }]],
    0.8,
  );
}

function nextToken(random: Random): Json {
  return random.mostly<Json>(
    () => random.pick(targets.tokens),
    [
      () => random.pick(targets.tokens).slice(0, -2),
      () => `${random.pick(targets.tokens)}x`,
      () => encodePageToken('scanFindings', random.pick(['-1', '1e9', 'NaN', '3.5', '0x10', '', '99999', '7'])),
      () => encodePageToken('imageIds', '3'),
      () => Buffer.from('{"l":"scanFindings","k":5}').toString('base64url'),
      () => Buffer.from(Array.from({ length: random.int(64) }, () => random.int(256))).toString('base64'),
      () => '',
      () => '%%%',
      () => 'a'.repeat(10_000),
      () => 17,
    ],
    0.4,
  );
}

function maxResults(random: Random): Json {
  return random.mostly<Json>(() => random.pick([1, 2, 3, 100, 1000]), [() => 0, () => -1, () => 1001, () => 1.5, () => 2 ** 53, () => '10', () => null, () => true], 0.6);
}

function filter(random: Random): Json {
  const value = random.mostly<Json>(() => random.pick(['fuzz', 'fuzz-scan', '*', 'fuzz*', '*scan', 'f*z*n', 'nested', 'fuzz/nested-scan', 'prod']), [
    () => random.pick(['', 'UPPER', 'a b', '**', '-lead', 'trail-', 'a//b', '.', 'x'.repeat(256), '\u0000', '💥']),
    () => random.int(10),
    () => null,
  ]);
  return random.mostly<Json>(() => ({ filter: value, filterType: 'WILDCARD' }), [
    () => ({ filter: value, filterType: random.pick(['PREFIX_MATCH', 'wildcard', '', 'WILDCARD_MATCH']) }),
    () => ({ filter: value }),
    () => ({ filterType: 'WILDCARD' }),
    () => value,
  ]);
}

function rules(random: Random): Json {
  const frequency = (): Json => random.mostly<Json>(() => random.pick(['SCAN_ON_PUSH', 'CONTINUOUS_SCAN', 'MANUAL']), [() => 'DAILY', () => '', () => null, () => 3]);
  const rule = (): Json =>
    random.mostly<Json>(() => ({ scanFrequency: frequency(), repositoryFilters: Array.from({ length: random.int(4) }, () => filter(random)) }), [
      () => ({ scanFrequency: frequency(), repositoryFilters: Array.from({ length: 101 }, () => ({ filter: 'a', filterType: 'WILDCARD' })) }),
      () => ({ scanFrequency: frequency() }),
      () => ({ repositoryFilters: [] }),
      () => ({ scanFrequency: frequency(), repositoryFilters: 'fuzz*' }),
      () => null,
    ]);
  return random.mostly<Json>(() => Array.from({ length: random.int(4) }, rule), [() => [], () => null, () => 'rules', () => ({})]);
}

/** One random request to one of the scanning actions; `undefined` members are left out. */
function request(random: Random): { action: string; body: string } {
  const registryId = (): Json | undefined => random.mostly<Json | undefined>(() => random.pick([undefined, ACCOUNT]), [() => '123456789012', () => 'abc', () => '', () => 12], 0.85);
  const drop = (input: Record<string, Json | undefined>): Record<string, Json> =>
    Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined && random.next() > 0.04)) as Record<string, Json>;
  const action = random.pick([
    'StartImageScan',
    'DescribeImageScanFindings',
    'DescribeImageScanFindings',
    'PutRegistryScanningConfiguration',
    'GetRegistryScanningConfiguration',
    'BatchGetRepositoryScanningConfiguration',
    'PutImageScanningConfiguration',
  ]);
  let input: Json;
  switch (action) {
    case 'StartImageScan':
      input = drop({ registryId: registryId(), repositoryName: repositoryName(random), imageId: imageId(random) });
      break;
    case 'DescribeImageScanFindings':
      input = drop({
        registryId: registryId(),
        repositoryName: repositoryName(random),
        imageId: random.next() < 0.6 ? random.pick<Json>([{ imageTag: 'gz' }, { imageDigest: targets.digests[0]! }]) : imageId(random),
        nextToken: random.next() < 0.6 ? nextToken(random) : undefined,
        maxResults: random.next() < 0.6 ? maxResults(random) : undefined,
      });
      break;
    case 'PutRegistryScanningConfiguration':
      input = drop({
        scanType: random.mostly<Json | undefined>(() => random.pick(['BASIC', 'ENHANCED', undefined]), [() => 'basic', () => 'ADVANCED', () => null, () => 1]),
        rules: rules(random),
      });
      break;
    case 'GetRegistryScanningConfiguration':
      input = random.pick<Json>([{}, { registryId: '123' }, { extra: true }]);
      break;
    case 'BatchGetRepositoryScanningConfiguration':
      input = drop({
        repositoryNames: random.mostly<Json>(
          // Mostly names that pass the model, some of them unknown.
          () => Array.from({ length: 1 + random.int(8) }, () => random.pick([...targets.repositories, 'fuzz-missing', 'other/missing'])),
          [() => Array.from({ length: random.int(30) }, () => repositoryName(random)), () => [], () => 'fuzz-scan', () => null],
        ),
      });
      break;
    default:
      input = drop({
        registryId: registryId(),
        repositoryName: repositoryName(random),
        imageScanningConfiguration: random.mostly<Json>(() => ({ scanOnPush: random.next() < 0.5 }), [() => ({}), () => ({ scanOnPush: 'yes' }), () => null, () => []]),
      });
  }
  // Now and then the body is not the JSON object the action reads.
  const json = JSON.stringify(input);
  const body = random.mostly(() => json, [() => json.slice(0, random.int(json.length)), () => JSON.stringify([input]), () => 'null'], 0.9);
  return { action, body };
}

/** What a refused call must leave alone: the registry's configuration, every repository's scanOnPush, every scan. */
async function storedState(): Promise<unknown> {
  await server.engine.scans.idle();
  const tables = server.store.tables;
  return {
    registries: await tables.registries.list(''),
    scanOnPush: (await tables.repositories.list('')).map(([key, record]) => [key, record.scanOnPush]),
    scans: (await tables.scans.list('')).map(([key, scan]) => [key, scan.status, scan.startedAt, scan.manualScanAt, scan.findings?.length]),
  };
}

test('the scanning actions answer random and malformed input with a success or a modeled 4xx, and a refusal changes nothing', async () => {
  const random = seededRandom(SEED);
  const outcomes = new Map<string, number>();
  for (let i = 0; i < API_CASES; i++) {
    const { action, body } = request(random);
    const before = await storedState();
    const { status, json, headers } = await rawCall(server.endpoint, action, body);
    const what = `case ${i}: ${action} ${body.slice(0, 300)} -> ${status} ${JSON.stringify(json).slice(0, 300)}`;
    if (status >= 500) throw new Error(`server fault on ${what}`);
    outcomes.set(`${action} ${status >= 400 ? json.__type : 'ok'}`, (outcomes.get(`${action} ${status >= 400 ? json.__type : 'ok'}`) ?? 0) + 1);
    if (status >= 400) {
      expect({ what, status }).toEqual({ what, status: 400 });
      expect({ what, modeled: allowedErrors(action).has(String(json.__type)) }).toEqual({ what, modeled: true });
      expect(headers.get('x-amzn-errortype')).toBe(json.__type);
      expect(typeof json.message).toBe('string');
      expect({ what, state: await storedState() }).toEqual({ what, state: before });
      continue;
    }
    expect({ what, status }).toEqual({ what, status: 200 });
    if (action === 'DescribeImageScanFindings' && json.imageScanFindings) {
      const input = JSON.parse(body) as { maxResults?: number };
      const findings = json.imageScanFindings as { findings?: unknown[]; enhancedFindings?: unknown[] };
      const page = findings.findings ?? findings.enhancedFindings ?? [];
      expect(page.length).toBeLessThanOrEqual(input.maxResults ?? 100);
    }
  }
  // The fuzz reached both answers of the interesting actions, not only the validator's refusals.
  for (const expected of ['StartImageScan ok', 'DescribeImageScanFindings ok', 'PutRegistryScanningConfiguration ok', 'BatchGetRepositoryScanningConfiguration ok']) {
    expect([...outcomes.keys()]).toContain(expected);
  }
  for (const refusal of ['ScanNotFoundException', 'ImageNotFoundException', 'RepositoryNotFoundException', 'InvalidParameterException']) {
    expect([...outcomes.keys()].some((key) => key.endsWith(refusal))).toBe(true);
  }
  expect((await fetch(`${server.endpoint}/_berth/health`)).status).toBe(200);
}, 60_000);

test('pages of findings, turned with any page size, are the whole list once each', async () => {
  const random = seededRandom(SEED + 1);
  // An image of its own: the fuzz above may have left any configuration and scans behind.
  await client.send(new PutRegistryScanningConfigurationCommand({ scanType: 'BASIC', rules: [] }));
  const repositoryName = 'fuzz-pages';
  await createRepository(server, repositoryName);
  await pushLayers(server, repositoryName, 'gz', [gzipSync(debianTar())]);
  await client.send(new StartImageScanCommand({ repositoryName, imageId: { imageTag: 'gz' } }));
  await server.engine.scans.idle();
  const all = await client.send(new DescribeImageScanFindingsCommand({ repositoryName, imageId: { imageTag: 'gz' }, maxResults: 1000 }));
  const whole = all.imageScanFindings!.findings!;
  expect(whole.length).toBeGreaterThan(8);
  expect(all.nextToken).toBeUndefined();
  for (let round = 0; round < 12; round++) {
    const seen: unknown[] = [];
    let token: string | undefined;
    do {
      const size = 1 + random.int(5);
      const page = await client.send(new DescribeImageScanFindingsCommand({ repositoryName, imageId: { imageTag: 'gz' }, maxResults: size, nextToken: token }));
      expect(page.imageScanFindings!.findings!.length).toBeLessThanOrEqual(size);
      seen.push(...page.imageScanFindings!.findings!);
      token = page.nextToken;
    } while (token);
    expect(seen).toEqual(whole);
  }
  // Without maxResults a page holds up to 100: these fit in one.
  const unpaged = await client.send(new DescribeImageScanFindingsCommand({ repositoryName, imageId: { imageTag: 'gz' } }));
  expect(unpaged.imageScanFindings!.findings).toEqual(whole);
  expect(unpaged.nextToken).toBeUndefined();
});

// --- corrupted layers -----------------------------------------------------------------------

/** A copy of `bytes` with one random kind of damage. */
function corrupt(random: Random, bytes: Buffer): Buffer {
  const copy = Buffer.from(bytes);
  switch (random.int(5)) {
    case 0: // a few bits flipped
      for (let n = 1 + random.int(6); n > 0; n--) copy[random.int(copy.length)] ^= 1 << random.int(8);
      return copy;
    case 1: // cut short
      return copy.subarray(0, random.int(copy.length));
    case 2: {
      // a run overwritten with noise
      const at = random.int(copy.length);
      for (let k = at; k < Math.min(copy.length, at + 1 + random.int(64)); k++) copy[k] = random.int(256);
      return copy;
    }
    case 3: {
      // noise inserted
      const at = random.int(copy.length);
      return Buffer.concat([copy.subarray(0, at), Buffer.from(Array.from({ length: 1 + random.int(32) }, () => random.int(256))), copy.subarray(at)]);
    }
    default: // a header byte changed (magic numbers, tar header fields)
      copy[random.int(Math.min(copy.length, 600))] = random.int(256);
      return copy;
  }
}

test('randomly corrupted gzip, zstd and tar layers: every scan ends COMPLETE or FAILED with a reason, and the server stays healthy', async () => {
  const random = seededRandom(SEED + 2);
  const repositoryName = 'fuzz-layers';
  await createRepository(server, repositoryName);
  await client.send(new PutImageScanningConfigurationCommand({ repositoryName, imageScanningConfiguration: { scanOnPush: true } }));
  await client.send(new PutRegistryScanningConfigurationCommand({ scanType: 'BASIC', rules: [] }));
  const valid = {
    gzip: { bytes: gzipSync(debianTar()), mediaType: MEDIA.ociLayer },
    zstd: { bytes: ZSTD_DEBIAN_LAYER, mediaType: 'application/vnd.oci.image.layer.v1.tar+zstd' },
    tar: { bytes: debianTar(), mediaType: 'application/vnd.oci.image.layer.v1.tar' },
  };
  const base = gzipLayer([{ name: 'app/readme', content: 'base layer\n' }]);
  const tags: string[] = [];
  for (let i = 0; i < LAYER_CASES; i++) {
    const kind = (['gzip', 'zstd', 'tar'] as const)[i % 3]!;
    const layer = corrupt(random, valid[kind].bytes);
    // Some images put the damaged layer over a sound one, so the damage is met mid-image.
    const layers = random.next() < 0.3 ? [base, layer] : [layer];
    const tag = `c${i}-${kind}`;
    // Every layer of an image has the image's one media type here: the scanner goes by the bytes' magic.
    await pushLayers(server, repositoryName, tag, layers, valid[kind].mediaType);
    tags.push(tag);
  }
  // Pushed with scanOnPush: each is scanned once, in the background.
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    server.engine.scans.idle().then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), 15_000);
    }),
  ]);
  clearTimeout(timer);
  expect(settled).toBe(true);
  const statuses = new Map<string, number>();
  for (const tag of tags) {
    const out = await client.send(new DescribeImageScanFindingsCommand({ repositoryName, imageId: { imageTag: tag } }));
    const status = out.imageScanStatus!.status!;
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    expect({ tag, status: ['COMPLETE', 'FAILED'].includes(status) }).toEqual({ tag, status: true });
    expect(out.imageScanStatus!.description).toMatch(/\S/);
    if (status === 'FAILED') expect(out.imageScanFindings).toBeUndefined();
  }
  // The damage is real: most corrupted layers fail.
  expect(statuses.get('FAILED') ?? 0).toBeGreaterThan(LAYER_CASES / 2);
  expect((await fetch(`${server.endpoint}/_berth/health`)).status).toBe(200);
  // And the server still scans a sound image afterwards.
  await pushLayers(server, repositoryName, 'sound', [valid.zstd.bytes], valid.zstd.mediaType);
  await server.engine.scans.idle();
  const sound = await client.send(new DescribeImageScanFindingsCommand({ repositoryName, imageId: { imageTag: 'sound' } }));
  expect(sound.imageScanStatus!.status).toBe('COMPLETE');
  expect(sound.imageScanFindings!.findings!.length).toBeGreaterThan(0);
}, 60_000);

// --- races that used to leave a scan IN_PROGRESS forever -------------------------------------

test('StartImageScan called many times at once: one scan, no scan left IN_PROGRESS (basic: the rest are LimitExceededException)', async () => {
  const repositoryName = 'fuzz-race';
  await client.send(new PutRegistryScanningConfigurationCommand({ scanType: 'BASIC', rules: [] }));
  await createRepository(server, repositoryName);
  await pushLayers(server, repositoryName, 'basic', [gzipSync(debianTar())]);
  await pushLayers(server, repositoryName, 'enhanced', [debianTar()], 'application/vnd.oci.image.layer.v1.tar');

  const basic = await Promise.allSettled(
    Array.from({ length: 6 }, () => client.send(new StartImageScanCommand({ repositoryName, imageId: { imageTag: 'basic' } }))),
  );
  expect(basic.filter((answer) => answer.status === 'fulfilled')).toHaveLength(1);
  for (const answer of basic) if (answer.status === 'rejected') expect(answer.reason).toBeInstanceOf(LimitExceededException);

  await client.send(new PutRegistryScanningConfigurationCommand({ scanType: 'ENHANCED', rules: [] }));
  try {
    // Enhanced scanning has no daily limit: every call answers IN_PROGRESS, and one scan runs to the end.
    const enhanced = await Promise.all(
      Array.from({ length: 6 }, () => client.send(new StartImageScanCommand({ repositoryName, imageId: { imageTag: 'enhanced' } }))),
    );
    for (const answer of enhanced) expect(answer.imageScanStatus!.status).toBe('IN_PROGRESS');
    await server.engine.scans.idle();
  } finally {
    await client.send(new PutRegistryScanningConfigurationCommand({ scanType: 'BASIC', rules: [] }));
  }
  for (const imageTag of ['basic', 'enhanced']) {
    const out = await client.send(new DescribeImageScanFindingsCommand({ repositoryName, imageId: { imageTag } }));
    expect({ imageTag, status: out.imageScanStatus!.status }).toEqual({ imageTag, status: 'COMPLETE' });
  }
});

test('an image deleted and pushed again while its scan runs is scanned again, not left IN_PROGRESS', async () => {
  const repositoryName = 'fuzz-repush';
  await client.send(new PutRegistryScanningConfigurationCommand({ scanType: 'BASIC', rules: [] }));
  await createRepository(server, repositoryName);
  await client.send(new PutImageScanningConfigurationCommand({ repositoryName, imageScanningConfiguration: { scanOnPush: true } }));
  // 24 MiB of zeros to inflate keeps the scan busy while the image is deleted and pushed again.
  const layer = gzipSync(Buffer.concat([debianTar().subarray(0, -1024), tar([{ name: 'zeros', content: Buffer.alloc(24 * 1024 * 1024) }])]));
  for (let round = 0; round < 3; round++) {
    await pushLayers(server, repositoryName, 'v1', [layer]);
    await client.send(new BatchDeleteImageCommand({ repositoryName, imageIds: [{ imageTag: 'v1' }] }));
  }
  await pushLayers(server, repositoryName, 'v1', [layer]);
  await server.engine.scans.idle();
  const out = await client.send(new DescribeImageScanFindingsCommand({ repositoryName, imageId: { imageTag: 'v1' } }));
  expect(out.imageScanStatus!.status).toBe('COMPLETE');
});

// --- a scan that never finishes ---------------------------------------------------------------

test('a layer whose blob never finishes arriving is given up after maxScanSeconds as FAILED, the queue goes on, and close() does not wait for a stuck scan', async () => {
  const slow = await startTestServer({ scanLimits: { maxScanSeconds: 1 } });
  let closed = false;
  try {
    const slowClient = slow.client();
    await createRepository(slow, 'hang');
    const stuckLayer = gzipSync(debianTar());
    await pushLayers(slow, 'hang', 'stuck', [stuckLayer]);
    await pushLayers(slow, 'hang', 'sound', [gzipSync(tar([debianOsRelease('12'), dpkgStatus(PACKAGES.slice(0, 3))]))]);
    // The blob store hands the scanner a stream that delivers a few bytes, then nothing, ever.
    const stuckDigest = `sha256:${createHash('sha256').update(stuckLayer).digest('hex')}`;
    const streams: Readable[] = [];
    const blobs = slow.store.blobs;
    const read = blobs.read.bind(blobs);
    blobs.read = (digest, range) => {
      if (digest !== stuckDigest) return read(digest, range);
      const stream = new Readable({ read() {} });
      stream.push(stuckLayer.subarray(0, 10));
      streams.push(stream);
      return stream;
    };
    await slowClient.send(new StartImageScanCommand({ repositoryName: 'hang', imageId: { imageTag: 'stuck' } }));
    await slowClient.send(new StartImageScanCommand({ repositoryName: 'hang', imageId: { imageTag: 'sound' } }));
    await slow.engine.scans.idle();
    const stuck = await slowClient.send(new DescribeImageScanFindingsCommand({ repositoryName: 'hang', imageId: { imageTag: 'stuck' } }));
    expect(stuck.imageScanStatus).toEqual({ status: 'FAILED', description: 'The scan did not finish within 1 seconds and was given up.' });
    // Given up means let go: the stream the scan was blocked on was destroyed.
    expect(streams).toHaveLength(1);
    expect(streams[0]!.destroyed).toBe(true);
    const sound = await slowClient.send(new DescribeImageScanFindingsCommand({ repositoryName: 'hang', imageId: { imageTag: 'sound' } }));
    expect(sound.imageScanStatus!.status).toBe('COMPLETE');

    // A stuck scan running when the server closes: close() aborts it rather than waiting an hour.
    await pushLayers(slow, 'hang', 'stuck-again', [stuckLayer, gzipLayer([{ name: 'x', content: 'another image' }])]);
    await slowClient.send(new StartImageScanCommand({ repositoryName: 'hang', imageId: { imageTag: 'stuck-again' } }));
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(streams).toHaveLength(2);
    const closing = Date.now();
    await slow.close();
    closed = true;
    expect(Date.now() - closing).toBeLessThan(900);
    expect(streams[1]!.destroyed).toBe(true);
  } finally {
    if (!closed) await slow.close();
  }
});
