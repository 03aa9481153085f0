import { pipeline } from 'node:stream/promises';
import { linkedBlob } from '../features/layers/uploads.js';
import { blobLinkKey } from '../store/keys.js';
import type { RegistryHandler } from './context.js';
import { registryError } from './errors.js';
import { API_VERSION_HEADER, parseRange, sendEmpty } from './http.js';
import { requireRepositoryOci } from './repository.js';
import { isDigest } from '../lib/digest.js';

/** GET/HEAD /v2/<name>/blobs/<digest>: the bytes, whole or one range. */
export const getBlob: RegistryHandler = async ({ store }, { req, res, scope, name, param: digest }) => {
  await requireRepositoryOci(store, scope, name);
  if (!isDigest(digest)) throw registryError('DIGEST_INVALID', `invalid digest '${digest}'`);
  const link = await linkedBlob(store, scope, name, digest);
  const size = link && (await store.blobs.size(digest));
  if (!link || size === undefined) throw registryError('BLOB_UNKNOWN', `blob ${digest} is unknown to repository '${name}'`);

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
  await pipeline(store.blobs.read(digest, range), res);
};

/** DELETE /v2/<name>/blobs/<digest>: unlinks the blob from the repository; the collector frees the bytes. */
export const deleteBlob: RegistryHandler = async ({ store }, { res, scope, name, param: digest }) => {
  await requireRepositoryOci(store, scope, name);
  if (!isDigest(digest)) throw registryError('DIGEST_INVALID', `invalid digest '${digest}'`);
  if (!(await linkedBlob(store, scope, name, digest))) throw registryError('BLOB_UNKNOWN', `blob ${digest} is unknown to repository '${name}'`);
  await store.write((batch) => batch.del('blobLinks', blobLinkKey(scope, name, digest)));
  sendEmpty(res, 202, { 'Docker-Content-Digest': digest });
};
