import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable, type Readable } from 'node:stream';
import type { BlobDriver } from './driver.js';

/** Big buffers: a 1 GiB blob goes through in 1 MiB reads and writes, not 64 KiB ones. */
const STREAM_CHUNK = 1024 * 1024;

/** While an upload streams in, its written bytes are flushed to disk every this many bytes. */
const FLUSH_EVERY = 64 * 1024 * 1024;

/**
 * Appends to a file, starting an fdatasync in the background every FLUSH_EVERY bytes, so the
 * disk writes while the network still delivers and the fsync that commits the blob has
 * little left to do (a 1 GiB upload otherwise waits ~0.8 s for it at the end).
 */
function appendStream(path: string): Writable {
  let handle: FileHandle | undefined;
  let unflushed = 0;
  let flushing: Promise<void> | undefined;
  const flushInBackground = () => {
    if (flushing || !handle) return;
    unflushed = 0;
    flushing = handle.datasync().finally(() => {
      flushing = undefined;
    });
    // A failure here reappears in the commit's own fsync; nothing waits on this one.
    flushing.catch(() => undefined);
  };
  return new Writable({
    highWaterMark: STREAM_CHUNK * 4,
    construct(done) {
      open(path, 'a').then((opened) => {
        handle = opened;
        done();
      }, done);
    },
    writev(chunks, done) {
      const buffers = chunks.map(({ chunk }) => chunk as Buffer);
      handle!.writev(buffers).then(({ bytesWritten }) => {
        unflushed += bytesWritten;
        if (unflushed >= FLUSH_EVERY) flushInBackground();
        done();
      }, done);
    },
    final(done) {
      Promise.resolve(flushing).then(() => done(), () => done());
    },
    destroy(error, done) {
      const closing = handle?.close();
      handle = undefined;
      Promise.resolve(closing).then(() => done(error), () => done(error));
    },
  });
}

const sizeOf = async (path: string): Promise<number | undefined> => {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
};

/**
 * Blobs as files under `root`:
 *
 *   <root>/sha256/<first two hex>/<hex>   committed blobs, named by digest
 *   <root>/uploads/<id>                   uploads being written
 *
 * Uploads live on the same file system as blobs, so committing is fsync + rename.
 */
export function createFilesystemDriver(root: string): BlobDriver {
  const uploadsDir = join(root, 'uploads');
  const blobPath = (digest: string): string => {
    const [algorithm, hex] = digest.split(':');
    return join(root, algorithm, hex.slice(0, 2), hex);
  };
  const uploadPath = (id: string): string => join(uploadsDir, id);
  let ready: Promise<unknown> | undefined;
  const ensureDirs = () => (ready ??= mkdir(uploadsDir, { recursive: true }));

  return {
    blobSize: (digest) => sizeOf(blobPath(digest)),
    readBlob(digest, range) {
      return createReadStream(blobPath(digest), { highWaterMark: STREAM_CHUNK, start: range?.start, end: range?.end });
    },
    async deleteBlob(digest) {
      await rm(blobPath(digest), { force: true });
    },
    async *listBlobs() {
      for (const algorithm of ['sha256', 'sha512']) {
        let prefixes: string[];
        try {
          prefixes = await readdir(join(root, algorithm));
        } catch {
          continue;
        }
        for (const prefix of prefixes) {
          for (const hex of await readdir(join(root, algorithm, prefix)).catch(() => [])) yield `${algorithm}:${hex}`;
        }
      }
    },

    async createUpload(id) {
      await ensureDirs();
      await writeFile(uploadPath(id), '');
    },
    appendToUpload: (id) => appendStream(uploadPath(id)),
    uploadSize: (id) => sizeOf(uploadPath(id)),
    readUpload(id): Readable {
      return createReadStream(uploadPath(id), { highWaterMark: STREAM_CHUNK });
    },
    async commitUpload(id, digest) {
      const from = uploadPath(id);
      const handle = await open(from, 'r+');
      try {
        await handle.datasync();
      } finally {
        await handle.close();
      }
      const to = blobPath(digest);
      await mkdir(join(to, '..'), { recursive: true });
      // rename replaces an existing blob atomically; its bytes are the same by definition.
      await rename(from, to);
    },
    async deleteUpload(id) {
      await rm(uploadPath(id), { force: true });
    },
    async *listUploads() {
      let ids: string[];
      try {
        ids = await readdir(uploadsDir);
      } catch {
        return;
      }
      for (const id of ids) {
        const info = await stat(uploadPath(id)).catch(() => undefined);
        if (info) yield { id, modifiedAt: info.mtimeMs };
      }
    },
  };
}
