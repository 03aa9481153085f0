import type { Scope } from '../lib/scope.js';
import { repositoryKey } from '../store/keys.js';
import type { RepositoryRecord } from '../store/records.js';
import type { Store } from '../store/store.js';
import { registryError } from './errors.js';

/** The repository, or ECR's NAME_UNKNOWN. */
export async function requireRepositoryOci(store: Store, scope: Scope, name: string): Promise<RepositoryRecord> {
  const record = await store.tables.repositories.get(repositoryKey(scope, name));
  if (!record) {
    throw registryError('NAME_UNKNOWN', `The repository with name '${name}' does not exist in the registry with id '${scope.accountId}'`);
  }
  return record;
}
