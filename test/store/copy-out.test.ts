import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { createBlobStore, type BlobStore } from '../../src/store/blobs/blob-store.js';
import { COPY_BUFFER_BYTES } from '../../src/store/blobs/copy-out.js';
import type { BlobDriver, BlobHandle } from '../../src/store/blobs/driver.js';
import { createFilesystemDriver } from '../../src/store/blobs/filesystem-driver.js';
import { createMemoryDriver } from '../../src/store/blobs/memory-driver.js';
import { patternedBytes } from '../helpers/random.js';

// Serving a blob (BlobStore.copyTo, through copy-out.ts) over each driver: bytes and ranges across
// the copy buffers, buffers never refilled while a destination holds them, destinations
// that fail or go away, and reads moving off the event loop when one proves slow.

const BUFFER = COPY_BUFFER_BYTES;
const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

/** Open file descriptors of this process. */
const openFds = (): number => readdirSync('/proc/self/fd').length;

/**
 * A destination that holds every chunk it is given `delayMs` before calling back, checking first
 * that the chunk still holds the bytes it was written with; it keeps a copy, as a socket does.
 */
function holdingSink(expected: Buffer, delayMs = 0): { sink: Writable; received: () => Buffer; refilled: () => number } {
  const chunks: Buffer[] = [];
  let offset = 0;
  let refilled = 0;
  const sink = new Writable({
    highWaterMark: 0,
    write(chunk: Buffer, _encoding, done) {
      const at = offset;
      offset += chunk.length;
      setTimeout(() => {
        if (!chunk.equals(expected.subarray(at, at + chunk.length))) refilled++;
        chunks.push(Buffer.from(chunk));
        done();
      }, delayMs);
    },
  });
  return { sink, received: () => Buffer.concat(chunks), refilled: () => refilled };
}

async function storeWith(driver: BlobDriver, bytes: Buffer): Promise<{ blobs: BlobStore; digest: string }> {
  const blobs = createBlobStore(driver);
  const id = await blobs.startUpload();
  await blobs.append(id, Readable.from([bytes]));
  const finished = await blobs.finish(id, sha256(bytes));
  expect(finished.verified).toBe(true);
  return { blobs, digest: sha256(bytes) };
}

const tempDirs: string[] = [];
afterAll(() => tempDirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const DRIVERS: Array<{ name: string; create: () => BlobDriver }> = [
  {
    name: 'filesystem',
    create() {
      const root = mkdtempSync(join(tmpdir(), 'berth-copy-out-'));
      tempDirs.push(root);
      return createFilesystemDriver(root);
    },
  },
  { name: 'memory', create: () => createMemoryDriver() },
];

describe.each(DRIVERS)('copyTo over the $name driver', ({ create }) => {
  const BYTES = patternedBytes(3 * BUFFER + 1001, 'copy-out');

  test('a blob several buffers long arrives byte for byte, and so do ranges at and across buffer boundaries', async () => {
    const { blobs, digest } = await storeWith(create(), BYTES);
    const whole = holdingSink(BYTES);
    expect(await blobs.copyTo(digest, whole.sink)).toBe(true);
    expect(whole.received().equals(BYTES)).toBe(true);

    const ranges = [
      { start: 0, end: BUFFER - 1 }, // exactly one buffer
      { start: BUFFER - 1, end: BUFFER }, // two bytes on either side of a boundary
      { start: BUFFER, end: 2 * BUFFER + 5 }, // starts on a boundary, ends past the next
      { start: 5, end: 3 * BUFFER + 1000 }, // the last byte, from an odd start
      { start: 3 * BUFFER + 1000, end: 3 * BUFFER + 1000 }, // the last byte alone
    ];
    for (const range of ranges) {
      const expected = BYTES.subarray(range.start, range.end + 1);
      const part = holdingSink(expected);
      expect(await blobs.copyTo(digest, part.sink, range)).toBe(true);
      expect({ range, equal: part.received().equals(expected) }).toEqual({ range, equal: true });
    }
  });

  test('a buffer is never read into again while the destination still holds it', async () => {
    const { blobs, digest } = await storeWith(create(), BYTES);
    const slow = holdingSink(BYTES, 5);
    await blobs.copyTo(digest, slow.sink);
    expect(slow.refilled()).toBe(0);
    expect(slow.received().equals(BYTES)).toBe(true);
  });

  test('an unknown digest resolves false and writes nothing', async () => {
    const { blobs } = await storeWith(create(), BYTES);
    const sink = holdingSink(Buffer.alloc(0));
    expect(await blobs.copyTo(sha256(Buffer.from('absent')), sink.sink)).toBe(false);
    expect(sink.received().length).toBe(0);
  });

  test('a destination destroyed midway, its write never called back: copyTo resolves and closes the blob', async () => {
    const { blobs, digest } = await storeWith(create(), BYTES);
    const before = openFds();
    let writes = 0;
    const sink = new Writable({
      highWaterMark: 0,
      write(_chunk, _encoding, _done) {
        // Gone a moment later with its writes in flight, as a socket the client resets is.
        if (++writes === 1) setTimeout(() => this.destroy(), 10);
      },
    });
    expect(await blobs.copyTo(digest, sink)).toBe(true);
    expect(writes).toBe(1); // the second buffer waits in the stream behind the first
    expect(openFds()).toBe(before);
  });

  test('a destination that fails a write (and is not destroyed): copyTo rejects with its error and closes the blob', async () => {
    const { blobs, digest } = await storeWith(create(), BYTES);
    const before = openFds();
    const sink = new Writable({
      autoDestroy: false,
      write(_chunk, _encoding, done) {
        done(new Error('disk full downstream'));
      },
    });
    sink.on('error', () => undefined);
    await expect(blobs.copyTo(digest, sink)).rejects.toThrow('disk full downstream');
    expect(openFds()).toBe(before);
  });
});

describe('where reads run', () => {
  /** The memory driver, its handles recording which read served each chunk; `slowNow` blocks that readNow call 5 ms. */
  function recordingDriver(slowNow: (call: number) => boolean): { driver: BlobDriver; calls: string[] } {
    const inner = createMemoryDriver();
    const calls: string[] = [];
    const pause = new Int32Array(new SharedArrayBuffer(4));
    const driver: BlobDriver = {
      ...inner,
      async openBlob(digest) {
        const handle = await inner.openBlob(digest);
        if (!handle?.readNow) return handle;
        const readNow = handle.readNow;
        const recorded: BlobHandle = {
          read: (into, position) => {
            calls.push('pool');
            return handle.read(into, position);
          },
          readNow: (into, position) => {
            if (slowNow(calls.length)) Atomics.wait(pause, 0, 0, 5);
            calls.push('now');
            return readNow(into, position);
          },
          close: () => handle.close(),
        };
        return recorded;
      },
    };
    return { driver, calls };
  }

  test('reads are done at once while they are fast; after a slow one the next goes to read(), and a fast one brings them back', async () => {
    const bytes = patternedBytes(6 * BUFFER, 'slow-read');
    const { driver, calls } = recordingDriver((call) => call === 1);
    const { blobs, digest } = await storeWith(driver, bytes);
    const sink = holdingSink(bytes);
    await blobs.copyTo(digest, sink.sink);
    expect(sink.received().equals(bytes)).toBe(true);
    expect(calls.slice(0, 3)).toEqual(['now', 'now', 'pool']);
    expect(calls.slice(3)).toContain('now');
  });
});
