import type { Hash } from 'node:crypto';
import { Transform, type Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import { parseDigest, sha256Hasher } from '../../lib/digest.js';
import { createKeyedLock } from '../../lib/keyed-lock.js';
import { createCopyOut } from './copy-out.js';
import type { BlobDriver } from './driver.js';
import { createHash } from 'node:crypto';

/** The running hash of an upload, kept between the requests that append to it. */
interface UploadHash {
  hash: Hash;
  size: number;
}

/** The upload's bytes are gone (cancelled, collected, or lost in a crash): the client must start again. */
export class UploadNotFoundError extends Error {
  constructor(readonly uploadId: string) {
    super(`upload ${uploadId} does not exist`);
  }
}

const isMissing = (error: unknown): boolean => (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';

/** Runs driver work on an upload, turning "no such file" into UploadNotFoundError. */
async function onUpload<T>(id: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw isMissing(error) ? new UploadNotFoundError(id) : error;
  }
}

/** Where a collection started: blobs referenced after it are never freed by it. */
export type CollectionMark = number;

export type FinishResult =
  | { verified: true; digest: string; size: number }
  | { verified: false; actual: string; size: number };

/**
 * Content-addressed blobs over a driver. Bytes are hashed while they stream in, so finishing
 * an upload costs one fsync and one rename, never a second read; a blob becomes readable only
 * once its digest is verified.
 *
 * Hash state lives in memory: after a restart, the first request that touches an upload
 * re-hashes the bytes it already holds (Node cannot export a hash's state).
 */
export interface BlobStore {
  /**
   * Creates an upload and runs `register` (which records its session) before any collection
   * can see the upload as abandoned.
   */
  startUpload(register?: (id: string) => Promise<void>): Promise<string>;
  /** Appends the stream to the upload; resolves with the upload's new size. UploadNotFoundError when it is gone. */
  append(id: string, source: Readable): Promise<number>;
  /** Bytes received so far, or undefined when the upload does not exist. */
  uploadSize(id: string): Promise<number | undefined>;
  /**
   * Checks the upload's digest and, when it matches, commits it as that blob and runs `link`
   * (the write that references it) in the same locked step, so no collection can free the blob
   * between the two. UploadNotFoundError when the upload is gone.
   */
  finish(id: string, expected: string, link?: (size: number) => Promise<void>): Promise<FinishResult>;
  cancel(id: string): Promise<void>;
  size(digest: string): Promise<number | undefined>;
  /** Reads a blob; `end` is inclusive. */
  read(digest: string, range?: { start: number; end: number }): Readable;
  /**
   * Writes a blob (or the inclusive range) to `destination` through a few reused buffers
   * (copy-out.ts). Resolves false when the blob does not exist; resolves as well when the
   * destination is destroyed midway (a client that went away).
   */
  copyTo(digest: string, destination: Writable, range?: { start: number; end: number }): Promise<boolean>;
  /** A whole blob in memory: for small ones only (image configs). */
  readAll(digest: string): Promise<Buffer>;
  delete(digest: string): Promise<void>;
  /**
   * Runs `link` (a new reference to an existing blob: a mount) under the blob's lock, only if
   * the blob exists, and marks the blob referenced. Resolves undefined when the blob does not exist.
   */
  linkExisting<R>(digest: string, link: () => Promise<R>): Promise<R | undefined>;
  /** Taken by a collection before it reads which blobs are linked. */
  collectionMark(): CollectionMark;
  /**
   * Deletes a blob the collector found unlinked, unless it was referenced since `mark` (its
   * link may be newer than the collector's reading) or within the last `graceMs`; resolves
   * with the bytes freed, 0 when it was kept.
   */
  deleteUnreferenced(digest: string, options: { graceMs: number; mark: CollectionMark }): Promise<number>;
  /**
   * Cancels an upload nobody is writing to, if `abandoned` (given the time of its last write,
   * in ms since the epoch) still says so under the upload's lock. Resolves whether it was cancelled.
   */
  cancelIfAbandoned(id: string, abandoned: (lastWriteAt: number) => Promise<boolean>): Promise<boolean>;
  listBlobs(): AsyncIterable<string>;
  listUploads(): AsyncIterable<{ id: string; modifiedAt: number }>;
}

/** Touch marks are pruned once there are this many, dropping those older than a day. */
const TOUCHED_PRUNE_SIZE = 10_000;
const TOUCHED_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** Passes bytes through unchanged, feeding them to the hash on the way. */
function hashingTap(state: UploadHash): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      state.hash.update(chunk);
      state.size += chunk.length;
      done(null, chunk);
    },
  });
}

export function createBlobStore(driver: BlobDriver): BlobStore {
  const hashes = new Map<string, UploadHash>();
  const lock = createKeyedLock();
  /**
   * When each blob was last committed or linked by this process, and in which order: a
   * collection frees a blob only if nothing referenced it since the collection's mark.
   */
  const touched = new Map<string, { at: number; sequence: number }>();
  let sequence = 0;
  const blobLock = (digest: string) => `blob:${digest}`;
  function touch(digest: string): void {
    const now = Date.now();
    touched.set(digest, { at: now, sequence: ++sequence });
    // Forget marks older than any grace the collector uses, so the map stays small.
    if (touched.size > TOUCHED_PRUNE_SIZE) {
      for (const [key, { at }] of touched) if (now - at > TOUCHED_MAX_AGE_MS) touched.delete(key);
    }
  }

  /** Requests waiting for or holding each upload's lock. */
  const pending = new Map<string, number>();
  /** Runs upload work under its lock, counted as pending so a collection leaves the upload alone. */
  async function withUpload<T>(id: string, work: () => Promise<T>): Promise<T> {
    pending.set(id, (pending.get(id) ?? 0) + 1);
    try {
      return await lock.run(id, work);
    } finally {
      const left = (pending.get(id) ?? 1) - 1;
      if (left > 0) pending.set(id, left);
      else pending.delete(id);
    }
  }
  /** The upload's hash so far, rebuilt from its bytes when this process has not seen it. */
  async function hashOf(id: string): Promise<UploadHash> {
    const known = hashes.get(id);
    if (known) return known;
    const state: UploadHash = { hash: sha256Hasher(), size: 0 };
    await pipeline(driver.readUpload(id), hashingTap(state), async function* (source) {
      for await (const _ of source); // drain: the tap did the work
    });
    hashes.set(id, state);
    return state;
  }

  async function digestOf(id: string, algorithm: string): Promise<{ digest: string; size: number }> {
    if (algorithm === 'sha256') {
      const state = await hashOf(id);
      return { digest: `sha256:${state.hash.copy().digest('hex')}`, size: state.size };
    }
    // Uploads are hashed as SHA-256 while they stream; any other algorithm reads them again.
    const hash = createHash(algorithm);
    let size = 0;
    for await (const chunk of driver.readUpload(id) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
    }
    return { digest: `${algorithm}:${hash.digest('hex')}`, size };
  }

  const copyOut = createCopyOut();
  async function copyTo(digest: string, destination: Writable, range?: { start: number; end: number }): Promise<boolean> {
    const handle = await driver.openBlob(digest);
    if (!handle) return false;
    try {
      await copyOut(handle, destination, range);
    } finally {
      await handle.close();
    }
    return true;
  }

  return {
    copyTo,
    async startUpload(register) {
      const id = randomUUID();
      await withUpload(id, async () => {
        await driver.createUpload(id);
        hashes.set(id, { hash: sha256Hasher(), size: 0 });
        await register?.(id);
      });
      return id;
    },
    append(id, source) {
      return withUpload(id, () =>
        onUpload(id, async () => {
          const state = await hashOf(id);
          try {
            await pipeline(source, hashingTap(state), driver.appendToUpload(id));
          } catch (error) {
            // Some bytes may have been hashed but not stored: forget the hash, so the next
            // request rebuilds it from what the upload really holds.
            hashes.delete(id);
            throw error;
          }
          return state.size;
        }),
      );
    },
    uploadSize: (id) => driver.uploadSize(id),
    finish(id, expected, link) {
      return withUpload(id, () =>
        onUpload(id, async () => {
          const parsed = parseDigest(expected);
          const { digest, size } = await digestOf(id, parsed?.algorithm ?? 'sha256');
          if (digest !== expected) return { verified: false, actual: digest, size };
          // Commit and link under the blob's lock, marked afterwards: a collection deciding on
          // this blob either runs before (and the commit brings the bytes back) or sees the mark.
          await lock.run(blobLock(digest), async () => {
            await driver.commitUpload(id, digest);
            hashes.delete(id);
            try {
              await link?.(size);
            } finally {
              touch(digest);
            }
          });
          return { verified: true, digest, size };
        }),
      );
    },
    cancel(id) {
      return withUpload(id, async () => {
        hashes.delete(id);
        await driver.deleteUpload(id);
      });
    },
    size: (digest) => driver.blobSize(digest),
    read: (digest, range) => driver.readBlob(digest, range),
    async readAll(digest) {
      const chunks: Buffer[] = [];
      for await (const chunk of driver.readBlob(digest) as AsyncIterable<Buffer>) chunks.push(chunk);
      return Buffer.concat(chunks);
    },
    delete: (digest) => driver.deleteBlob(digest),
    linkExisting(digest, link) {
      return lock.run(blobLock(digest), async () => {
        if ((await driver.blobSize(digest)) === undefined) return undefined;
        try {
          return await link();
        } finally {
          touch(digest);
        }
      });
    },
    collectionMark: () => sequence,
    deleteUnreferenced(digest, { graceMs, mark }) {
      return lock.run(blobLock(digest), async () => {
        const last = touched.get(digest);
        if (last !== undefined && (last.sequence > mark || Date.now() - last.at < graceMs)) return 0;
        touched.delete(digest);
        const size = (await driver.blobSize(digest)) ?? 0;
        await driver.deleteBlob(digest);
        return size;
      });
    },
    async cancelIfAbandoned(id, abandoned) {
      // A request writing to the upload (or queued to) keeps it, however old it looks.
      if (pending.has(id)) return false;
      return withUpload(id, async () => {
        if ((pending.get(id) ?? 0) > 1) return false;
        // Read again under the lock: the listing the collector works from may predate a write.
        const lastWrite = await driver.uploadModifiedAt(id);
        if (lastWrite === undefined || !(await abandoned(lastWrite))) return false;
        hashes.delete(id);
        await driver.deleteUpload(id);
        return true;
      });
    },
    listBlobs: () => driver.listBlobs(),
    listUploads: () => driver.listUploads(),
  };
}
