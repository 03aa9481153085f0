import type { IncomingMessage } from 'node:http';
import { readAccountSetting } from '../features/account/index.js';
import {
  appendToUpload,
  cancelUpload,
  completeUpload,
  findUpload,
  mountBlob,
  startUpload,
  uploadSize,
} from '../features/layers/uploads.js';
import { isClientGone } from '../lib/client-gone.js';
import { isDigest } from '../lib/digest.js';
import type { Scope } from '../lib/scope.js';
import { repositoryKey } from '../store/keys.js';
import type { RepositoryRecord, UploadRecord } from '../store/records.js';
import type { RegistryDeps, RegistryHandler, RegistryRequest } from './context.js';
import { registryError } from './errors.js';
import { parseContentRange, sendEmpty } from './http.js';
import { requireRepository } from '../features/repositories/lookup.js';

const uploadLocation = (name: string, id: string) => `/v2/${name}/blobs/uploads/${id}`;
const blobLocation = (name: string, digest: string) => `/v2/${name}/blobs/${digest}`;
/** OCI's Range of an upload: the bytes received, "0-<last byte>" ("0-0" while empty, as distribution says). */
const receivedRange = (size: number) => `0-${Math.max(0, size - 1)}`;

const hasBody = (req: IncomingMessage): boolean =>
  Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;

async function requireUpload(deps: RegistryDeps, scope: Scope, name: string, id: string): Promise<UploadRecord> {
  const record = await findUpload(deps.store, scope, name, id);
  if (!record) throw registryError('BLOB_UPLOAD_UNKNOWN', `upload ${id} is unknown to repository '${name}'`);
  return record;
}

function requireDigest(url: URL): string {
  const digest = url.searchParams.get('digest');
  if (!digest || !isDigest(digest)) throw registryError('DIGEST_INVALID', `digest parameter '${digest ?? ''}' is missing or invalid`);
  return digest;
}

/**
 * Appends the request's body to the session. When the client leaves mid-body, what arrived is
 * stored (the session's size says how much, for the client to resume from) or, with `discard`,
 * the session is cancelled; the abort is logged and the request ends: undefined, nothing to answer.
 */
async function appendBody(deps: RegistryDeps, { req, scope, name }: RegistryRequest, id: string, discard = false): Promise<number | undefined> {
  const before = await uploadSize(deps.store, id);
  try {
    return await appendToUpload(deps.store, id, req);
  } catch (error) {
    if (!isClientGone(error)) throw error;
    const size = await uploadSize(deps.store, id);
    if (discard) await cancelUpload(deps.store, id);
    deps.logger.info(
      { uploadId: id, registryId: scope.accountId, repository: name, bytesReceived: size - before, uploadSize: size, ...(discard && { discarded: true }) },
      'upload aborted: the client left before the end of the request body',
    );
    return undefined;
  }
}

/** Verifies and commits the session's bytes as `digest`, answering 201 or DIGEST_INVALID. */
async function finish(deps: RegistryDeps, { res, name }: RegistryRequest, id: string, record: UploadRecord, digest: string) {
  const result = await completeUpload(deps, id, record, digest);
  if (!result.completed) {
    // As distribution does: a session whose bytes fail their digest is discarded.
    await cancelUpload(deps.store, id);
    throw registryError('DIGEST_INVALID', `digest ${digest} does not match the uploaded content (${result.actual})`);
  }
  sendEmpty(res, 201, { Location: blobLocation(name, digest), 'Docker-Content-Digest': digest });
}

/** Mounts when ECR would: BLOB_MOUNTING enabled, the source holds the blob, same encryption. */
async function tryMount(deps: RegistryDeps, { scope, name }: RegistryRequest, target: RepositoryRecord, digest: string, from: string): Promise<boolean> {
  if (!isDigest(digest) || from === name) return false;
  if ((await readAccountSetting(deps.store, scope, 'BLOB_MOUNTING')) !== 'ENABLED') return false;
  const source = await deps.store.tables.repositories.get(repositoryKey(scope, from));
  if (!source || JSON.stringify(source.encryption) !== JSON.stringify(target.encryption)) return false;
  return (await mountBlob(deps, scope, name, from, digest)) !== undefined;
}

/** A chunk with a Content-Range must start where the session ends: 416 with the session's Range otherwise. */
async function checkChunkOrder(deps: RegistryDeps, { req, name }: RegistryRequest, id: string): Promise<void> {
  const contentRange = req.headers['content-range'];
  if (contentRange === undefined) return;
  const range = parseContentRange(contentRange);
  const size = await uploadSize(deps.store, id);
  if (!range || range.start !== size) {
    throw registryError('RANGE_INVALID', `chunk ${contentRange} does not start at byte ${size}`, {
      headers: { Location: uploadLocation(name, id), Range: receivedRange(size), 'Docker-Upload-UUID': id },
    });
  }
}

/** POST /v2/<name>/blobs/uploads/: mount, monolithic upload (?digest=) or a new session. */
export const startBlobUpload: RegistryHandler = async (deps, request) => {
  const { res, scope, name, url } = request;
  const repository = await requireRepository(deps.store, scope, name);
  const mount = url.searchParams.get('mount');
  const from = url.searchParams.get('from');
  if (mount && from && (await tryMount(deps, request, repository, mount, from))) {
    sendEmpty(res, 201, { Location: blobLocation(name, mount), 'Docker-Content-Digest': mount });
    return;
  }
  const monolithicDigest = url.searchParams.has('digest') && !mount ? requireDigest(url) : undefined;
  const { id, record } = await startUpload(deps, scope, name);
  if (monolithicDigest !== undefined) {
    // Cut short, the session is discarded: the client never learnt its id, so cannot resume it.
    if ((await appendBody(deps, request, id, true)) === undefined) return;
    await finish(deps, request, id, record, monolithicDigest);
    return;
  }
  sendEmpty(res, 202, { Location: uploadLocation(name, id), Range: '0-0', 'Docker-Upload-UUID': id });
};

/** PATCH /v2/<name>/blobs/uploads/<id>: the next chunk, in order. */
export const patchBlobUpload: RegistryHandler = async (deps, request) => {
  const { res, scope, name, param: id } = request;
  await requireRepository(deps.store, scope, name);
  await requireUpload(deps, scope, name, id);
  await checkChunkOrder(deps, request, id);
  const size = await appendBody(deps, request, id);
  if (size === undefined) return;
  sendEmpty(res, 202, { Location: uploadLocation(name, id), Range: receivedRange(size), 'Docker-Upload-UUID': id });
};

/** PUT /v2/<name>/blobs/uploads/<id>?digest=: the last chunk (optional), then verify and commit. */
export const finishBlobUpload: RegistryHandler = async (deps, request) => {
  const { req, scope, name, url, param: id } = request;
  await requireRepository(deps.store, scope, name);
  const record = await requireUpload(deps, scope, name, id);
  const digest = requireDigest(url);
  if (hasBody(req)) {
    await checkChunkOrder(deps, request, id);
    if ((await appendBody(deps, request, id)) === undefined) return;
  }
  await finish(deps, request, id, record, digest);
};

/** GET /v2/<name>/blobs/uploads/<id>: how much the session holds. */
export const blobUploadStatus: RegistryHandler = async (deps, { res, scope, name, param: id }) => {
  await requireRepository(deps.store, scope, name);
  await requireUpload(deps, scope, name, id);
  const size = await uploadSize(deps.store, id);
  sendEmpty(res, 204, { Location: uploadLocation(name, id), Range: receivedRange(size), 'Docker-Upload-UUID': id });
};

/** DELETE /v2/<name>/blobs/uploads/<id>: cancels the session. */
export const cancelBlobUpload: RegistryHandler = async (deps, { res, scope, name, param: id }) => {
  await requireRepository(deps.store, scope, name);
  await requireUpload(deps, scope, name, id);
  await cancelUpload(deps.store, id);
  sendEmpty(res, 204);
};
