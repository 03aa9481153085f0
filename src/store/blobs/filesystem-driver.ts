import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import type { BlobDriver } from './driver.js';

/** Big buffers: a 1 GiB blob goes through in 1 MiB reads and writes, not 64 KiB ones. */
const STREAM_CHUNK = 1024 * 1024;

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
    appendToUpload(id): Writable {
      return createWriteStream(uploadPath(id), { flags: 'a', highWaterMark: STREAM_CHUNK });
    },
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
