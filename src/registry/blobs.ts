import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { EMPTY_LAYER } from '../features/images/convert.js';
import { linkedBlob } from '../features/layers/uploads.js';
import { isDigest } from '../lib/digest.js';
import { blobLinkKey } from '../store/keys.js';
import type { Store } from '../store/store.js';
import type { RegistryHandler } from './context.js';
import { registryError } from './errors.js';
import { API_VERSION_HEADER, parseRange, sendEmpty } from './http.js';
import { requireRepository } from '../features/repositories/lookup.js';

/** The bytes to serve and their size. */
interface BlobSource {
  size: number;
  /** Writes the bytes (or the inclusive range) to the response. */
  sendTo(res: ServerResponse, range?: { start: number; end: number }): Promise<void>;
}

const fromStore = (store: Store, digest: string, size: number): BlobSource => ({
  size,
  async sendTo(res, range) {
    if (!(await store.blobs.copyTo(digest, res, range))) throw new Error(`blob ${digest} vanished while being served`);
    res.end();
  },
});

/** The repository's blob, or (for converted schema 1 manifests, which list it) the empty layer. */
async function findBlob(store: Store, scope: Parameters<typeof linkedBlob>[1], name: string, digest: string): Promise<BlobSource | undefined> {
  const link = await linkedBlob(store, scope, name, digest);
  const size = link && (await store.blobs.size(digest));
  if (size !== undefined) return fromStore(store, digest, size);
  if (digest === EMPTY_LAYER.digest) {
    const bytes = Buffer.from(EMPTY_LAYER.bytes);
    return {
      size: bytes.length,
      sendTo: (res, range) => pipeline(Readable.from([range ? bytes.subarray(range.start, range.end + 1) : bytes]), res),
    };
  }
  return undefined;
}

/** Answers GET/HEAD of a blob: whole, or the one range asked for. */
export async function serveBlob(req: IncomingMessage, res: ServerResponse, digest: string, blob: BlobSource): Promise<void> {
  const { size } = blob;
  const headers: Record<string, string | number> = {
    ...API_VERSION_HEADER,
    'Content-Type': 'application/octet-stream',
    'Docker-Content-Digest': digest,
    ETag: `"${digest}"`,
    'Accept-Ranges': 'bytes',
    'Cache-Control': 'max-age=31536000',
  };
  const rangeHeader = req.headers.range;
  const range = rangeHeader && size > 0 ? parseRange(rangeHeader, size) : undefined;
  if (range === 'unsatisfiable') {
    throw registryError('RANGE_INVALID', `range ${rangeHeader} is not satisfiable for ${size} bytes`, {
      headers: { 'Content-Range': `bytes */${size}` },
    });
  }
  if (range) {
    res.writeHead(206, { ...headers, 'Content-Length': range.end - range.start + 1, 'Content-Range': `bytes ${range.start}-${range.end}/${size}` });
  } else {
    res.writeHead(200, { ...headers, 'Content-Length': size });
  }
  if (req.method === 'HEAD' || size === 0) {
    res.end();
    return;
  }
  await blob.sendTo(res, range);
}

/** GET/HEAD /v2/<name>/blobs/<digest>. */
export const getBlob: RegistryHandler = async ({ store }, { req, res, scope, name, param: digest }) => {
  await requireRepository(store, scope, name);
  if (!isDigest(digest)) throw registryError('DIGEST_INVALID', `invalid digest '${digest}'`);
  const blob = await findBlob(store, scope, name, digest);
  if (!blob) throw registryError('BLOB_UNKNOWN', `blob ${digest} is unknown to repository '${name}'`);
  await serveBlob(req, res, digest, blob);
};

/** GET/HEAD of a layer through a GetDownloadUrlForLayer URL, once its signature is checked. */
export async function serveDownload(
  store: Store,
  req: IncomingMessage,
  res: ServerResponse,
  grant: { scope: Parameters<typeof linkedBlob>[1]; repositoryName: string; digest: string },
): Promise<void> {
  const blob = await findBlob(store, grant.scope, grant.repositoryName, grant.digest);
  if (!blob) throw registryError('BLOB_UNKNOWN', `blob ${grant.digest} is unknown to repository '${grant.repositoryName}'`);
  await serveBlob(req, res, grant.digest, blob);
}

/** DELETE /v2/<name>/blobs/<digest>: unlinks the blob from the repository; the collector frees the bytes. */
export const deleteBlob: RegistryHandler = async ({ store }, { res, scope, name, param: digest }) => {
  await requireRepository(store, scope, name);
  if (!isDigest(digest)) throw registryError('DIGEST_INVALID', `invalid digest '${digest}'`);
  if (!(await linkedBlob(store, scope, name, digest))) throw registryError('BLOB_UNKNOWN', `blob ${digest} is unknown to repository '${name}'`);
  await store.write((batch) => batch.del('blobLinks', blobLinkKey(scope, name, digest)));
  sendEmpty(res, 202, { 'Docker-Content-Digest': digest });
};
