import { Readable, Writable } from 'node:stream';
import type { BlobDriver } from './driver.js';

interface Bytes {
  chunks: Buffer[];
  size: number;
  modifiedAt: number;
}

/** Streams the bytes start..end (inclusive) of a chunk list without copying it whole. */
function readChunks(bytes: Bytes, start = 0, end = bytes.size - 1): Readable {
  function* pieces() {
    let offset = 0;
    for (const chunk of bytes.chunks) {
      const chunkEnd = offset + chunk.length;
      if (chunkEnd > start && offset <= end) {
        yield chunk.subarray(Math.max(0, start - offset), Math.min(chunk.length, end - offset + 1));
      }
      offset = chunkEnd;
      if (offset > end) break;
    }
  }
  return Readable.from(pieces(), { objectMode: false });
}

/** Blobs in memory: the ephemeral mode's driver, and the tests'. Nothing touches the disk. */
export function createMemoryDriver(): BlobDriver {
  const blobs = new Map<string, Bytes>();
  const uploads = new Map<string, Bytes>();
  const missing = (what: string) => Object.assign(new Error(`${what} does not exist`), { code: 'ENOENT' });

  return {
    blobSize: async (digest) => blobs.get(digest)?.size,
    readBlob(digest, range) {
      const bytes = blobs.get(digest);
      if (!bytes) return new Readable({ read() { this.destroy(missing(digest)); } });
      return readChunks(bytes, range?.start, range?.end);
    },
    async openBlob(digest) {
      const bytes = blobs.get(digest);
      if (!bytes) return undefined;
      const readNow = (into: Buffer, position: number): number => {
        let copied = 0;
        let offset = 0;
        for (const chunk of bytes.chunks) {
          const chunkEnd = offset + chunk.length;
          if (chunkEnd > position + copied && copied < into.length) {
            copied += chunk.copy(into, copied, position + copied - offset);
          }
          offset = chunkEnd;
          if (copied >= into.length) break;
        }
        return copied;
      };
      return { readNow, read: async (into, position) => readNow(into, position), close: async () => undefined };
    },
    async deleteBlob(digest) {
      blobs.delete(digest);
    },
    async *listBlobs() {
      yield* [...blobs.keys()];
    },

    async createUpload(id) {
      uploads.set(id, { chunks: [], size: 0, modifiedAt: Date.now() });
    },
    appendToUpload(id) {
      return new Writable({
        write(chunk: Buffer, _encoding, done) {
          const upload = uploads.get(id);
          if (!upload) return done(missing(id));
          upload.chunks.push(chunk);
          upload.size += chunk.length;
          upload.modifiedAt = Date.now();
          done();
        },
      });
    },
    uploadSize: async (id) => uploads.get(id)?.size,
    uploadModifiedAt: async (id) => uploads.get(id)?.modifiedAt,
    readUpload(id) {
      const upload = uploads.get(id);
      if (!upload) return new Readable({ read() { this.destroy(missing(id)); } });
      return readChunks(upload);
    },
    async commitUpload(id, digest) {
      const upload = uploads.get(id);
      if (!upload) throw missing(id);
      uploads.delete(id);
      blobs.set(digest, upload);
    },
    async deleteUpload(id) {
      uploads.delete(id);
    },
    async *listUploads() {
      yield* [...uploads].map(([id, upload]) => ({ id, modifiedAt: upload.modifiedAt }));
    },
  };
}
