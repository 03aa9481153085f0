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
  startUpload(): Promise<string>;
  /** Appends the stream to the upload; resolves with the upload's new size. */
  append(id: string, source: Readable): Promise<number>;
  /** Bytes received so far, or undefined when the upload does not exist. */
  uploadSize(id: string): Promise<number | undefined>;
  /** Checks the upload's digest and, when it matches, commits it as that blob. */
  finish(id: string, expected: string): Promise<FinishResult>;
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
  /** Notes that a blob was just committed or linked somewhere: the collector leaves it alone a while. */
  touch(digest: string): void;
  /**
   * Deletes a blob unless it was touched within the last `graceMs` (a push or mount may be
   * about to link it); resolves with the bytes freed, 0 when it was kept.
   */
  deleteUnlessTouched(digest: string, graceMs: number): Promise<number>;
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
  /** When each blob was last committed or linked, by this process. */
  const touched = new Map<string, number>();
  const blobLock = (digest: string) => `blob:${digest}`;
  function touch(digest: string): void {
    const now = Date.now();
    touched.set(digest, now);
    // Forget marks older than any grace the collector uses, so the map stays small.
    if (touched.size > TOUCHED_PRUNE_SIZE) {
      for (const [key, at] of touched) if (now - at > TOUCHED_MAX_AGE_MS) touched.delete(key);
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
    async startUpload() {
      const id = randomUUID();
      await driver.createUpload(id);
      hashes.set(id, { hash: sha256Hasher(), size: 0 });
      return id;
    },
    append(id, source) {
      return lock.run(id, async () => {
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
      });
    },
    uploadSize: (id) => driver.uploadSize(id),
    finish(id, expected) {
      return lock.run(id, async () => {
        const parsed = parseDigest(expected);
        const { digest, size } = await digestOf(id, parsed?.algorithm ?? 'sha256');
        if (digest !== expected) return { verified: false, actual: digest, size };
        await lock.run(blobLock(digest), async () => {
          touch(digest);
          await driver.commitUpload(id, digest);
        });
        hashes.delete(id);
        return { verified: true, digest, size };
      });
    },
    cancel(id) {
      return lock.run(id, async () => {
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
    touch,
    deleteUnlessTouched(digest, graceMs) {
      return lock.run(blobLock(digest), async () => {
        const at = touched.get(digest);
        if (at !== undefined && Date.now() - at < graceMs) return 0;
        touched.delete(digest);
        const size = (await driver.blobSize(digest)) ?? 0;
        await driver.deleteBlob(digest);
        return size;
      });
    },
    listBlobs: () => driver.listBlobs(),
    listUploads: () => driver.listUploads(),
  };
}
