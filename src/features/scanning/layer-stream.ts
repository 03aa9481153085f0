// A layer blob as a stream of tar bytes: opened, decompressed according to what the bytes are
// (magic numbers win over the media type, since some images label a gzip layer as plain tar or
// the reverse), and counted against the scan's budget as they are produced. Nothing here holds
// more than a chunk or a zstd block at a time.

import { Readable, pipeline } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { messageOf } from './error-message.js';
import { ScanFailure } from './inventory.js';
import type { ScanBudget } from './scan-limits.js';
import { ZstdFormatError, zstdDecompress } from './zstd-stream.js';

export interface LayerSource {
  mediaType: string;
  digest: string;
  open(): Promise<NodeJS.ReadableStream | Readable>;
}

// Filesystem layers, by media type: OCI (with its nondistributable variants, deprecated but
// still pushed) and Docker schema 2 (with its foreign variant). Anything else in a manifest's
// layers (a Helm chart, a signature, an artifact's payload) has no filesystem to scan.
const LAYER_MEDIA_TYPE =
  /^application\/vnd\.(?:oci\.image\.layer(?:\.nondistributable)?\.v1\.tar|docker\.image\.rootfs(?:\.foreign)?\.diff\.tar)(?:\+gzip|\+zstd|\.gzip|\.zstd)?$/;

/** Whether a manifest layer of this media type is a filesystem layer the scanner can read. */
export function isScannableLayerType(mediaType: string): boolean {
  return LAYER_MEDIA_TYPE.test(mediaType);
}

type Compression = 'gzip' | 'zstd' | 'none';

function compressionOf(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4) {
    const magic = head.readUInt32LE(0);
    // A zstd frame, or a skippable frame (which may start a zstd stream).
    if (magic === 0xfd2fb528 || ((magic & 0xfffffff0) >>> 0) === 0x184d2a50) return 'zstd';
  }
  return 'none';
}

/** Why a scan that was given up stops reading. */
const abandoned = (digest: string): ScanFailure => new ScanFailure(`Layer ${digest} was not read: the scan was given up`);

/** The layer's raw bytes; failures to open or read it become ScanFailures naming the layer. */
async function* rawBytes(layer: LayerSource, signal: AbortSignal | undefined): AsyncGenerator<Buffer> {
  let stream: NodeJS.ReadableStream | Readable;
  try {
    stream = await layer.open();
  } catch (error) {
    throw new ScanFailure(`Layer ${layer.digest} could not be opened: ${messageOf(error)}`);
  }
  // A scan given up (its deadline passed) must not stay blocked on a read that never completes:
  // destroying the stream ends the read with the failure.
  const abort = (): void => {
    if ('destroy' in stream && typeof stream.destroy === 'function') stream.destroy(abandoned(layer.digest));
  };
  signal?.addEventListener('abort', abort, { once: true });
  try {
    if (signal?.aborted) throw abandoned(layer.digest);
    for await (const chunk of stream) {
      if (typeof chunk === 'string') yield Buffer.from(chunk);
      else yield Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    }
  } catch (error) {
    if (error instanceof ScanFailure) throw error;
    throw new ScanFailure(`Layer ${layer.digest} could not be read: ${messageOf(error)}`);
  } finally {
    signal?.removeEventListener('abort', abort);
    // Stopping early (a failure further down) must release the blob, not leave it open.
    if ('destroy' in stream && typeof stream.destroy === 'function') stream.destroy();
  }
}

/** Reads enough of the stream to recognize its compression, then replays those bytes. */
async function sniff(bytes: AsyncGenerator<Buffer>): Promise<{ compression: Compression; bytes: AsyncGenerator<Buffer> }> {
  const head: Buffer[] = [];
  let headLength = 0;
  let done = false;
  while (headLength < 4) {
    const next = await bytes.next();
    if (next.done) {
      done = true;
      break;
    }
    head.push(next.value);
    headLength += next.value.length;
  }
  const compression = compressionOf(Buffer.concat(head, headLength));
  async function* replay(): AsyncGenerator<Buffer> {
    try {
      yield* head;
      if (!done) yield* { [Symbol.asyncIterator]: () => bytes };
    } finally {
      await bytes.return(undefined);
    }
  }
  return { compression, bytes: replay() };
}

async function* gunzip(bytes: AsyncGenerator<Buffer>, digest: string): AsyncGenerator<Buffer> {
  const inflater = createGunzip();
  // Errors arrive through the inflater: the source's own (already ScanFailures) or zlib's.
  pipeline(Readable.from(bytes, { objectMode: false }), inflater, () => {});
  try {
    for await (const chunk of inflater) yield chunk as Buffer;
  } catch (error) {
    if (error instanceof ScanFailure) throw error;
    throw new ScanFailure(`Layer ${digest} is not valid gzip: ${messageOf(error)}`);
  } finally {
    inflater.destroy();
  }
}

async function* unzstd(bytes: AsyncGenerator<Buffer>, digest: string, maxWindowBytes: number): AsyncGenerator<Buffer> {
  try {
    yield* zstdDecompress(bytes, maxWindowBytes);
  } catch (error) {
    if (error instanceof ZstdFormatError) throw new ScanFailure(`Layer ${digest} is not valid zstd: ${error.message}`);
    throw error;
  }
}

/** The layer's tar bytes, decompressed and counted against the budget; stops with a ScanFailure once `signal` aborts. */
export async function* layerTarBytes(layer: LayerSource, budget: ScanBudget, signal?: AbortSignal): AsyncGenerator<Buffer> {
  const { compression, bytes } = await sniff(rawBytes(layer, signal));
  const tar =
    compression === 'gzip'
      ? gunzip(bytes, layer.digest)
      : compression === 'zstd'
        ? unzstd(bytes, layer.digest, budget.limits.maxZstdWindowBytes)
        : bytes;
  for await (const chunk of tar) {
    // Decompression can go on for a while from bytes already read (a zstd bomb): check here too.
    if (signal?.aborted) throw abandoned(layer.digest);
    budget.spendBytes(chunk.length, layer.digest);
    yield chunk;
  }
}
