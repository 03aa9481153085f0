import type { Readable } from 'node:stream';
import type { Clock } from '../../lib/clock.js';
import { failpoint } from '../../lib/failpoints.js';
import type { Scope } from '../../lib/scope.js';
import { blobLinkKey, uploadKey } from '../../store/keys.js';
import type { BlobLinkRecord, UploadRecord } from '../../store/records.js';
import type { Store } from '../../store/store.js';
import { requireRepository } from '../repositories/lookup.js';

// Upload sessions and blob links, shared by the registry's /v2 uploads and ECR's layer
// actions (InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload). A session's record
// names its repository; its bytes are in the blob store until completed, then the blob is
// linked to that repository in the same batch that closes the session.

export interface UploadDeps {
  store: Store;
  clock: Clock;
}

export interface OpenUpload {
  id: string;
  record: UploadRecord;
}

export type CompleteResult =
  | { completed: true; digest: string; size: number }
  | { completed: false; actual: string; size: number };

const sameScope = (record: UploadRecord, scope: Scope, repositoryName: string): boolean =>
  record.accountId === scope.accountId && record.region === scope.region && record.repositoryName === repositoryName;

/** Opens a session in an existing repository (RepositoryNotFoundException otherwise). */
export async function startUpload(deps: UploadDeps, scope: Scope, repositoryName: string): Promise<OpenUpload> {
  await requireRepository(deps.store, scope, repositoryName);
  const record: UploadRecord = {
    accountId: scope.accountId,
    region: scope.region,
    repositoryName,
    startedAt: deps.clock.now().getTime(),
  };
  // The session is recorded before a collection can see the new upload file as ownerless.
  const id = await deps.store.blobs.startUpload((newId) => deps.store.write((batch) => batch.put('uploads', uploadKey(newId), record)));
  return { id, record };
}

/**
 * The session, when it exists, belongs to this repository and still has its bytes. A crash
 * between a blob's commit (the upload file renamed into place) and the batch that links it
 * and closes the session leaves a record without a file: that session is gone for the
 * client (BLOB_UPLOAD_UNKNOWN, and it starts again), not a failure to read it.
 */
export async function findUpload(store: Store, scope: Scope, repositoryName: string, id: string): Promise<UploadRecord | undefined> {
  const record = await store.tables.uploads.get(uploadKey(id));
  if (!record || !sameScope(record, scope, repositoryName)) return undefined;
  return (await store.blobs.uploadSize(id)) === undefined ? undefined : record;
}

/** Appends a chunk; resolves with the session's new size. */
export async function appendToUpload(store: Store, id: string, source: Readable): Promise<number> {
  return store.blobs.append(id, source);
}

export const uploadSize = async (store: Store, id: string): Promise<number> => (await store.blobs.uploadSize(id)) ?? 0;

export async function updateUpload(store: Store, id: string, record: UploadRecord): Promise<void> {
  await store.write((batch) => batch.put('uploads', uploadKey(id), record));
}

/**
 * Verifies the session's bytes against `digest`; when they match, the blob is committed and
 * linked to the session's repository and the session closes. On a mismatch the session is
 * left as it was, for the caller to decide.
 */
export async function completeUpload(deps: UploadDeps, id: string, record: UploadRecord, digest: string): Promise<CompleteResult> {
  const scope = { accountId: record.accountId, region: record.region };
  // The link is written in the blob store's locked commit step, so a collection never frees
  // the blob between its commit and its link.
  const result = await deps.store.blobs.finish(id, digest, async (size) => {
    failpoint('after-blob-commit');
    const link: BlobLinkRecord = { size, linkedAt: deps.clock.now().getTime() };
    await deps.store.write((batch) => {
      batch.del('uploads', uploadKey(id));
      batch.put('blobLinks', blobLinkKey(scope, record.repositoryName, digest), link);
    });
  });
  if (!result.verified) return { completed: false, actual: result.actual, size: result.size };
  return { completed: true, digest, size: result.size };
}

export async function cancelUpload(store: Store, id: string): Promise<void> {
  await store.blobs.cancel(id);
  await store.write((batch) => batch.del('uploads', uploadKey(id)));
}

/** The link that makes a blob visible in a repository, if there is one and the bytes exist. */
export async function linkedBlob(store: Store, scope: Scope, repositoryName: string, digest: string): Promise<BlobLinkRecord | undefined> {
  const link = await store.tables.blobLinks.get(blobLinkKey(scope, repositoryName, digest));
  // A link is only as good as the bytes behind it: look at the blob itself too.
  return link && (await store.blobs.size(digest)) !== undefined ? link : undefined;
}

/** Links a blob another repository holds into this one (a mount); false when the source lacks it. */
export async function mountBlob(
  deps: UploadDeps,
  scope: Scope,
  repositoryName: string,
  fromRepository: string,
  digest: string,
): Promise<BlobLinkRecord | undefined> {
  // Under the blob's lock, with the blob present: a collection cannot free it mid-mount.
  return deps.store.blobs.linkExisting(digest, async () => {
    const source = await deps.store.tables.blobLinks.get(blobLinkKey(scope, fromRepository, digest));
    if (!source) return undefined;
    const link: BlobLinkRecord = { size: source.size, linkedAt: deps.clock.now().getTime() };
    await deps.store.write((batch) => batch.put('blobLinks', blobLinkKey(scope, repositoryName, digest), link));
    return link;
  });
}
