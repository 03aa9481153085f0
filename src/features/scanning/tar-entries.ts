// A tar byte stream as a sequence of entries, parsed by tar-stream (a maintained streaming tar
// parser that handles ustar, GNU long names and pax headers; a hand-written one would get those
// wrong). Entries come one at a time: the parser waits until the current entry's body has been
// read or skipped, so memory stays at a chunk plus whatever body the caller chooses to keep.

import { extract, type Extract, type Header } from 'tar-stream';
import { messageOf } from './error-message.js';
import { ScanFailure } from './inventory.js';

export interface TarEntry {
  header: Header;
  /** The entry's whole body. Call at most once; a body not read is skipped. */
  read(): Promise<Buffer>;
}

/** Resolves once the parser wants more input or has been torn down. */
function writable(parser: Extract): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      parser.off('drain', done);
      parser.off('close', done);
      resolve();
    };
    parser.on('drain', done);
    parser.on('close', done);
  });
}

export async function* tarEntries(bytes: AsyncIterable<Buffer>, layerDigest: string): AsyncGenerator<TarEntry> {
  const parser = extract();
  // A failure of the bytes themselves (unreadable blob, bad compression, over budget) is already
  // a ScanFailure; it reaches the parser as the reason it was torn down, and is reported as is.
  let inputFailure: unknown;
  const tornDown = (): boolean => parser.destroying || parser.destroyed;

  const feeding = (async () => {
    try {
      for await (const chunk of bytes) {
        if (tornDown()) break;
        if (!parser.write(chunk) && !tornDown()) await writable(parser);
      }
      if (!tornDown()) parser.end(undefined);
    } catch (error) {
      inputFailure = error;
      parser.destroy(error instanceof Error ? error : new Error(messageOf(error)));
    }
  })();

  const failureOf = (error: unknown): unknown => {
    if (inputFailure !== undefined) return inputFailure;
    if (error instanceof ScanFailure) return error;
    return new ScanFailure(`Layer ${layerDigest} is not a valid tar archive: ${messageOf(error)}`);
  };

  try {
    const entries = parser[Symbol.asyncIterator]();
    for (;;) {
      const next = await entries.next().catch((error: unknown) => {
        throw failureOf(error);
      });
      if (next.done) break;
      const body = next.value;
      let consumed = false;
      const read = async (): Promise<Buffer> => {
        consumed = true;
        const chunks: Buffer[] = [];
        try {
          for await (const chunk of body) chunks.push(chunk as Buffer);
        } catch (error) {
          throw failureOf(error);
        }
        return Buffer.concat(chunks);
      };
      yield { header: body.header, read };
      if (!consumed) {
        try {
          for await (const chunk of body) void chunk;
        } catch (error) {
          throw failureOf(error);
        }
      }
    }
    // The parser finishing is not enough: the input may have failed after the last entry.
    await feeding;
    if (inputFailure !== undefined) throw inputFailure;
  } finally {
    parser.destroy();
    await feeding;
  }
}
