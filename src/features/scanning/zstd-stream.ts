// Streaming zstd decompression with bounded memory. Node 20's zlib has no zstd, so decoding is
// done by fzstd (pure JavaScript: nothing to build natively, and it decodes a stream
// incrementally). fzstd trusts its input more than an image scanner can: it allocates whatever
// window a frame header declares (up to 2 GiB), and one push() decodes every block it is given,
// so a small, highly compressed input can expand to gigabytes before control returns.
//
// So the stream is first cut at zstd's own boundaries by ZstdFrameCutter, which reads only the
// frame and block headers (RFC 8878): it rejects a frame whose window is over the limit before
// fzstd sees it, rejects blocks larger than the format allows, and hands fzstd one block at a
// time, so each push() yields at most one block (at most 128 KiB) of output.

import { Decompress } from 'fzstd';

const ZSTD_MAGIC = 0xfd2fb528;
const SKIPPABLE_MAGIC_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;
/** RFC 8878 3.1.1.2.3: a block never regenerates more than min(window size, 128 KiB). */
const MAX_BLOCK_SIZE = 128 * 1024;

/** Thrown for input that is not zstd or breaks the format; the caller names the layer. */
export class ZstdFormatError extends Error {}

type CutterState =
  | { kind: 'frame-start' }
  | { kind: 'block'; blockMaximum: number; checksum: boolean }
  | { kind: 'checksum' }
  | { kind: 'skip'; remaining: number };

/** A queue of byte chunks that copies only when a unit spans chunks. */
class ByteQueue {
  private chunks: Buffer[] = [];
  length = 0;

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** The first n bytes (n <= length), without consuming them. */
  peek(n: number): Buffer {
    const first = this.chunks[0];
    if (first.length >= n) return first.subarray(0, n);
    return Buffer.concat(this.chunks, this.length).subarray(0, n);
  }

  take(n: number): Buffer {
    const taken = this.peek(n);
    this.drop(n);
    return taken;
  }

  drop(n: number): void {
    this.length -= n;
    while (n > 0) {
      const first = this.chunks[0];
      if (first.length <= n) {
        this.chunks.shift();
        n -= first.length;
      } else {
        this.chunks[0] = first.subarray(n);
        n = 0;
      }
    }
  }
}

/** Splits a zstd stream into frame headers, single blocks and checksums, validating headers. */
export class ZstdFrameCutter {
  private readonly queue = new ByteQueue();
  private state: CutterState = { kind: 'frame-start' };

  constructor(private readonly maxWindowBytes: number) {}

  /** Feeds bytes; returns the units now complete, each to be pushed to the decoder whole. */
  cut(chunk: Buffer): Buffer[] {
    this.queue.push(chunk);
    const units: Buffer[] = [];
    for (let unit = this.next(); unit !== undefined; unit = this.next()) {
      if (unit.length > 0) units.push(unit);
    }
    return units;
  }

  /** At the end of input: the stream must end between frames. */
  finish(): void {
    if (this.state.kind !== 'frame-start' || this.queue.length > 0) {
      throw new ZstdFormatError('the zstd stream is truncated (it ends inside a frame)');
    }
  }

  /** The next complete unit (an empty buffer for skipped bytes), or undefined if more input is needed. */
  private next(): Buffer | undefined {
    const queue = this.queue;
    const state = this.state;
    switch (state.kind) {
      case 'frame-start': {
        if (queue.length < 4) return undefined;
        const magic = queue.peek(4).readUInt32LE(0);
        if (((magic & SKIPPABLE_MAGIC_MASK) >>> 0) === SKIPPABLE_MAGIC) {
          if (queue.length < 8) return undefined;
          const size = queue.take(8).readUInt32LE(4);
          this.state = { kind: 'skip', remaining: size };
          return Buffer.alloc(0);
        }
        if (magic !== ZSTD_MAGIC) throw new ZstdFormatError('the data is not a zstd frame (bad magic number)');
        if (queue.length < 5) return undefined;
        const header = this.frameHeaderSize(queue.peek(5)[4]);
        if (queue.length < header.size) return undefined;
        const bytes = queue.take(header.size);
        const window = this.windowSize(bytes);
        if (window > this.maxWindowBytes) {
          throw new ZstdFormatError(
            `a zstd frame declares a ${window}-byte window, over the limit of ${this.maxWindowBytes} bytes`,
          );
        }
        this.state = { kind: 'block', blockMaximum: Math.min(window, MAX_BLOCK_SIZE), checksum: header.checksum };
        return bytes;
      }
      case 'block': {
        if (queue.length < 3) return undefined;
        const head = queue.peek(3);
        const word = head[0] | (head[1] << 8) | (head[2] << 16);
        const last = (word & 1) === 1;
        const type = (word >> 1) & 3;
        const size = word >>> 3;
        if (type === 3) throw new ZstdFormatError('a zstd block has the reserved block type');
        if (size > state.blockMaximum) {
          throw new ZstdFormatError(`a zstd block of ${size} bytes is larger than its frame allows (${state.blockMaximum})`);
        }
        // An RLE block (type 1) stores one byte, repeated `size` times.
        const unitSize = 3 + (type === 1 ? 1 : size);
        if (queue.length < unitSize) return undefined;
        if (last) this.state = state.checksum ? { kind: 'checksum' } : { kind: 'frame-start' };
        return queue.take(unitSize);
      }
      case 'checksum': {
        if (queue.length < 4) return undefined;
        this.state = { kind: 'frame-start' };
        return queue.take(4);
      }
      case 'skip': {
        if (state.remaining === 0) {
          this.state = { kind: 'frame-start' };
          return Buffer.alloc(0);
        }
        if (queue.length === 0) return undefined;
        const skipped = Math.min(state.remaining, queue.length);
        queue.drop(skipped);
        state.remaining -= skipped;
        return Buffer.alloc(0);
      }
    }
  }

  private frameHeaderSize(descriptor: number): { size: number; checksum: boolean } {
    if (descriptor & 0x08) throw new ZstdFormatError('a zstd frame header has its reserved bit set');
    const singleSegment = (descriptor >> 5) & 1;
    const dictionaryBytes = [0, 1, 2, 4][descriptor & 3];
    const contentSizeFlag = descriptor >> 6;
    const contentSizeBytes = contentSizeFlag === 0 ? singleSegment : 1 << contentSizeFlag;
    return {
      size: 4 + 1 + (singleSegment ? 0 : 1) + dictionaryBytes + contentSizeBytes,
      checksum: ((descriptor >> 2) & 1) === 1,
    };
  }

  private windowSize(header: Buffer): number {
    const descriptor = header[4];
    const singleSegment = (descriptor >> 5) & 1;
    const dictionaryBytes = [0, 1, 2, 4][descriptor & 3];
    if (dictionaryBytes > 0 && readLittleEndian(header, 5 + (singleSegment ? 0 : 1), dictionaryBytes) !== 0) {
      throw new ZstdFormatError('a zstd frame needs a dictionary, which image layers cannot carry');
    }
    if (!singleSegment) {
      // Window descriptor: exponent in the high 5 bits, eighths of the base in the low 3.
      const windowDescriptor = header[5];
      const base = 2 ** (10 + (windowDescriptor >> 3));
      return base + (base / 8) * (windowDescriptor & 7);
    }
    // A single-segment frame's window is its whole content.
    const contentSizeFlag = descriptor >> 6;
    const offset = 5 + dictionaryBytes;
    if (contentSizeFlag === 0) return header[offset];
    if (contentSizeFlag === 1) return header.readUInt16LE(offset) + 256;
    if (contentSizeFlag === 2) return header.readUInt32LE(offset);
    return Number(header.readBigUInt64LE(offset));
  }
}

function readLittleEndian(bytes: Buffer, offset: number, length: number): number {
  let value = 0;
  for (let i = length - 1; i >= 0; i -= 1) value = value * 256 + bytes[offset + i];
  return value;
}

/** Decompresses a zstd byte stream, yielding at most one block of output per step. */
export async function* zstdDecompress(compressed: AsyncIterable<Buffer>, maxWindowBytes: number): AsyncGenerator<Buffer> {
  const cutter = new ZstdFrameCutter(maxWindowBytes);
  const output: Buffer[] = [];
  const decoder = new Decompress((data) => {
    if (data.length > 0) output.push(Buffer.from(data.buffer, data.byteOffset, data.length));
  });
  const push = (unit: Uint8Array, final: boolean): void => {
    try {
      decoder.push(unit, final);
    } catch (error) {
      throw new ZstdFormatError(`the zstd data is corrupt (${(error as Error).message})`);
    }
  };
  for await (const chunk of compressed) {
    for (const unit of cutter.cut(chunk)) {
      push(unit, false);
      yield* output.splice(0);
    }
  }
  cutter.finish();
  // Frames shorter than fzstd's read-ahead are still buffered inside it; this flushes them.
  push(new Uint8Array(0), true);
  yield* output.splice(0);
}
