import type { Readable, Writable } from 'node:stream';

/**
 * The byte-level storage under the blob store: committed blobs addressed by digest, and
 * upload files being written. Hashing, verification and bookkeeping live above it
 * (blob-store.ts), so a new backend (S3-compatible, say) implements only this.
 *
 * A driver never makes an upload visible as a blob except through commitUpload, which must be
 * atomic and durable: after it returns, the blob survives a crash; before, readers never see it.
 */
export interface BlobDriver {
  /** Size of a committed blob, or undefined when there is none. */
  blobSize(digest: string): Promise<number | undefined>;
  /** The bytes of a committed blob; `end` is inclusive. */
  readBlob(digest: string, range?: { start: number; end: number }): Readable;
  /** Positional reads into the caller's buffers: what serving a blob uses, so buffers are reused. */
  openBlob(digest: string): Promise<BlobHandle | undefined>;
  deleteBlob(digest: string): Promise<void>;
  /** Digests of every committed blob, in no particular order. */
  listBlobs(): AsyncIterable<string>;

  /** Creates an empty upload. */
  createUpload(id: string): Promise<void>;
  /** A stream appending to the upload; it finishes once the bytes are handed to storage. */
  appendToUpload(id: string): Writable;
  /** Bytes the upload holds, or undefined when there is no such upload. */
  uploadSize(id: string): Promise<number | undefined>;
  /** When the upload was last written (ms since the epoch), or undefined when there is no such upload. */
  uploadModifiedAt(id: string): Promise<number | undefined>;
  readUpload(id: string): Readable;
  /** Makes the upload's bytes the blob `digest` (durably, atomically) and removes the upload. */
  commitUpload(id: string, digest: string): Promise<void>;
  deleteUpload(id: string): Promise<void>;
  /** Every upload with the time it was last written, for the collector of abandoned ones. */
  listUploads(): AsyncIterable<{ id: string; modifiedAt: number }>;
}

export interface BlobHandle {
  /** Fills `into` from `position` on; resolves with the bytes read (0 at the end). */
  read(into: Buffer, position: number): Promise<number>;
  /**
   * The same read, done at once on the calling thread: for a driver whose bytes are usually at
   * hand (in memory, or a file in the page cache). The blob store uses it while it proves fast.
   */
  readNow?(into: Buffer, position: number): number;
  close(): Promise<void>;
}
