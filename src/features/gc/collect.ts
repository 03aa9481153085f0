import type { Clock } from '../../lib/clock.js';
import { imagesLock } from '../images/images.js';
import { uploadKey } from '../../store/keys.js';
import type { Store } from '../../store/store.js';

// Garbage collection: blob links no image references, blob bytes no repository links, and
// upload sessions abandoned long enough. Anything younger than the grace period is left alone,
// so a push in progress (blobs uploaded, manifest not yet put) never loses its blobs.

export interface GcOptions {
  /** Links, blobs and sessions younger than this are kept. */
  graceMs: number;
  /** Sessions not written to for this long are abandoned. */
  uploadMaxAgeMs: number;
}

export interface GcReport {
  uploadsRemoved: number;
  linksRemoved: number;
  blobsRemoved: number;
  bytesFreed: number;
}

export const DEFAULT_GC_OPTIONS: GcOptions = { graceMs: 60 * 60 * 1000, uploadMaxAgeMs: 24 * 60 * 60 * 1000 };

/** The repository key and digest of a blobLinks/images key `<repository key>:<digest>`. */
function splitEntryKey(key: string): [string, string] {
  // Digests hold one ":" (algorithm:hex); repository keys hold none.
  const digestStart = key.lastIndexOf(':', key.lastIndexOf(':') - 1);
  return [key.slice(0, digestStart), key.slice(digestStart + 1)];
}

export async function collectGarbage(deps: { store: Store; clock: Clock }, options: GcOptions = DEFAULT_GC_OPTIONS): Promise<GcReport> {
  const { store, clock } = deps;
  // Taken before anything is read: a blob referenced after this point is not this collection's to free.
  const mark = store.blobs.collectionMark();
  const now = clock.now().getTime();
  const report: GcReport = { uploadsRemoved: 0, linksRemoved: 0, blobsRemoved: 0, bytesFreed: 0 };
  report.uploadsRemoved = await collectUploads(store, now, options);
  report.linksRemoved = await collectLinks(store, now, options);

  // 3. Bytes no repository links. The links are read again, after step 2; a link written since
  // was written under the blob's lock and marked, and deleteUnreferenced checks the mark under
  // that same lock, so a blob linked during the collection is never freed by it.
  const linked = new Set<string>();
  for (const [key] of await store.tables.blobLinks.list('')) linked.add(splitEntryKey(key)[1]);
  for await (const digest of store.blobs.listBlobs()) {
    if (linked.has(digest)) continue;
    const freed = await store.blobs.deleteUnreferenced(digest, { graceMs: options.graceMs, mark });
    if (freed > 0 || (await store.blobs.size(digest)) === undefined) {
      report.blobsRemoved++;
      report.bytesFreed += freed;
    }
  }
  return report;
}

/** 1. Abandoned upload sessions, and upload files no session owns; resolves how many went. */
async function collectUploads(store: Store, now: number, options: GcOptions): Promise<number> {
  let removed = 0;
  const sessions = new Map(await store.tables.uploads.list(''));
  const withBytes = new Set<string>();
  for await (const upload of store.blobs.listUploads()) {
    const key = uploadKey(upload.id);
    withBytes.add(key);
    // Decided under the upload's lock, with the session read there: a request writing to the
    // upload keeps it, and its age counts from its last write.
    const cancelled = await store.blobs.cancelIfAbandoned(upload.id, async (lastWriteAt) => {
      const session = await store.tables.uploads.get(key);
      const idleMs = Date.now() - lastWriteAt;
      if (!session) return idleMs >= options.graceMs;
      return idleMs >= options.uploadMaxAgeMs && now - session.startedAt >= options.uploadMaxAgeMs;
    });
    if (!cancelled) continue;
    await store.write((batch) => batch.del('uploads', key));
    removed++;
  }
  // Sessions whose bytes are gone (a crash between creating one and the other).
  const bytesless = [...sessions].filter(([key, session]) => !withBytes.has(key) && now - session.startedAt >= options.uploadMaxAgeMs);
  if (bytesless.length) await store.write((batch) => bytesless.forEach(([key]) => batch.del('uploads', key)));
  return removed + bytesless.length;
}

/** 2. Links to blobs no image of their repository references; resolves how many went. */
async function collectLinks(store: Store, now: number, options: GcOptions): Promise<number> {
  let removed = 0;
  const referenced = new Set<string>();
  for (const [key, image] of await store.tables.images.list('')) {
    const [repository] = splitEntryKey(key);
    for (const digest of image.blobs) referenced.add(`${repository}:${digest}`);
  }
  const candidates = new Map<string, string[]>();
  for (const [key, link] of await store.tables.blobLinks.list('')) {
    if (referenced.has(key) || now - link.linkedAt < options.graceMs) continue;
    const [repository] = splitEntryKey(key);
    if (candidates.has(repository)) candidates.get(repository)!.push(key);
    else candidates.set(repository, [key]);
  }
  // The lists above are a snapshot: a manifest put since may name a candidate (its push found
  // the link and skipped the upload). Each repository's candidates are checked again under the
  // lock pushImage holds while it checks links and writes the image, so a link goes only if no
  // image names it at that point; a push after that finds it missing and is refused cleanly.
  for (const [repository, keys] of candidates) {
    const [accountId, region, ...name] = repository.split('/');
    await store.exclusive(imagesLock({ accountId, region }, name.join('/')), async () => {
      const stillReferenced = new Set<string>();
      for (const [, image] of await store.tables.images.list(`${repository}:`)) image.blobs.forEach((digest) => stillReferenced.add(digest));
      const doomed: string[] = [];
      for (const key of keys) {
        const link = await store.tables.blobLinks.get(key);
        if (link && !stillReferenced.has(splitEntryKey(key)[1]) && now - link.linkedAt >= options.graceMs) doomed.push(key);
      }
      if (!doomed.length) return;
      await store.write((batch) => doomed.forEach((key) => batch.del('blobLinks', key)));
      removed += doomed.length;
    });
  }
  return removed;
}
