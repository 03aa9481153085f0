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
