import type { Scope } from '../../lib/scope.js';
import { registryKey } from '../../store/keys.js';
import type { RegistryRecord } from '../../store/records.js';
import type { Store } from '../../store/store.js';

// The registry record (one per account and region) holds what is registry-wide: the registry
// policy, account settings, replication and scanning configuration. A registry nobody has
// configured has no record; it reads as empty.

const emptyRegistry = (): RegistryRecord => ({ accountSettings: {} });

/** The stored registry record, or an empty one when nothing was ever set. */
export async function readRegistry(store: Store, scope: Scope): Promise<RegistryRecord> {
  return (await store.tables.registries.get(registryKey(scope))) ?? emptyRegistry();
}

/**
 * Read-check-write of the registry record under its lock. `change` receives the current record
 * (empty when absent) and returns the one to store; throwing leaves the record untouched.
 */
export async function updateRegistry(
  store: Store,
  scope: Scope,
  change: (current: RegistryRecord) => RegistryRecord,
): Promise<RegistryRecord> {
  const key = registryKey(scope);
  return store.exclusive(key, async () => {
    const updated = change(await readRegistry(store, scope));
    await store.write((batch) => batch.put('registries', key, updated));
    return updated;
  });
}
