import type { Scope } from '../../lib/scope.js';
import { repositoryKey } from '../../store/keys.js';
import type { RepositoryRecord } from '../../store/records.js';
import type { Store } from '../../store/store.js';
import { repositoryNotFound } from '../messages.js';

/** The stored repository, or ECR's RepositoryNotFoundException. */
export async function requireRepository(store: Store, scope: Scope, name: string): Promise<RepositoryRecord> {
  const record = await store.tables.repositories.get(repositoryKey(scope, name));
  if (!record) throw repositoryNotFound(scope, name);
  return record;
}

/**
 * Read-check-write of one repository record under its lock: `change` receives the stored
 * record (RepositoryNotFoundException when there is none) and returns the one to store;
 * throwing leaves it untouched.
 */
export async function updateRepository(
  store: Store,
  scope: Scope,
  name: string,
  change: (current: RepositoryRecord) => RepositoryRecord,
): Promise<RepositoryRecord> {
  const key = repositoryKey(scope, name);
  return store.exclusive(key, async () => {
    const updated = change(await requireRepository(store, scope, name));
    await store.write((batch) => batch.put('repositories', key, updated));
    return updated;
  });
}
