import { mkdirSync } from 'node:fs';
import type { AbstractBatchOperation, AbstractBatchOptions, AbstractLevel, AbstractSublevel } from 'abstract-level';
import { Level } from 'level';
import { MemoryLevel } from 'memory-level';
import { createKeyedLock } from '../lib/keyed-lock.js';
import { createBlobStore, type BlobStore } from './blobs/blob-store.js';
import { createFilesystemDriver } from './blobs/filesystem-driver.js';
import { createGroupCommit } from './group-commit.js';
import { createMemoryDriver } from './blobs/memory-driver.js';
import type {
  BlobLinkRecord,
  ImageRecord,
  ImageTagRecord,
  LifecyclePreviewRecord,
  ManifestRecord,
  ReferrerRecord,
  RegistryRecord,
  RepositoryRecord,
  ScanRecord,
  TokenRecord,
  UploadRecord,
} from './records.js';
import { TABLES, type TableName } from './keys.js';

/** The record type each table holds. */
interface TableRecords {
  repositories: RepositoryRecord;
  registries: RegistryRecord;
  tokens: TokenRecord;
  images: ImageRecord;
  manifests: ManifestRecord;
  tags: ImageTagRecord;
  blobLinks: BlobLinkRecord;
  referrers: ReferrerRecord;
  uploads: UploadRecord;
  lifecyclePreviews: LifecyclePreviewRecord;
  scans: ScanRecord;
}

type Db = AbstractLevel<string | Buffer | Uint8Array, string, string>;
type Sublevel = AbstractSublevel<Db, string | Buffer | Uint8Array, string, unknown>;
/** classic-level (under `level`) adds `sync` to the abstract batch options. */
type WriteOptions = AbstractBatchOptions<string, string> & { sync?: boolean };

export interface ListOptions {
  /** Return keys strictly after this one (a page token's position). */
  after?: string;
  limit?: number;
}

export interface Table<V> {
  get(key: string): Promise<V | undefined>;
  /** Entries whose key starts with prefix, in key order. */
  list(prefix: string, options?: ListOptions): Promise<Array<[string, V]>>;
}

/** Writes collected by a transaction and applied as one atomic LevelDB batch. */
export interface Batch {
  put<T extends TableName>(table: T, key: string, value: TableRecords[T]): void;
  del(table: TableName, key: string): void;
}

export interface Store {
  readonly tables: { [T in TableName]: Table<TableRecords[T]> };
  /** Blob bytes, content-addressed; the tables say which repository sees which blob. */
  readonly blobs: BlobStore;
  /**
   * Applies every write the callback makes as one atomic batch; on disk, synced before it
   * resolves, since what it resolves is what a 2xx acknowledges.
   */
  write(collect: (batch: Batch) => void): Promise<void>;
  /** Serialises read-check-write work per key (usually a scope). */
  exclusive<R>(key: string, work: () => Promise<R>): Promise<R>;
  /** Deletes every table entry (blob bytes stay for the collector). */
  clear(): Promise<void>;
  close(): Promise<void>;
  readonly location: string;
}

export interface StoreOptions {
  /** Directory holding the LevelDB files; ignored when ephemeral. */
  dataDir: string;
  /** Keep everything in memory: nothing is written to disk and nothing outlives the process. */
  ephemeral: boolean;
}

export async function openStore(options: StoreOptions): Promise<Store> {
  let db: Db;
  let location: string;
  let blobs: BlobStore;
  if (options.ephemeral) {
    db = new MemoryLevel<string, string>() as unknown as Db;
    location = ':memory:';
    blobs = createBlobStore(createMemoryDriver());
  } else {
    location = `${options.dataDir}/metadata`;
    mkdirSync(location, { recursive: true });
    db = new Level<string, string>(location) as unknown as Db;
    blobs = createBlobStore(createFilesystemDriver(`${options.dataDir}/blobs`));
  }
  await db.open();

  const sublevels = Object.fromEntries(
    TABLES.map((name) => [name, db.sublevel<string, unknown>(name, { valueEncoding: 'json' })]),
  ) as Record<TableName, Sublevel>;

  const tableOf = <V>(sublevel: Sublevel): Table<V> => ({
    async get(key) {
      const value = await sublevel.get(key);
      return value === undefined ? undefined : (value as V);
    },
    async list(prefix, { after, limit } = {}) {
      // A range option must be left out, not set to undefined: a sublevel encodes a present
      // `gte: undefined` as the string "undefined" and uses it as the lower bound, so every page
      // after the first came back empty.
      const start = after !== undefined && after >= prefix ? { gt: after } : { gte: prefix };
      const range = { ...start, lt: `${prefix}\uffff`, limit: limit ?? -1 };
      const entries = await sublevel.iterator(range).all();
      return entries.map(([key, value]) => [key, value as V]);
    },
  });

  const tables = Object.fromEntries(TABLES.map((name) => [name, tableOf(sublevels[name])])) as Store['tables'];
  const lock = createKeyedLock();
  // A write is answered only once LevelDB has fsynced its log: without it a power cut could
  // lose a push, tag move or delete already answered 2xx. Concurrent writes share one batch
  // and one fsync (group-commit.ts), so the cost is per group, not per request (measured by
  // scripts/bench-store-writes.mjs). In memory there is nothing to sync or to group.
  type Op = AbstractBatchOperation<Db, string, string>;
  const writeOptions: WriteOptions = options.ephemeral ? {} : { sync: true };
  const applyBatch: (ops: Op[]) => Promise<void> = options.ephemeral
    ? (ops) => db.batch(ops)
    : createGroupCommit((ops: Op[]) => db.batch(ops, writeOptions));

  return {
    tables,
    blobs,
    location,
    async write(collect) {
      const ops: Array<AbstractBatchOperation<Db, string, unknown>> = [];
      collect({
        put: (table, key, value) => ops.push({ type: 'put', sublevel: sublevels[table], key, value }),
        del: (table, key) => ops.push({ type: 'del', sublevel: sublevels[table], key }),
      });
      if (ops.length) await applyBatch(ops as Op[]);
    },
    exclusive: (key, work) => lock.run(key, work),
    async clear() {
      await db.clear();
      // clear() writes its deletions unsynced; a synced no-op delete behind them syncs the log
      // they are in, so a reset that was answered stays done.
      if (!options.ephemeral) await db.batch([{ type: 'del', key: 'sync' }], writeOptions);
    },
    close: () => db.close(),
  };
}
