import { createHash, randomUUID } from 'node:crypto';
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { ListImagesCommand, PutAccountSettingCommand } from '@aws-sdk/client-ecr';
import { OCI_ERRORS } from '../../src/registry/errors.js';
import { rng } from '../helpers/model-inputs.js';
import {
  basicAuth,
  createRepository,
  descriptorOf,
  MEDIA,
  pushBlob,
  pushImage,
  registryPassword,
  sha256,
  uniqueName,
  v2,
  type PushedImage,
} from '../helpers/registry.js';
import { startTestServer, type TestServer } from '../helpers/server.js';

// Client input to the registry never yields a server fault: a seeded generator of requests
// (every route and method, odd names, references, queries, headers and bodies) against a real
// server holding a pushed image, plus malformed HTTP on raw sockets and clients that hang up
// mid-body. Every answer is below 500, 4xx answers carry OCI's JSON error body (except the
// documented text 401 on /v2/), and afterwards the image still pulls byte-identical.

const SEED = 0x5eed_0c1;
const GENERATED_REQUESTS = 900;
const IN_FLIGHT = 8;
/** An answer slower than this is a hang. */
const ANSWER_TIMEOUT_MS = 5000;
const MIB = 1024 * 1024;

const OCI_CODES: readonly string[] = Object.keys(OCI_ERRORS);

let server: TestServer;
let agent: Agent;
let password: string;
/** The protected repository (its image must survive everything) and a second, namespaced one. */
let main: string;
let other: string;
let image: PushedImage;
let tagsBefore: Record<string, unknown>;
let imagesBefore: unknown;

beforeAll(async () => {
  server = await startTestServer();
  agent = new Agent({ keepAlive: true, maxSockets: IN_FLIGHT });
  password = await registryPassword(server);
  await server.client().send(new PutAccountSettingCommand({ name: 'BLOB_MOUNTING', value: 'ENABLED' }));
  main = await createRepository(server, uniqueName('fuzz-main'));
  other = await createRepository(server, `${uniqueName('fuzz-other')}/app`);
  image = await pushImage(server, main, { tag: 'latest', format: 'oci' });
  await pushImage(server, other, { tag: 'v1' });
  tagsBefore = {
    [main]: (await v2(server, 'GET', `/v2/${main}/tags/list`)).json(),
    [other]: (await v2(server, 'GET', `/v2/${other}/tags/list`)).json(),
  };
  imagesBefore = (await server.client().send(new ListImagesCommand({ repositoryName: main }))).imageIds;
});

afterAll(async () => {
  agent?.destroy();
  await server?.close();
});

interface Exchange {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

interface Case {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
  /** Send the body chunked instead of with a Content-Length. */
  chunked?: boolean;
}

/** One request over node:http (which, unlike fetch, sends paths and methods as given). */
function send(c: Case): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const url = new URL(server.endpoint);
    const headers: Record<string, string | number> = { ...c.headers };
    if (c.body && c.chunked) headers['Transfer-Encoding'] = 'chunked';
    else if (c.body) headers['Content-Length'] = c.body.length;
    const req = httpRequest(
      { host: url.hostname, port: url.port, method: c.method, path: c.path, headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.setTimeout(ANSWER_TIMEOUT_MS, () => req.destroy(new Error(`no answer within ${ANSWER_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    if (c.body) req.write(c.body);
    req.end();
  });
}

const describeCase = (c: Case): string =>
  `${c.method} ${c.path.slice(0, 200)} headers=${JSON.stringify(c.headers).slice(0, 300)} body=${
    c.body ? JSON.stringify(c.body.subarray(0, 120).toString('latin1')) + ` (${c.body.length} bytes${c.chunked ? ', chunked' : ''})` : 'none'
  }`;

/** What is wrong with an answer, or undefined when it is a proper client-error or success answer. */
function problemWith(c: Case, reply: Exchange): string | undefined {
  if (reply.status >= 500) return `answered ${reply.status}: ${reply.body.toString('utf8').slice(0, 300)}`;
  if (reply.status < 400) return undefined;
  const pathname = new URL(c.path, 'http://x').pathname;
  const contentType = String(reply.headers['content-type'] ?? '');
  if (reply.status === 401 && (pathname === '/v2' || pathname === '/v2/')) {
    if (!contentType.startsWith('text/plain')) return `401 on /v2/ with Content-Type ${contentType}`;
    if (c.method !== 'HEAD' && reply.body.toString() !== 'Not Authorized\n') return `401 on /v2/ with body ${reply.body.toString()}`;
    return undefined;
  }
  if (!contentType.startsWith('application/json')) return `${reply.status} with Content-Type '${contentType}'`;
  if (reply.headers['docker-distribution-api-version'] !== 'registry/2.0') return `${reply.status} without the API version header`;
  if (c.method === 'HEAD') return reply.body.length === 0 ? undefined : 'HEAD answered with a body';
  let parsed: unknown;
  try {
    parsed = JSON.parse(reply.body.toString('utf8'));
  } catch {
    return `${reply.status} with a body that is not JSON: ${reply.body.toString('utf8').slice(0, 200)}`;
  }
  const errors = (parsed as { errors?: unknown }).errors;
  const wellFormed =
    Array.isArray(errors) &&
    errors.length > 0 &&
    errors.every(
      (error: unknown) =>
        typeof error === 'object' &&
        error !== null &&
        OCI_CODES.includes((error as { code: unknown }).code as string) &&
        typeof (error as { message: unknown }).message === 'string',
    );
  return wellFormed ? undefined : `${reply.status} with a body not in the OCI error form: ${reply.body.toString('utf8').slice(0, 300)}`;
}

// ---- the generator's vocabulary ----

const hex = (seed: string, length = 64) => createHash('sha512').update(seed).digest('hex').repeat(2).slice(0, length);
const UNKNOWN_DIGEST = `sha256:${hex('unknown')}`;
const b64 = (text: string) => Buffer.from(text).toString('base64');

/** Manifests of every type, each wrong in one way (or well-formed but naming what is absent). */
function wrongManifests(): Buffer[] {
  const good = { mediaType: MEDIA.ociLayer, digest: UNKNOWN_DIGEST, size: 10 };
  const config = { mediaType: MEDIA.ociConfig, digest: `sha256:${hex('config')}`, size: 2 };
  const docs: unknown[] = [
    null,
    [],
    'manifest',
    42,
    {},
    { schemaVersion: 2 },
    { schemaVersion: 3, mediaType: MEDIA.ociManifest, config, layers: [] },
    { schemaVersion: '2', mediaType: MEDIA.ociManifest, config, layers: [] },
    { schemaVersion: 2, mediaType: 'application/x-unknown', config, layers: [] },
    { schemaVersion: 2, mediaType: MEDIA.ociManifest, layers: [] },
    { schemaVersion: 2, mediaType: MEDIA.ociManifest, config: 'config', layers: [] },
    { schemaVersion: 2, mediaType: MEDIA.ociManifest, config, layers: {} },
    { schemaVersion: 2, mediaType: MEDIA.ociManifest, config, layers: [null] },
    { schemaVersion: 2, mediaType: MEDIA.ociManifest, config, layers: [{ ...good, size: -1 }] },
    { schemaVersion: 2, mediaType: MEDIA.ociManifest, config, layers: [{ ...good, size: 1.5 }] },
    { schemaVersion: 2, mediaType: MEDIA.ociManifest, config, layers: [{ ...good, size: '10' }] },
    { schemaVersion: 2, mediaType: MEDIA.ociManifest, config, layers: [{ ...good, size: 2 ** 64 }] },
    { schemaVersion: 2, mediaType: MEDIA.ociManifest, config, layers: [{ ...good, digest: 'sha256:zz' }] },
    { schemaVersion: 2, mediaType: MEDIA.ociManifest, config, layers: [{ mediaType: MEDIA.ociLayer, size: 1 }] },
    { schemaVersion: 2, mediaType: MEDIA.ociManifest, config, layers: [{ ...good, mediaType: 7 }] },
    { schemaVersion: 2, mediaType: MEDIA.ociManifest, config, layers: [good] },
    { schemaVersion: 2, mediaType: MEDIA.ociManifest, config, layers: [], subject: { digest: 'nope', size: 1 } },
    { schemaVersion: 2, mediaType: MEDIA.ociManifest, config, layers: [], subject: { ...good, size: -5 } },
    { schemaVersion: 2, mediaType: MEDIA.ociManifest, config, layers: [], annotations: { a: 1 } },
    { schemaVersion: 2, mediaType: MEDIA.ociManifest, config, layers: [], annotations: [] },
    { schemaVersion: 2, mediaType: MEDIA.ociManifest, config, layers: [], artifactType: 5 },
    { schemaVersion: 2, mediaType: MEDIA.dockerManifest, config: { ...config, size: -1 }, layers: [] },
    { schemaVersion: 2, mediaType: MEDIA.dockerManifest, config: { ...config, digest: `sha512:${hex('c', 64)}` }, layers: [] },
    { schemaVersion: 2, mediaType: MEDIA.dockerManifest, config: { ...config, digest: `sha256:${hex('c').toUpperCase()}` }, layers: [] },
    { schemaVersion: 2, mediaType: MEDIA.ociIndex },
    { schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: 'all' },
    { schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [{ mediaType: MEDIA.ociManifest, size: 3 }] },
    { schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [{ mediaType: MEDIA.ociManifest, digest: UNKNOWN_DIGEST, size: -3 }] },
    { schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: [{ mediaType: MEDIA.ociManifest, digest: UNKNOWN_DIGEST, size: 3 }] },
    { schemaVersion: 2, mediaType: MEDIA.dockerManifestList, manifests: [{ mediaType: MEDIA.dockerManifest, digest: UNKNOWN_DIGEST, size: 3, platform: 'x' }] },
    { schemaVersion: 2, mediaType: MEDIA.dockerManifestList, manifests: null },
    { schemaVersion: 1, name: 'x', tag: 'y' },
    { schemaVersion: 1, fsLayers: 'layers' },
    { schemaVersion: 1, fsLayers: [{ blobSum: 'sha256:short' }] },
    { schemaVersion: 1, fsLayers: [null, 3] },
    { schemaVersion: 1, fsLayers: [{ blobSum: UNKNOWN_DIGEST }], history: [{ v1Compatibility: '{' }] },
    { schemaVersion: 1, fsLayers: [{ blobSum: UNKNOWN_DIGEST }], signatures: 'none' },
    { schemaVersion: 2, mediaType: MEDIA.dockerSchema1, fsLayers: [] },
  ];
  return [
    ...docs.map((doc) => Buffer.from(JSON.stringify(doc))),
    Buffer.from('{'),
    Buffer.from('{"schemaVersion":2,'),
    Buffer.from('\ufeff{"schemaVersion":2}'),
    Buffer.from([0, 1, 2, 0xff, 0xfe]),
    Buffer.from('['.repeat(20000)),
    Buffer.from('{"a":'.repeat(5000) + '1' + '}'.repeat(5000)),
    Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociManifest, config, layers: Array(5000).fill(good) })),
  ];
}

/** A JSON manifest of `bytes` bytes, padded with an annotation. */
const paddedManifest = (bytes: number): Buffer => {
  const head = JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociManifest, config: descriptorOf(MEDIA.ociConfig, Buffer.from('{}')), layers: [], annotations: { pad: '' } });
  return Buffer.from(head.replace('"pad":""', `"pad":"${'p'.repeat(bytes - head.length)}"`));
};

function caseGenerator(seed: number) {
  const random = rng(seed);
  const pick = <T>(values: readonly T[]): T => values[Math.floor(random() * values.length)];
  const chance = (p: number) => random() < p;
  const manifests = wrongManifests();
  let hugeBodies = 0;

  const layer = image.layers[0].digest;
  const protectedDigests = [image.digest, image.config.digest, ...image.layers.map((blob) => blob.digest)];
  const repositories = [
    main,
    main,
    other,
    other.replace('/', '%2F'),
    other.replace('/', '%2f'),
    main.toUpperCase(),
    `a/../${main}`,
    `${main}/..`,
    `${main}/.`,
    '..',
    '.',
    'a//b',
    '',
    'x'.repeat(300),
    `a/${'b'.repeat(255)}`,
    encodeURIComponent('ünïcödé'),
    '%E2%82',
    '%zz',
    '%00',
    'a%0Ab',
    '-lead',
    'trail-',
    'a..b',
    'a__b',
    `missing-${process.pid}`,
    `${main}%2F..%2F${main}`,
  ];
  const references = [
    'latest',
    image.digest,
    image.digest,
    UNKNOWN_DIGEST,
    layer,
    'sha256:',
    `sha256:${image.digest.slice(7).toUpperCase()}`,
    `sha512:${hex('512', 128)}`,
    `sha512:${hex('512', 64)}`,
    `sha384:${hex('384', 96)}`,
    'md5:abc',
    ':',
    'sha256%3A' + image.digest.slice(7),
    't'.repeat(300),
    't'.repeat(301),
    't'.repeat(5000),
    '..',
    '.',
    '%2F',
    '%zz',
    '%E2%82%AC',
    '-tag',
    'tag%00',
    'Latest',
    'new-tag',
  ];
  const digests = [layer, image.config.digest, UNKNOWN_DIGEST, 'sha256:', `sha256:${layer.slice(7).toUpperCase()}`, `sha512:${hex('b', 128)}`, 'sha256:xyz', '%zz', 'sha256%3A' + layer.slice(7), 'x'.repeat(400)];
  const uploadIds = ['fresh-main', 'fresh-main', 'fresh-other', randomUUID(), 'x'.repeat(300), '..', '%zz', '%2F', '%00'];
  const queries = [
    '',
    '',
    '',
    '?digest=',
    `?digest=${UNKNOWN_DIGEST}`,
    '?digest=of-body',
    '?digest=bad',
    `?digest=sha256:${hex('x').toUpperCase()}`,
    `?digest=${layer}&digest=${UNKNOWN_DIGEST}`,
    `?mount=${layer}&from=${main}`,
    `?mount=${layer}&from=${other}`,
    `?mount=${UNKNOWN_DIGEST}&from=${main}`,
    `?mount=${layer}`,
    `?from=${main}`,
    '?mount=bad&from=%zz',
    '?mount=&from=',
    `?mount=${layer}&from=../${main}`,
    `?mount=${layer}&from=${main}&digest=${layer}`,
    '?n=-1',
    '?n=abc',
    '?n=1e9',
    '?n=1e308',
    '?n=0',
    '?n=1.5',
    '?n=',
    '?n=0x10',
    '?last=',
    '?last=%FF',
    '?last=%zz',
    `?n=1&last=${'z'.repeat(400)}`,
    '?artifactType=',
    '?artifactType=%00',
    '?%',
    '?&&&=',
  ];
  const contentRanges = ['garbage', '0-', '5-2', '-1-5', '0-99999999999999999999999', 'bytes */*', 'bytes=0-0', '0-0/0', '1-1', '0-10/5', ''];
  const ranges = ['bytes=0-0', 'bytes=0-1,3-4', 'bytes=-0', 'bytes=abc', 'bytes=999999999-', 'items=0-1', 'bytes=5-2', 'bytes=0-99999999999999999999999', 'bytes=-99999999999999999999', 'bytes=', ''];
  const contentTypes = [
    ...Object.values(MEDIA),
    '',
    'garbage',
    'application/json',
    'application/octet-stream',
    `${MEDIA.ociIndex}; charset=utf-8`,
    MEDIA.ociManifest.toUpperCase(),
    'multipart/form-data; boundary=x',
    ';;;',
  ];
  const accepts = ['*/*', MEDIA.dockerSchema1, MEDIA.dockerSchema1Signed, MEDIA.dockerManifestList, 'garbage;;;q=abc', ','.repeat(200), `${MEDIA.ociManifest};q=2, */*;q=-1`, ''];
  const authorizations = () => [
    basicAuth(password),
    basicAuth(password),
    basicAuth(password),
    'garbage',
    'Basic',
    'Basic !!!',
    `Basic ${b64('nocolon')}`,
    `Basic ${b64('AWS:')}`,
    `Basic ${b64(':')}`,
    'Bearer abc.def.ghi',
    `Basic ${b64(`AWS:${'x'.repeat(3000)}`)}`,
    basicAuth(`${password}x`),
    'Digest username="x"',
  ];
  const hosts = ['123456789012.dkr.ecr.us-west-2.amazonaws.com', '999.dkr.ecr.x.y', 'localhost:99999', '000000000000.dkr.ecr.US-EAST-1.amazonaws.com'];
  const otherMethods = ['GET', 'HEAD', 'PUT', 'POST', 'PATCH', 'DELETE', 'OPTIONS'];

  const routes: Array<{ path: () => string; methods: string[] }> = [
    { path: () => `/v2/${pick(repositories)}/tags/list`, methods: ['GET'] },
    { path: () => `/v2/${pick(repositories)}/manifests/${pick(references)}`, methods: ['GET', 'HEAD', 'PUT', 'PUT', 'PUT', 'DELETE'] },
    { path: () => `/v2/${pick(repositories)}/blobs/uploads/`, methods: ['POST'] },
    { path: () => `/v2/${pick(repositories)}/blobs/uploads`, methods: ['POST'] },
    { path: () => `/v2/${pick(repositories)}/blobs/uploads/${pick(uploadIds)}`, methods: ['GET', 'PATCH', 'PUT', 'DELETE'] },
    { path: () => `/v2/${pick(repositories)}/blobs/${pick(digests)}`, methods: ['GET', 'HEAD', 'DELETE'] },
    { path: () => `/v2/${pick(repositories)}/referrers/${pick(digests.concat(image.digest))}`, methods: ['GET'] },
    { path: () => pick(['/v2/', '/v2', '/v2/_catalog', `/v2/${pick(repositories)}`, `/v2/${main}/manifests/`, `/v2/${main}/blobs/`, `/v2/${main}/nothing/here`]), methods: ['GET', 'HEAD'] },
    { path: () => `/_berth/layers/${pick(['', 'x', 'a.b', 'a.b.c', `${b64('{}')}.${b64('sig')}`, '%zz', '..'])}`, methods: ['GET', 'HEAD'] },
  ];

  function body(method: string): Buffer | undefined {
    if ((method === 'GET' || method === 'HEAD') && !chance(0.1)) return undefined;
    const roll = random();
    if (roll < 0.1) return undefined;
    if (roll < 0.2) return Buffer.alloc(0);
    if (roll < 0.35) return Buffer.from(Array.from({ length: 1 + Math.floor(random() * 4096) }, () => Math.floor(random() * 256)));
    if (roll < 0.38 && hugeBodies < 3) {
      hugeBodies++;
      return paddedManifest(5 * MIB);
    }
    return pick(manifests);
  }

  return (): Case => {
    const route = pick(routes);
    const method = chance(0.8) ? pick(route.methods) : pick(otherMethods);
    let path = route.path() + pick(queries);
    const headers: Record<string, string> = {};
    if (chance(0.35)) headers.Authorization = pick(authorizations());
    if (chance(0.2)) headers['Content-Range'] = pick(contentRanges);
    if (chance(0.2)) headers.Range = pick(ranges);
    if (chance(0.5)) headers['Content-Type'] = pick(contentTypes);
    if (chance(0.15)) headers.Accept = pick(accepts);
    if (chance(0.04)) headers.Host = pick(hosts);
    const payload = body(method);
    if (path.includes('digest=of-body')) path = path.replace('digest=of-body', `digest=${sha256(payload ?? Buffer.alloc(0))}`);
    // The protected repository's image and its blobs are not for deleting: swap to an unknown reference.
    // (By hex, so percent-encoded forms are caught too.)
    if (method === 'DELETE') {
      for (const digest of protectedDigests) path = path.replaceAll(digest.slice('sha256:'.length), UNKNOWN_DIGEST.slice('sha256:'.length));
      path = path.replace(/\/manifests\/latest(?=\?|$)/, '/manifests/not-latest');
    }
    return { method, path, headers, body: payload, chunked: payload !== undefined && chance(0.1) };
  };
}

/** Replaces the placeholder upload ids with sessions opened just now (in `main` or, to misuse, in `other`). */
async function withFreshUploads(c: Case): Promise<Case> {
  let path = c.path;
  for (const [placeholder, repository] of [['fresh-main', main], ['fresh-other', other]] as const) {
    if (!path.includes(placeholder)) continue;
    const started = await v2(server, 'POST', `/v2/${repository}/blobs/uploads/`);
    expect(started.status).toBe(202);
    path = path.replace(placeholder, started.headers.get('docker-upload-uuid')!);
  }
  return { ...c, path };
}

/** The image, its blobs and both repositories' tags, exactly as before. */
async function expectStateIntact(): Promise<void> {
  const byTag = await v2(server, 'GET', `/v2/${main}/manifests/latest`, { headers: { Accept: image.mediaType } });
  expect(byTag.status).toBe(200);
  expect(byTag.headers.get('docker-content-digest')).toBe(image.digest);
  expect(byTag.body.equals(image.manifest)).toBe(true);
  const byDigest = await v2(server, 'GET', `/v2/${main}/manifests/${image.digest}`);
  expect(byDigest.body.equals(image.manifest)).toBe(true);
  for (const blob of [image.config, ...image.layers]) {
    const reply = await v2(server, 'GET', `/v2/${main}/blobs/${blob.digest}`);
    expect({ digest: blob.digest, status: reply.status, same: reply.body.equals(blob.bytes) }).toEqual({ digest: blob.digest, status: 200, same: true });
  }
  for (const repository of [main, other]) {
    expect((await v2(server, 'GET', `/v2/${repository}/tags/list`)).json()).toEqual(tagsBefore[repository]);
  }
  expect((await server.client().send(new ListImagesCommand({ repositoryName: main }))).imageIds).toEqual(imagesBefore);
}

test('generated requests: every answer below 500, 4xx in the OCI error form, stored state intact', async () => {
  const next = caseGenerator(SEED);
  const cases = Array.from({ length: GENERATED_REQUESTS }, next);
  const problems: string[] = [];
  const statuses = new Map<number, number>();
  let index = 0;
  async function worker(): Promise<void> {
    while (index < cases.length) {
      const c = await withFreshUploads(cases[index++]);
      try {
        const reply = await send(c);
        statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);
        const problem = problemWith(c, reply);
        if (problem) problems.push(`${describeCase(c)}: ${problem}`);
      } catch (error) {
        problems.push(`${describeCase(c)}: ${(error as Error).message}`);
      }
    }
  }
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  expect(problems).toEqual([]);
  // The generator reached the handlers, not only the router: successes and several client errors.
  expect([...statuses.keys()].filter((status) => status < 300).length).toBeGreaterThan(1);
  expect([...statuses.keys()].filter((status) => status >= 400).length).toBeGreaterThan(4);
  await expectStateIntact();
});

test('malformed percent-escapes in a path are the route\'s client error, not a fault', async () => {
  const cases: Array<[string, number, string]> = [
    ['/v2/%zz/tags/list', 400, 'NAME_INVALID'],
    [`/v2/${main}%E2%82/tags/list`, 400, 'NAME_INVALID'],
    [`/v2/${main}/manifests/%E2%82`, 400, 'TAG_INVALID'],
    [`/v2/${main}/blobs/sha256%3A%zz`, 400, 'DIGEST_INVALID'],
    [`/v2/${main}/blobs/uploads/%zz`, 404, 'BLOB_UPLOAD_UNKNOWN'],
  ];
  for (const [path, status, code] of cases) {
    const reply = await send({ method: 'GET', path, headers: {} });
    expect({ path, status: reply.status, code: JSON.parse(reply.body.toString()).errors[0].code }).toEqual({ path, status, code });
  }
});

// ---- malformed HTTP, on raw sockets ----

/** Writes raw bytes (then half-closes when asked); resolves with every status line answered before the server closes. */
function rawExchange(bytes: Buffer | string, options: { end?: boolean } = {}): Promise<{ statuses: number[]; text: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(server.endpoint);
    const socket = connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`the server neither answered nor closed within ${ANSWER_TIMEOUT_MS} ms: ${Buffer.concat(chunks).toString('latin1').slice(0, 300)}`));
    }, ANSWER_TIMEOUT_MS);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined); // a reset is an answer too: the server closed
    socket.on('close', () => {
      clearTimeout(timer);
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ statuses: [...text.matchAll(/HTTP\/1\.1 (\d{3})/g)].map((match) => Number(match[1])), text });
    });
    socket.write(bytes);
    if (options.end) socket.end();
  });
}

test('malformed HTTP (lengths that lie, bad framing, raw non-ASCII paths): no 5xx, no hang', async () => {
  const host = `Host: ${new URL(server.endpoint).host}\r\n`;
  const auth = `Authorization: ${basicAuth(password)}\r\n`;
  const start = await v2(server, 'POST', `/v2/${main}/blobs/uploads/`);
  const upload = start.headers.get('location')!;
  const raw: Array<{ label: string; bytes: string | Buffer; end?: boolean }> = [
    { label: 'Content-Length above the body, then EOF', bytes: `PATCH ${upload} HTTP/1.1\r\n${host}Content-Length: 100\r\n\r\n0123456789`, end: true },
    { label: 'manifest PUT, Content-Length above the body, then EOF', bytes: `PUT /v2/${main}/manifests/x HTTP/1.1\r\n${host}Content-Type: ${MEDIA.ociManifest}\r\nContent-Length: 4000\r\n\r\n{"schemaVersion":2`, end: true },
    { label: 'Content-Length below the body', bytes: `PUT /v2/${main}/manifests/x HTTP/1.1\r\n${host}Connection: close\r\nContent-Length: 5\r\n\r\n{"schemaVersion":2,"junk":"after the declared length"}` },
    { label: 'Content-Length and chunked together', bytes: `POST /v2/${main}/blobs/uploads/ HTTP/1.1\r\n${host}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n` },
    { label: 'Content-Length not a number', bytes: `PUT /v2/${main}/manifests/x HTTP/1.1\r\n${host}Content-Length: abc\r\n\r\n{}` },
    { label: 'negative Content-Length', bytes: `PATCH ${upload} HTTP/1.1\r\n${host}Content-Length: -1\r\n\r\n` },
    { label: 'two different Content-Lengths', bytes: `PUT /v2/${main}/manifests/x HTTP/1.1\r\n${host}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}` },
    { label: 'a bad chunk size', bytes: `PATCH ${upload} HTTP/1.1\r\n${host}Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n` },
    { label: 'chunked body cut off', bytes: `PATCH ${upload} HTTP/1.1\r\n${host}Transfer-Encoding: chunked\r\n\r\n10\r\nabc`, end: true },
    { label: 'raw UTF-8 path', bytes: Buffer.from(`GET /v2/ünï/cödé/tags/list HTTP/1.1\r\n${host}Connection: close\r\n\r\n`, 'utf8') },
    { label: 'Content-Range with high-bit bytes', bytes: Buffer.concat([Buffer.from(`PATCH ${upload} HTTP/1.1\r\n${host}Connection: close\r\nContent-Range: `), Buffer.from([0xff, 0xfe, 0x80]), Buffer.from('\r\nContent-Length: 1\r\n\r\nx')]) },
    { label: 'dot segments out of /v2 to the admin reset', bytes: `POST /v2/../_berth/reset HTTP/1.1\r\n${host}${auth}Connection: close\r\nContent-Length: 0\r\n\r\n` },
    { label: 'encoded dot segments', bytes: `DELETE /v2/${main}/manifests/%2e%2e%2f%2e%2e%2flatest HTTP/1.1\r\n${host}Connection: close\r\n\r\n` },
    { label: 'a request line of garbage', bytes: 'GARBAGE\r\n\r\n' },
    { label: 'HTTP/1.0 without Host', bytes: `GET /v2/${main}/tags/list HTTP/1.0\r\n\r\n` },
  ];
  const problems: string[] = [];
  for (const { label, bytes, end } of raw) {
    try {
      const { statuses, text } = await rawExchange(bytes, { end });
      if (statuses.some((status) => status >= 500)) problems.push(`${label}: ${text.slice(0, 300)}`);
    } catch (error) {
      problems.push(`${label}: ${(error as Error).message}`);
    }
  }
  expect(problems).toEqual([]);
  expect((await send({ method: 'GET', path: '/v2/', headers: { Authorization: basicAuth(password) } })).status).toBe(200);
  await expectStateIntact();
});

// ---- clients that hang up ----

/** Declares `declared` bytes, writes `written` of `bytes`, waits for the server to take them, then drops the connection. */
async function abortMidBody(method: string, path: string, headers: Record<string, string>, bytes: Buffer, written: number): Promise<void> {
  const url = new URL(server.endpoint);
  await new Promise<void>((resolve) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path, agent: false, headers: { ...headers, 'Content-Length': bytes.length } });
    req.on('error', () => resolve());
    req.on('response', (res) => {
      res.resume();
      resolve();
    });
    req.write(bytes.subarray(0, written), () => setTimeout(() => req.destroy(), 100));
    req.on('close', () => resolve());
  });
}

test('a client that hangs up mid-body: the session keeps a prefix of what was sent and can be finished; the server answers on', async () => {
  const content = Buffer.from(Array.from({ length: 256 * 1024 }, (_, i) => (i * 7919) % 251));
  const started = await v2(server, 'POST', `/v2/${main}/blobs/uploads/`);
  const location = started.headers.get('location')!;
  await abortMidBody('PATCH', location, { 'Content-Type': 'application/octet-stream' }, content, 64 * 1024);

  // The aborted PATCH may still be unwinding: wait until the session's size stops moving.
  let range = '';
  for (let i = 0; i < 50; i++) {
    const status = await v2(server, 'GET', location);
    expect(status.status).toBe(204);
    const now = status.headers.get('range')!;
    if (now === range) break;
    range = now;
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
  const received = range === '0-0' ? 0 : Number(/^0-(\d+)$/.exec(range)![1]) + 1;
  expect(received).toBeLessThanOrEqual(64 * 1024);
  const rest = await v2(server, 'PUT', `${location}${location.includes('?') ? '&' : '?'}digest=${sha256(content)}`, {
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${received}-${content.length - 1}` },
    body: content.subarray(received),
  });
  expect({ status: rest.status, body: rest.text }).toEqual({ status: 201, body: '' });
  expect((await v2(server, 'GET', `/v2/${main}/blobs/${sha256(content)}`)).body.equals(content)).toBe(true);

  // A monolithic upload, a manifest PUT and a blob download, each dropped part-way.
  await abortMidBody('POST', `/v2/${main}/blobs/uploads/?digest=${sha256(content)}`, { 'Content-Type': 'application/octet-stream' }, content, 100 * 1024);
  const manifest = paddedManifest(3 * MIB);
  await abortMidBody('PUT', `/v2/${main}/manifests/latest`, { 'Content-Type': MEDIA.ociManifest }, manifest, 512 * 1024);
  const big = Buffer.alloc(4 * MIB, 7);
  const bigDigest = await pushBlob(server, other, big);
  await new Promise<void>((resolve) => {
    const req = httpRequest(new URL(`/v2/${other}/blobs/${bigDigest}`, server.endpoint), { agent: false }, (res) => {
      res.once('data', () => {
        res.destroy();
        resolve();
      });
    });
    req.on('error', () => resolve());
    req.end();
  });

  expect((await send({ method: 'GET', path: '/v2/', headers: { Authorization: basicAuth(password) } })).status).toBe(200);
  expect((await v2(server, 'GET', `/v2/${other}/blobs/${bigDigest}`)).body.equals(big)).toBe(true);
  await expectStateIntact();
});
