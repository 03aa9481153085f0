import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { imageKey, parseImageKey, parseRepositoryKey, repositoryKey, scopePrefix } from '../../src/store/keys.js';
import type { RepositoryRecord } from '../../src/store/records.js';
import { openStore, type Store } from '../../src/store/store.js';

const record = (name: string): RepositoryRecord => ({
  name,
  createdAt: 1_700_000_000_000,
  imageTagMutability: 'MUTABLE',
  scanOnPush: false,
  encryption: { encryptionType: 'AES256' },
  tags: [],
});

const east = { accountId: '000000000000', region: 'us-east-1' };
const eastTen = { accountId: '000000000000', region: 'us-east-10' };
const other = { accountId: '111111111111', region: 'us-east-1' };

describe.each([
  ['memory', true],
  ['on disk', false],
])('%s store', (_kind, ephemeral) => {
  let store: Store;
  let dataDir: string;
  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'berth-store-'));
    store = await openStore({ dataDir, ephemeral });
  });
  afterEach(async () => {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const put = (scope: typeof east, ...names: string[]) =>
    store.write((batch) => {
      for (const name of names) batch.put('repositories', repositoryKey(scope, name), record(name));
    });
  const listNames = async (prefix: string, options?: { after?: string; limit?: number }) =>
    (await store.tables.repositories.list(prefix, options)).map(([, value]) => value.name);

  test('get returns what was put, and undefined for a missing key', async () => {
    await put(east, 'a');
    expect(await store.tables.repositories.get(repositoryKey(east, 'a'))).toEqual(record('a'));
    expect(await store.tables.repositories.get(repositoryKey(east, 'b'))).toBeUndefined();
    // Tables are separate: the same key in another table is not there.
    expect(await store.tables.registries.get(repositoryKey(east, 'a'))).toBeUndefined();
  });

  test('list returns one scope only, in key order', async () => {
    await put(east, 'c', 'a', 'b/x', 'b');
    await put(eastTen, 'ten');
    await put(other, 'o');
    expect(await listNames(scopePrefix(east))).toEqual(['a', 'b', 'b/x', 'c']);
    expect(await listNames(scopePrefix(eastTen))).toEqual(['ten']);
    expect(await listNames(scopePrefix(other))).toEqual(['o']);
  });

  test('list pages with after and limit without skipping or repeating', async () => {
    const names = Array.from({ length: 10 }, (_, i) => `r${i}`);
    await put(east, ...names);
    await put(other, 'r5x');
    const prefix = scopePrefix(east);
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await store.tables.repositories.list(prefix, { after, limit: 3 });
      seen.push(...page.map(([, value]) => value.name));
      if (page.length < 3) break;
      after = page[page.length - 1][0];
    }
    expect(seen).toEqual(names);
  });

  test('after a key beyond the last gives an empty page; after a key before the prefix starts at the beginning', async () => {
    await put(east, 'a', 'b');
    expect(await listNames(scopePrefix(east), { after: repositoryKey(east, 'zzz') })).toEqual([]);
    expect(await listNames(scopePrefix(east), { after: '' })).toEqual(['a', 'b']);
    expect(await listNames(scopePrefix(east), { limit: 1 })).toEqual(['a']);
  });

  test('a batch applies all its writes', async () => {
    await put(east, 'a', 'b');
    await store.write((batch) => {
      batch.del('repositories', repositoryKey(east, 'a'));
      batch.put('repositories', repositoryKey(east, 'c'), record('c'));
      batch.put('registries', '000000000000/us-east-1', { accountSettings: { BASIC_SCAN_TYPE_VERSION: 'AWS_NATIVE' } });
    });
    expect(await listNames(scopePrefix(east))).toEqual(['b', 'c']);
    expect(await store.tables.registries.get('000000000000/us-east-1')).toEqual({ accountSettings: { BASIC_SCAN_TYPE_VERSION: 'AWS_NATIVE' } });
  });

  test('a batch whose collector throws writes nothing', async () => {
    await expect(
      store.write((batch) => {
        batch.put('repositories', repositoryKey(east, 'half'), record('half'));
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await listNames(scopePrefix(east))).toEqual([]);
  });

  test('concurrent writes (on disk: grouped into shared synced batches) each land, in the order they were made', async () => {
    const names = Array.from({ length: 60 }, (_, i) => `r${String(i).padStart(2, '0')}`);
    await Promise.all(names.map((name) => put(east, name)));
    // The same key written by concurrent writes: the last one made wins.
    await Promise.all(['first', 'second', 'third'].map((label) => store.write((batch) => batch.put('repositories', repositoryKey(east, 'same'), record(label)))));
    expect(await listNames(scopePrefix(east))).toEqual([...names, 'third']);
  });

  test('a write that cannot be stored fails alone; the writes made with it land', async () => {
    const unstorable = { ...record('bad'), createdAt: 1n } as unknown as RepositoryRecord; // JSON cannot encode a BigInt
    const results = await Promise.allSettled([
      put(east, 'before'),
      store.write((batch) => batch.put('repositories', repositoryKey(east, 'bad'), unstorable)),
      put(east, 'after'),
    ]);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await listNames(scopePrefix(east))).toEqual(['after', 'before']);
  });

  test('exclusive runs work for one key one at a time, and a failure does not block the next', async () => {
    const order: string[] = [];
    const slow = (label: string, ms: number) =>
      store.exclusive('k', async () => {
        order.push(`start ${label}`);
        await new Promise((resolve) => setTimeout(resolve, ms));
        order.push(`end ${label}`);
        if (label === 'b') throw new Error('b failed');
        return label;
      });
    const results = await Promise.allSettled([slow('a', 20), slow('b', 5), slow('c', 1)]);
    expect(order).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  test('exclusive on different keys does not wait', async () => {
    const order: string[] = [];
    await Promise.all([
      store.exclusive('x', async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        order.push('x');
      }),
      store.exclusive('y', async () => {
        order.push('y');
      }),
    ]);
    expect(order).toEqual(['y', 'x']);
  });

  test('clear removes everything', async () => {
    await put(east, 'a');
    await put(other, 'b');
    await store.clear();
    expect(await listNames(scopePrefix(east))).toEqual([]);
    expect(await listNames(scopePrefix(other))).toEqual([]);
  });
});

test('repository and image keys parse back into the scope, name and digest they were made from', () => {
  const scope = { accountId: '123456789012', region: 'eu-west-1' };
  const digest = `sha256:${'a'.repeat(64)}`;
  expect(parseRepositoryKey(repositoryKey(scope, 'team/web/api'))).toEqual({ scope, repositoryName: 'team/web/api' });
  expect(parseImageKey(imageKey(scope, 'team/web', digest))).toEqual({ scope, repositoryName: 'team/web', digest });
});
