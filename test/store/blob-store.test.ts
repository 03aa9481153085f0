import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { createBlobStore, UploadNotFoundError, type BlobStore } from '../../src/store/blobs/blob-store.js';
import type { BlobDriver } from '../../src/store/blobs/driver.js';
import { createFilesystemDriver } from '../../src/store/blobs/filesystem-driver.js';
import { createMemoryDriver } from '../../src/store/blobs/memory-driver.js';
import { patternedBytes } from '../helpers/random.js';

// One conformance suite, run against every BlobDriver: the driver on its own (what a new
// backend must do) and the content-addressed blob store over it.

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
const sha512 = (bytes: Buffer): string => `sha512:${createHash('sha512').update(bytes).digest('hex')}`;

async function collect(source: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of source as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function listOf<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** Writes `bytes` through the driver's append stream and waits until it has finished. */
function driverAppend(driver: BlobDriver, id: string, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const sink = driver.appendToUpload(id);
    sink.once('error', reject);
    sink.once('finish', () => resolve());
    sink.end(bytes);
  });
}

/** A source that yields `bytes` in pieces, then fails. */
function failingSource(bytes: Buffer): Readable {
  return Readable.from(
    (async function* () {
      yield bytes.subarray(0, bytes.length >> 1);
      yield bytes.subarray(bytes.length >> 1);
      throw new Error('client went away');
    })(),
  );
}

interface DriverCase {
  name: string;
  /** A fresh driver; `reopen` opens a second one over the same storage (a restart), when it persists. */
  create(): { driver: BlobDriver; reopen?: () => BlobDriver };
  persistent: boolean;
}

const tempDirs: string[] = [];
afterAll(() => tempDirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

const DRIVERS: DriverCase[] = [
  {
    name: 'filesystem',
    create() {
      const root = mkdtempSync(join(tmpdir(), 'berth-blob-store-'));
      tempDirs.push(root);
      return { driver: createFilesystemDriver(root), reopen: () => createFilesystemDriver(root) };
    },
    persistent: true,
  },
  { name: 'memory', create: () => ({ driver: createMemoryDriver() }), persistent: false },
];

describe.each(DRIVERS)('$name driver', ({ create, persistent }) => {
  describe('driver conformance', () => {
    let driver: BlobDriver;
    beforeEach(() => {
      driver = create().driver;
    });

    test('an upload is created empty, grows by appends and reads back what was appended', async () => {
      await driver.createUpload('u1');
      expect(await driver.uploadSize('u1')).toBe(0);
      const first = patternedBytes(3000, 'a');
      const second = patternedBytes(5000, 'b');
      await driverAppend(driver, 'u1', first);
      expect(await driver.uploadSize('u1')).toBe(3000);
      await driverAppend(driver, 'u1', second);
      expect(await driver.uploadSize('u1')).toBe(8000);
      expect((await collect(driver.readUpload('u1'))).equals(Buffer.concat([first, second]))).toBe(true);
      expect(await driver.uploadSize('missing')).toBeUndefined();
    });

    test('uploads are listed with their last write time, also read one by one; a deleted one is gone', async () => {
      const before = Date.now();
      await driver.createUpload('u1');
      await driver.createUpload('u2');
      await driverAppend(driver, 'u2', Buffer.from('hello'));
      const listed = await listOf(driver.listUploads());
      expect(listed.map((upload) => upload.id).sort()).toEqual(['u1', 'u2']);
      for (const upload of listed) {
        // File systems may round mtimes down a little; a second covers every one in use.
        expect(upload.modifiedAt).toBeGreaterThanOrEqual(before - 1000);
        expect(upload.modifiedAt).toBeLessThanOrEqual(Date.now() + 1000);
        expect(await driver.uploadModifiedAt(upload.id)).toBe(upload.modifiedAt);
      }
      await driver.deleteUpload('u1');
      expect(await driver.uploadModifiedAt('u1')).toBeUndefined();
      await driver.deleteUpload('never-existed'); // no error
      expect((await listOf(driver.listUploads())).map((upload) => upload.id)).toEqual(['u2']);
      expect(await driver.uploadSize('u1')).toBeUndefined();
    });

    test('commit makes the upload a blob: sized, readable whole and by inclusive ranges, listed; the upload is gone', async () => {
      const bytes = patternedBytes(3 * 1024 * 1024 + 17, 'big');
      const digest = sha256(bytes);
      await driver.createUpload('u1');
      await driverAppend(driver, 'u1', bytes);
      expect(await driver.blobSize(digest)).toBeUndefined();
      await driver.commitUpload('u1', digest);

      expect(await driver.blobSize(digest)).toBe(bytes.length);
      expect((await collect(driver.readBlob(digest))).equals(bytes)).toBe(true);
      for (const [start, end] of [
        [0, 0],
        [0, 9],
        [1024 * 1024 - 1, 1024 * 1024 + 1],
        [bytes.length - 1, bytes.length - 1],
        [5, bytes.length - 1],
      ]) {
        expect((await collect(driver.readBlob(digest, { start, end }))).equals(bytes.subarray(start, end + 1))).toBe(true);
      }
      expect(await listOf(driver.listBlobs())).toEqual([digest]);
      expect(await driver.uploadSize('u1')).toBeUndefined();
      expect(await listOf(driver.listUploads())).toEqual([]);
    });

    test('an empty upload commits as an empty blob', async () => {
      const digest = sha256(Buffer.alloc(0));
      await driver.createUpload('u1');
      await driver.commitUpload('u1', digest);
      expect(await driver.blobSize(digest)).toBe(0);
      expect((await collect(driver.readBlob(digest))).length).toBe(0);
    });

    test('commit is atomic: a reader polling meanwhile sees no blob or the whole blob, never part of it', async () => {
      const bytes = patternedBytes(4 * 1024 * 1024, 'atomic');
      const digest = sha256(bytes);
      await driver.createUpload('u1');
      await driverAppend(driver, 'u1', bytes);
      const seen = new Set<number | undefined>();
      let done = false;
      const commit = driver.commitUpload('u1', digest).finally(() => {
        done = true;
      });
      while (!done) seen.add(await driver.blobSize(digest));
      await commit;
      seen.add(await driver.blobSize(digest));
      expect([...seen].every((size) => size === undefined || size === bytes.length)).toBe(true);
      expect(seen.has(bytes.length)).toBe(true);
    });

    test('committing a digest that exists again keeps one blob with the same bytes', async () => {
      const bytes = patternedBytes(1000, 'twice');
      const digest = sha256(bytes);
      for (const id of ['u1', 'u2']) {
        await driver.createUpload(id);
        await driverAppend(driver, id, bytes);
        await driver.commitUpload(id, digest);
      }
      expect(await listOf(driver.listBlobs())).toEqual([digest]);
      expect((await collect(driver.readBlob(digest))).equals(bytes)).toBe(true);
    });

    test('delete removes a blob: no size, not listed, reading fails; deleting again is no error', async () => {
      const kept = patternedBytes(100, 'kept');
      const gone = patternedBytes(200, 'gone');
      for (const [id, bytes] of [['k', kept], ['g', gone]] as const) {
        await driver.createUpload(id);
        await driverAppend(driver, id, bytes);
        await driver.commitUpload(id, sha256(bytes));
      }
      await driver.deleteBlob(sha256(gone));
      await driver.deleteBlob(sha256(gone));
      expect(await driver.blobSize(sha256(gone))).toBeUndefined();
      expect(await listOf(driver.listBlobs())).toEqual([sha256(kept)]);
      await expect(collect(driver.readBlob(sha256(gone)))).rejects.toMatchObject({ code: 'ENOENT' });
    });

    test('sha512 blobs are stored and listed under their own algorithm', async () => {
      const bytes = patternedBytes(300, 'sha512');
      await driver.createUpload('u1');
      await driverAppend(driver, 'u1', bytes);
      await driver.commitUpload('u1', sha512(bytes));
      expect(await listOf(driver.listBlobs())).toEqual([sha512(bytes)]);
      expect(await driver.blobSize(sha512(bytes))).toBe(300);
    });
  });

  describe('blob store', () => {
    let driver: BlobDriver;
    let reopen: (() => BlobDriver) | undefined;
    let blobs: BlobStore;
    beforeEach(() => {
      ({ driver, reopen } = create());
      blobs = createBlobStore(driver);
    });

    test('an upload streamed in pieces finishes as the blob with its digest; append answers the running size', async () => {
      const bytes = patternedBytes(2 * 1024 * 1024 + 5, 'pieces');
      const id = await blobs.startUpload();
      expect(await blobs.uploadSize(id)).toBe(0);
      expect(await blobs.append(id, Readable.from([bytes.subarray(0, 1000)]))).toBe(1000);
      expect(await blobs.append(id, Readable.from([bytes.subarray(1000)]))).toBe(bytes.length);
      expect(await blobs.uploadSize(id)).toBe(bytes.length);

      expect(await blobs.finish(id, sha256(bytes))).toEqual({ verified: true, digest: sha256(bytes), size: bytes.length });
      expect(await blobs.size(sha256(bytes))).toBe(bytes.length);
      expect((await collect(blobs.read(sha256(bytes)))).equals(bytes)).toBe(true);
      expect((await collect(blobs.read(sha256(bytes), { start: 10, end: 19 }))).equals(bytes.subarray(10, 20))).toBe(true);
      expect((await blobs.readAll(sha256(bytes))).equals(bytes)).toBe(true);
      expect(await listOf(blobs.listBlobs())).toEqual([sha256(bytes)]);
      expect(await blobs.uploadSize(id)).toBeUndefined();
      expect(await listOf(blobs.listUploads())).toEqual([]);
    });

    test('the blob is unreadable until its upload is finished', async () => {
      const bytes = patternedBytes(5000, 'unfinished');
      const id = await blobs.startUpload();
      await blobs.append(id, Readable.from([bytes]));
      expect(await blobs.size(sha256(bytes))).toBeUndefined();
      expect(await listOf(blobs.listBlobs())).toEqual([]);
      await expect(blobs.readAll(sha256(bytes))).rejects.toMatchObject({ code: 'ENOENT' });
      expect((await listOf(blobs.listUploads())).map((upload) => upload.id)).toEqual([id]);
    });

    test('a wrong digest is refused with the actual one, commits nothing, and leaves the upload to go on', async () => {
      const bytes = patternedBytes(4000, 'wrong');
      const id = await blobs.startUpload();
      await blobs.append(id, Readable.from([bytes.subarray(0, 3000)]));
      expect(await blobs.finish(id, sha256(bytes))).toEqual({ verified: false, actual: sha256(bytes.subarray(0, 3000)), size: 3000 });
      expect(await blobs.size(sha256(bytes))).toBeUndefined();
      expect(await listOf(blobs.listBlobs())).toEqual([]);

      await blobs.append(id, Readable.from([bytes.subarray(3000)]));
      expect(await blobs.finish(id, sha256(bytes))).toEqual({ verified: true, digest: sha256(bytes), size: 4000 });
    });

    test('a sha512 digest is verified by reading the upload again', async () => {
      const bytes = patternedBytes(7000, 'sha512');
      const id = await blobs.startUpload();
      await blobs.append(id, Readable.from([bytes]));
      expect(await blobs.finish(id, sha512(bytes))).toEqual({ verified: true, digest: sha512(bytes), size: 7000 });
      expect((await blobs.readAll(sha512(bytes))).equals(bytes)).toBe(true);
    });

    test('a source failing mid-append leaves the hash in step with the bytes stored: the finished digest is right', async () => {
      const id = await blobs.startUpload();
      await blobs.append(id, Readable.from([Buffer.from('start ')]));
      await expect(blobs.append(id, failingSource(patternedBytes(4096, 'lost')))).rejects.toThrow('client went away');
      await blobs.append(id, Readable.from([Buffer.from(' end')]));
      // However much of the failed piece the driver kept, the digest must be that of what it holds.
      const held = await collect(driver.readUpload(id));
      expect(held.subarray(0, 6).toString()).toBe('start ');
      expect(held.subarray(-4).toString()).toBe(' end');
      expect(await blobs.finish(id, sha256(held))).toEqual({ verified: true, digest: sha256(held), size: held.length });
    });

    test('bytes hashed but refused by the driver are not in the digest: the next append re-hashes what is stored', async () => {
      // The driver refuses one write after the hashing tap has already seen its bytes.
      let refuseNext = false;
      const refusing: BlobDriver = {
        ...driver,
        appendToUpload(id) {
          const inner = driver.appendToUpload(id);
          return new Writable({
            write(chunk: Buffer, _encoding, done) {
              if (refuseNext) return done(new Error('disk full'));
              inner.write(chunk, (error) => done(error ?? null));
            },
            final(done) {
              inner.end(() => done());
            },
          });
        },
      };
      const store = createBlobStore(refusing);
      const id = await store.startUpload();
      await store.append(id, Readable.from([Buffer.from('kept ')]));
      refuseNext = true;
      await expect(store.append(id, Readable.from([Buffer.from('refused')]))).rejects.toThrow('disk full');
      refuseNext = false;
      await store.append(id, Readable.from([Buffer.from('also kept')]));
      const stored = Buffer.from('kept also kept');
      expect((await collect(driver.readUpload(id))).equals(stored)).toBe(true);
      expect(await store.finish(id, sha256(stored))).toEqual({ verified: true, digest: sha256(stored), size: stored.length });
    });

    test('cancel removes the upload', async () => {
      const id = await blobs.startUpload();
      await blobs.append(id, Readable.from([Buffer.from('abc')]));
      await blobs.cancel(id);
      expect(await blobs.uploadSize(id)).toBeUndefined();
      expect(await listOf(blobs.listUploads())).toEqual([]);
      await expect(blobs.append(id, Readable.from([Buffer.from('more')]))).rejects.toBeDefined();
    });

    test('delete removes a blob', async () => {
      const bytes = Buffer.from('to delete');
      const id = await blobs.startUpload();
      await blobs.append(id, Readable.from([bytes]));
      await blobs.finish(id, sha256(bytes));
      await blobs.delete(sha256(bytes));
      expect(await blobs.size(sha256(bytes))).toBeUndefined();
      expect(await listOf(blobs.listBlobs())).toEqual([]);
    });

    test('deleteUnreferenced keeps a blob committed within the grace, and frees one outside it', async () => {
      const bytes = patternedBytes(1234, 'grace');
      const id = await blobs.startUpload();
      await blobs.append(id, Readable.from([bytes]));
      const mark = blobs.collectionMark();
      await blobs.finish(id, sha256(bytes));
      const later = blobs.collectionMark();
      expect(await blobs.deleteUnreferenced(sha256(bytes), { graceMs: 60_000, mark: later })).toBe(0);
      expect(await blobs.size(sha256(bytes))).toBe(1234);
      // Committed after the first mark: a collection that began before the commit never frees it, even at grace 0.
      expect(await blobs.deleteUnreferenced(sha256(bytes), { graceMs: 0, mark })).toBe(0);
      expect(await blobs.deleteUnreferenced(sha256(bytes), { graceMs: 0, mark: later })).toBe(1234);
      expect(await blobs.size(sha256(bytes))).toBeUndefined();
      expect(await blobs.deleteUnreferenced(sha256(bytes), { graceMs: 0, mark: later })).toBe(0);
    });

    test('linkExisting runs the link only when the blob exists, and marks the blob referenced', async () => {
      const bytes = patternedBytes(321, 'mounted');
      const id = await blobs.startUpload();
      await blobs.append(id, Readable.from([bytes]));
      expect(await blobs.linkExisting(sha256(bytes), async () => 'linked')).toBeUndefined();
      await blobs.finish(id, sha256(bytes));
      const mark = blobs.collectionMark();
      expect(await blobs.linkExisting(sha256(bytes), async () => 'linked')).toBe('linked');
      expect(await blobs.deleteUnreferenced(sha256(bytes), { graceMs: 0, mark })).toBe(0);
    });

    test('the link of a finished upload runs in the commit step: a collection waiting on the blob sees it as referenced', async () => {
      const bytes = patternedBytes(777, 'linked');
      const id = await blobs.startUpload();
      await blobs.append(id, Readable.from([bytes]));
      const mark = blobs.collectionMark();
      let collected: Promise<number> | undefined;
      const finished = blobs.finish(id, sha256(bytes), async (size) => {
        expect(size).toBe(777);
        // A collection arriving while the link is written waits for it, then keeps the blob.
        collected = blobs.deleteUnreferenced(sha256(bytes), { graceMs: 0, mark });
        await new Promise((resolve) => setTimeout(resolve, 20));
      });
      expect(await finished).toMatchObject({ verified: true });
      expect(await collected).toBe(0);
      expect(await blobs.size(sha256(bytes))).toBe(777);
    });

    test('a blob this process never committed or touched is freed with any grace', async () => {
      const bytes = patternedBytes(99, 'foreign');
      await driver.createUpload('from-before');
      await driverAppend(driver, 'from-before', bytes);
      await driver.commitUpload('from-before', sha256(bytes));
      const mark = blobs.collectionMark();
      expect(await blobs.deleteUnreferenced(sha256(bytes), { graceMs: 60 * 60 * 1000, mark })).toBe(99);
      expect(await blobs.size(sha256(bytes))).toBeUndefined();
    });

    test('an upload cancelled or collected meanwhile is UploadNotFoundError on append and finish, and is not brought back', async () => {
      const id = await blobs.startUpload();
      await blobs.append(id, Readable.from([Buffer.from('abc')]));
      await driver.deleteUpload(id);
      await expect(blobs.append(id, Readable.from([Buffer.from('more')]))).rejects.toBeInstanceOf(UploadNotFoundError);
      await expect(blobs.finish(id, sha256(Buffer.from('abcmore')))).rejects.toBeInstanceOf(UploadNotFoundError);
      expect(await blobs.uploadSize(id)).toBeUndefined();
      expect(await listOf(blobs.listUploads())).toEqual([]);
    });

    test('cancelIfAbandoned leaves an upload being written to, and measures age from the last write', async () => {
      const id = await blobs.startUpload();
      const slow = new Readable({ read() {} });
      slow.push(Buffer.from('first '));
      const appending = blobs.append(id, slow);
      // Mid-append: kept whatever the age asked for.
      expect(await blobs.cancelIfAbandoned(id, async () => true)).toBe(false);
      const before = Date.now();
      slow.push(null);
      await appending;
      // After the write, the age the predicate sees is that of the write.
      let seen = 0;
      expect(await blobs.cancelIfAbandoned(id, async (lastWriteAt) => ((seen = lastWriteAt), false))).toBe(false);
      expect(seen).toBeGreaterThanOrEqual(before - 1000);
      expect(await blobs.cancelIfAbandoned(id, async () => true)).toBe(true);
      expect(await blobs.uploadSize(id)).toBeUndefined();
    });

    if (persistent) {
      test('restart re-hash: a new blob store over the same files finishes an upload the old one started', async () => {
        const bytes = patternedBytes(3 * 1024 * 1024 + 333, 'restart');
        const split = 1024 * 1024 + 7;
        const id = await blobs.startUpload();
        await blobs.append(id, Readable.from([bytes.subarray(0, split)]));

        const restarted = createBlobStore(reopen!());
        expect(await restarted.uploadSize(id)).toBe(split);
        expect(await restarted.append(id, Readable.from([bytes.subarray(split)]))).toBe(bytes.length);
        expect(await restarted.finish(id, sha256(bytes))).toEqual({ verified: true, digest: sha256(bytes), size: bytes.length });
        expect((await restarted.readAll(sha256(bytes))).equals(bytes)).toBe(true);
      });

      test('restart re-hash with nothing appended after it: finish alone hashes what is on disk', async () => {
        const bytes = patternedBytes(70_001, 'restart-finish');
        const id = await blobs.startUpload();
        await blobs.append(id, Readable.from([bytes]));
        const restarted = createBlobStore(reopen!());
        expect(await restarted.finish(id, sha256(Buffer.from('other')))).toEqual({ verified: false, actual: sha256(bytes), size: bytes.length });
        expect(await restarted.finish(id, sha256(bytes))).toEqual({ verified: true, digest: sha256(bytes), size: bytes.length });
      });
    }
  });
});

test('the filesystem driver keeps uploads and blobs under the root it is given', async () => {
  const root = mkdtempSync(join(tmpdir(), 'berth-blob-layout-'));
  tempDirs.push(root);
  const blobs = createBlobStore(createFilesystemDriver(root));
  const bytes = Buffer.from('layout');
  const id = await blobs.startUpload();
  expect(readdirSync(join(root, 'uploads'))).toEqual([id]);
  await blobs.append(id, Readable.from([bytes]));
  await blobs.finish(id, sha256(bytes));
  const hex = sha256(bytes).slice('sha256:'.length);
  expect(readdirSync(join(root, 'sha256', hex.slice(0, 2)))).toEqual([hex]);
  expect(readdirSync(join(root, 'uploads'))).toEqual([]);
});
