import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { CreateRepositoryCommand, GetAuthorizationTokenCommand, type CreateRepositoryCommandInput } from '@aws-sdk/client-ecr';
import type { TestServer } from './server.js';

// Shared pieces of the /v2 protocol tests: raw requests over fetch, digests, manifest
// builders, and pushes that go through the registry itself (never the store).

export const MEDIA = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
} as const;

export const sha256 = (bytes: Buffer | string): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

let repositoryCounter = 0;
/** A repository name no other test of the run uses. */
export const uniqueName = (prefix: string): string => `${prefix}-${process.pid}-${++repositoryCounter}`;

/** What came back from one /v2 request. */
export interface Reply {
  status: number;
  headers: Headers;
  body: Buffer;
  text: string;
  json<T = Record<string, unknown>>(): T;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** A Host header to send (such as an ECR registry's name); the request still goes to the server. */
  host?: string;
}

const replyOf = (status: number, headers: Headers, bytes: Buffer): Reply => {
  const text = bytes.toString('utf8');
  return { status, headers, body: bytes, text, json: <T>() => JSON.parse(text) as T };
};

/** node:http, since fetch may not set Host. */
function requestWithHost(url: URL, method: string, host: string, options: RequestOptions): Promise<Reply> {
  const body = options.body === undefined ? undefined : Buffer.from(options.body);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(url, { method, headers: { ...options.headers, host, ...(body ? { 'content-length': body.length } : {}) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(response.headers)) {
          for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, one);
        }
        resolve(replyOf(response.statusCode ?? 0, headers, Buffer.concat(chunks)));
      });
    });
    outgoing.on('error', reject);
    outgoing.end(body);
  });
}

/** One request to the server's registry; `path` is absolute (/v2/...) or a Location header. */
export async function v2(server: Pick<TestServer, 'endpoint'>, method: string, path: string, options: RequestOptions = {}): Promise<Reply> {
  const url = new URL(path, server.endpoint);
  if (options.host !== undefined) return requestWithHost(url, method, options.host, options);
  const body = options.body === undefined ? undefined : new Uint8Array(typeof options.body === 'string' ? Buffer.from(options.body) : options.body);
  const response = await fetch(url, { method, headers: options.headers, body, redirect: 'manual' });
  return replyOf(response.status, response.headers, Buffer.from(await response.arrayBuffer()));
}

export interface OciErrorBody {
  errors: Array<{ code: string; message: string; detail?: unknown }>;
}

/** Asserts an OCI error answer: the status, a JSON body with one error of `code`, optionally its message. */
export function expectOciError(reply: Reply, status: number, code: string, message?: string | RegExp): void {
  const actualCode = reply.text.startsWith('{') ? reply.json<OciErrorBody>().errors?.[0]?.code : reply.text;
  expect({ status: reply.status, code: actualCode }).toEqual({ status, code });
  expect(reply.headers.get('content-type')).toMatch(/^application\/json/);
  expect(reply.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
  const [error] = reply.json<OciErrorBody>().errors;
  if (typeof message === 'string') expect(error.message).toBe(message);
  else if (message) expect(error.message).toMatch(message);
}

/** Creates a repository through the API, in the client's account and region. */
export async function createRepository(
  server: TestServer,
  name: string,
  input: Omit<CreateRepositoryCommandInput, 'repositoryName'> = {},
  client: { accountId?: string; region?: string } = {},
): Promise<string> {
  await server.client(client).send(new CreateRepositoryCommand({ repositoryName: name, ...input }));
  return name;
}

/** A Basic-auth password from GetAuthorizationToken (the token is base64 "AWS:<password>"). */
export async function registryPassword(server: TestServer, client: { accountId?: string; region?: string } = {}): Promise<string> {
  const { authorizationData } = await server.client(client).send(new GetAuthorizationTokenCommand({}));
  const decoded = Buffer.from(authorizationData![0].authorizationToken!, 'base64').toString('utf8');
  expect(decoded.startsWith('AWS:')).toBe(true);
  return decoded.slice('AWS:'.length);
}

export const basicAuth = (password: string, user = 'AWS'): string => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** Pushes a blob with one monolithic POST ?digest= and returns its digest (asserting 201). */
export async function pushBlob(server: Pick<TestServer, 'endpoint'>, name: string, bytes: Buffer, headers: Record<string, string> = {}): Promise<string> {
  const digest = sha256(bytes);
  const reply = await v2(server, 'POST', `/v2/${name}/blobs/uploads/?digest=${digest}`, {
    headers: { 'Content-Type': 'application/octet-stream', ...headers },
    body: bytes,
  });
  expect({ status: reply.status, body: reply.text }).toEqual({ status: 201, body: '' });
  return digest;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
  platform?: { architecture: string; os: string };
}

export const descriptorOf = (mediaType: string, bytes: Buffer, extra: Partial<Descriptor> = {}): Descriptor => ({
  mediaType,
  digest: sha256(bytes),
  size: bytes.length,
  ...extra,
});

/**
 * A Docker image config with one history entry per layer plus an empty-layer entry at the
 * start (what a `FROM scratch` + ENV + COPY build leaves), rootfs.diff_ids per layer.
 */
export function imageConfig(layers: Buffer[], seed: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      architecture: 'amd64',
      os: 'linux',
      config: { Env: [`SEED=${seed}`], Cmd: ['/bin/sh'] },
      created: '2024-05-01T10:00:00.123Z',
      rootfs: { type: 'layers', diff_ids: layers.map((layer) => sha256(Buffer.concat([Buffer.from('uncompressed '), layer]))) },
      history: [
        { created: '2024-05-01T10:00:00Z', created_by: `ENV SEED=${seed}`, empty_layer: true },
        ...layers.map((_, index) => ({ created: '2024-05-01T10:00:00.123Z', created_by: `COPY layer${index} /` })),
      ],
    }),
  );
}

export const dockerManifest = (config: Descriptor, layers: Descriptor[]): Buffer =>
  Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.dockerManifest, config, layers }, null, 3));

export const ociManifest = (
  config: Descriptor,
  layers: Descriptor[],
  extra: { artifactType?: string; subject?: Descriptor; annotations?: Record<string, string> } = {},
): Buffer =>
  Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MEDIA.ociManifest,
      ...(extra.artifactType ? { artifactType: extra.artifactType } : {}),
      config,
      layers,
      ...(extra.subject ? { subject: extra.subject } : {}),
      ...(extra.annotations ? { annotations: extra.annotations } : {}),
    }),
  );

export const dockerManifestList = (manifests: Descriptor[]): Buffer =>
  Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.dockerManifestList, manifests }));

export const ociIndex = (manifests: Descriptor[], extra: { artifactType?: string; subject?: Descriptor } = {}): Buffer =>
  Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests, ...extra }));

/** PUT /v2/<name>/manifests/<reference> with the manifest's media type; the reply unchecked. */
export function putManifest(server: Pick<TestServer, 'endpoint'>, name: string, reference: string, bytes: Buffer, mediaType: string, headers: Record<string, string> = {}): Promise<Reply> {
  return v2(server, 'PUT', `/v2/${name}/manifests/${reference}`, { headers: { 'Content-Type': mediaType, ...headers }, body: bytes });
}

export interface PushedImage {
  digest: string;
  mediaType: string;
  manifest: Buffer;
  descriptor: Descriptor;
  config: { digest: string; bytes: Buffer };
  layers: Array<{ digest: string; bytes: Buffer }>;
}

/**
 * Pushes an image the way a client does: layers and config as blobs, then the manifest (by
 * tag when given, else by digest). `format` picks Docker schema 2 or an OCI image manifest.
 */
export async function pushImage(
  server: Pick<TestServer, 'endpoint'>,
  name: string,
  options: { tag?: string; format?: 'docker' | 'oci'; seed?: string; layerCount?: number; headers?: Record<string, string> } = {},
): Promise<PushedImage> {
  const format = options.format ?? 'docker';
  const seed = options.seed ?? `${name}-${Math.random()}`;
  const layerBytes = Array.from({ length: options.layerCount ?? 2 }, (_, index) => Buffer.from(`layer ${index} of ${seed} `.repeat(10 + index)));
  const configBytes = imageConfig(layerBytes, seed);
  const headers = options.headers ?? {};
  const layers = [];
  for (const bytes of layerBytes) layers.push({ digest: await pushBlob(server, name, bytes, headers), bytes });
  const config = { digest: await pushBlob(server, name, configBytes, headers), bytes: configBytes };
  const [configType, layerType, mediaType] =
    format === 'docker' ? [MEDIA.dockerConfig, MEDIA.dockerLayer, MEDIA.dockerManifest] : [MEDIA.ociConfig, MEDIA.ociLayer, MEDIA.ociManifest];
  const configDescriptor = descriptorOf(configType, configBytes);
  const layerDescriptors = layerBytes.map((bytes) => descriptorOf(layerType, bytes));
  const manifest = format === 'docker' ? dockerManifest(configDescriptor, layerDescriptors) : ociManifest(configDescriptor, layerDescriptors);
  const digest = sha256(manifest);
  const reply = await putManifest(server, name, options.tag ?? digest, manifest, mediaType, headers);
  expect({ status: reply.status, body: reply.text }).toEqual({ status: 201, body: '' });
  expect(reply.headers.get('docker-content-digest')).toBe(digest);
  return { digest, mediaType, manifest, descriptor: descriptorOf(mediaType, manifest), config, layers };
}
