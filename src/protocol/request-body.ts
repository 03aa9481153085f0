import type { IncomingMessage } from 'node:http';
import { clientGone } from '../lib/client-gone.js';
import { AwsError } from '../model/errors.js';
import type { ServiceModel } from '../model/model.js';

// Reading a request body: within the size limit, without holding it twice, and telling a client
// that left mid-body (isClientGone) apart from a failure of ours.

const tooLarge = (limit: number) => new AwsError('RequestEntityTooLargeException', `Request body exceeds the limit of ${limit} bytes`, 413);

/**
 * Hands each chunk of the body to `take` until the end, or rejects: with a 413 AwsError once it
 * passes the limit, with a client-gone error when the client leaves before the end.
 */
export function receiveBody(req: IncomingMessage, limit: number, take: (chunk: Buffer) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(tooLarge(limit));
      return;
    }
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge(limit));
        return;
      }
      take(chunk);
    });
    req.on('end', () => resolve());
    req.on('error', reject);
    // Without an error event (the socket simply closed), the body would never end.
    req.on('close', () => {
      if (!req.complete) reject(clientGone('the client closed the connection before the end of the request body'));
    });
  });
}

/** The Content-Length, when there is one within the limit (a larger one is refused unread); 0 otherwise. */
export function declaredLength(req: IncomingMessage, limit: number): number {
  const declared = Number(req.headers['content-length']);
  return Number.isSafeInteger(declared) && declared > 0 && declared <= limit ? declared : 0;
}

/**
 * Reads the whole body. A declared Content-Length gets one buffer of that size, filled as
 * chunks arrive, instead of the chunks plus their concatenation.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = declaredLength(req, limit);
  let whole = declared ? Buffer.allocUnsafe(declared) : undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  await receiveBody(req, limit, (chunk) => {
    // Node's parser never delivers more than Content-Length; should it, the chunks take over.
    if (whole && size + chunk.length > whole.length) {
      chunks.push(whole.subarray(0, size));
      whole = undefined;
    }
    if (whole) chunk.copy(whole, size);
    else chunks.push(chunk);
    size += chunk.length;
  });
  return whole ? whole.subarray(0, size) : Buffer.concat(chunks, size);
}

/** Each operation's top-level input members of type blob (base64 on the wire): UploadLayerPart's layerPartBlob. */
export function blobMembersByOperation(model: ServiceModel): Map<string, ReadonlySet<string>> {
  const byOperation = new Map<string, ReadonlySet<string>>();
  for (const [operation, shape] of Object.entries(model.operations)) {
    const members = Object.entries(model.structures[shape.input]?.members ?? {});
    const blobs = new Set(members.filter(([, member]) => member.type === 'blob').map(([name]) => name));
    if (blobs.size) byOperation.set(operation, blobs);
  }
  return byOperation;
}
