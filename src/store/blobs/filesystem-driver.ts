import { constants, createReadStream, readSync } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Writable, type Readable } from 'node:stream';
import type { BlobDriver } from './driver.js';

/** Big buffers: a 1 GiB blob goes through in 1 MiB reads and writes, not 64 KiB ones. */
const STREAM_CHUNK = 1024 * 1024;

/** Blobs are read 4 MiB at a time: fewer, larger socket writes serve a big layer fastest. */
const READ_CHUNK = 4 * 1024 * 1024;

/** While an upload streams in, its written bytes are flushed to disk every this many bytes. */
const FLUSH_EVERY = 64 * 1024 * 1024;

/**
 * Flushes upload files to disk in the background while they grow, so the disk writes while the
 * network still delivers and the fsync that commits a blob has little left to do (a 1 GiB
 * upload otherwise waits most of a second for it at the end). Counted per file, across the
 * requests (PATCH chunks) that append to it; the flush uses its own descriptor, so no request
 * waits for it.
 */
function createBackgroundFlusher() {
  const unflushed = new Map<string, number>();
  const flushing = new Map<string, Promise<void>>();
  const flush = async (path: string) => {
    const handle = await open(path, 'r');
    try {
      await handle.datasync();
    } finally {
      await handle.close();
    }
  };
  return {
    written(path: string, bytes: number): void {
      const total = (unflushed.get(path) ?? 0) + bytes;
      if (total < FLUSH_EVERY || flushing.has(path)) {
        unflushed.set(path, total);
        return;
      }
      unflushed.set(path, 0);
      // A failure here reappears in the commit's own fsync; nothing waits on this one.
      const run = flush(path)
        .catch(() => undefined)
        .finally(() => flushing.delete(path));
      flushing.set(path, run);
    },
    /** Waits for a flush in flight and forgets the file. */
    async settle(path: string): Promise<void> {
      await flushing.get(path);
      unflushed.delete(path);
    },
  };
}

function appendStream(path: string, written: (bytes: number) => void): Writable {
  let handle: FileHandle | undefined;
  return new Writable({
    highWaterMark: STREAM_CHUNK * 4,
    construct(done) {
      // No O_CREAT: appending to an upload that was cancelled or collected meanwhile must fail
      // (ENOENT), not bring it back as a new, empty file.
      open(path, constants.O_WRONLY | constants.O_APPEND).then((opened) => {
        handle = opened;
        done();
      }, done);
    },
    writev(chunks, done) {
      handle!.writev(chunks.map(({ chunk }) => chunk as Buffer)).then(({ bytesWritten }) => {
        written(bytesWritten);
        done();
      }, done);
    },
    destroy(error, done) {
      const closing = handle?.close();
      handle = undefined;
      Promise.resolve(closing).then(() => done(error), () => done(error));
    },
  });
}

/** fsync of a directory: makes the entries created, renamed or removed in it durable. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Creates blob directories so that their own entries are durable: a blob's name synced into
 * a directory whose entry in its parent could still be lost would be lost with it. Each
 * directory's parent is synced once per process, the first time a commit goes into it (also
 * for a directory that already exists: it may come from a process that crashed before
 * syncing it), up to the parent of `root`; after that a directory costs nothing.
 */
function createDurableDirectories(root: string) {
  const ready = new Map<string, Promise<void>>();
  const ensure = (dir: string): Promise<void> => {
    let done = ready.get(dir);
    if (!done) {
      done = (async () => {
        await mkdir(dir, { recursive: true });
        if (dir !== root) await ensure(dirname(dir));
        await syncDirectory(dirname(dir));
      })();
      ready.set(dir, done);
      done.catch(() => ready.delete(dir)); // the commit fails with the error; the next one tries again
    }
    return done;
  };
  return ensure;
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
  const flusher = createBackgroundFlusher();
  const durableDirectory = createDurableDirectories(root);
  const ensureDirs = () => (ready ??= mkdir(uploadsDir, { recursive: true }));

  return {
    blobSize: (digest) => sizeOf(blobPath(digest)),
    readBlob(digest, range) {
      return createReadStream(blobPath(digest), { highWaterMark: READ_CHUNK, start: range?.start, end: range?.end });
    },
    async openBlob(digest) {
      let handle: FileHandle;
      try {
        handle = await open(blobPath(digest), 'r');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
      return {
        read: async (into, position) => (await handle.read(into, 0, into.length, position)).bytesRead,
        readNow: (into, position) => readSync(handle.fd, into, 0, into.length, position),
        close: () => handle.close(),
      };
    },
    async deleteBlob(digest) {
      // Not synced: a delete lost to a power cut brings back an unreferenced blob, which the
      // collector removes again; no answer depends on it being gone.
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

    // Upload files are not synced while they are written (a background flush aside): an
    // upload lost to a power cut answers BLOB_UPLOAD_UNKNOWN, or a shorter Range, and the
    // client sends it again. Only a blob's commit is acknowledged as stored.
    async createUpload(id) {
      await ensureDirs();
      await writeFile(uploadPath(id), '');
    },
    appendToUpload: (id) => appendStream(uploadPath(id), (bytes) => flusher.written(uploadPath(id), bytes)),
    uploadSize: (id) => sizeOf(uploadPath(id)),
    async uploadModifiedAt(id) {
      return (await stat(uploadPath(id)).catch(() => undefined))?.mtimeMs;
    },
    readUpload(id): Readable {
      return createReadStream(uploadPath(id), { highWaterMark: STREAM_CHUNK });
    },
    async commitUpload(id, digest) {
      const from = uploadPath(id);
      await flusher.settle(from);
      const handle = await open(from, 'r+');
      try {
        await handle.datasync();
      } finally {
        await handle.close();
      }
      const to = blobPath(digest);
      await durableDirectory(dirname(to));
      // rename replaces an existing blob atomically; its bytes are the same by definition.
      await rename(from, to);
      // The new name is durable only once its directory is synced: the 201 waits for it.
      await syncDirectory(dirname(to));
    },
    async deleteUpload(id) {
      await flusher.settle(uploadPath(id));
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
