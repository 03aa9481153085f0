import type { EcrHandlers } from '../../model/handlers.js';
import type { ReplicationConfiguration } from '../../model/generated/types.js';
import type { FeatureDeps } from '../deps.js';
import { readRegistry, updateRegistry } from './registry-record.js';
import { checkSettingName, checkSettingValue, settingValue } from './settings.js';

export { readAccountSetting, type AccountSettingName } from './settings.js';
export { readRegistry, updateRegistry } from './registry-record.js';

export function accountHandlers(deps: FeatureDeps): Pick<EcrHandlers, 'DescribeRegistry' | 'GetAccountSetting' | 'PutAccountSetting'> {
  const { store } = deps;
  return {
    async DescribeRegistry(context) {
      const registry = await readRegistry(store, context.scope);
      // Replication stores the API shape as is (the record type cannot name model types).
      const replication = registry.replicationConfiguration as ReplicationConfiguration | undefined;
      return {
        registryId: context.scope.accountId,
        replicationConfiguration: replication ?? { rules: [] },
      };
    },

    async GetAccountSetting(context, input) {
      const name = checkSettingName(input.name);
      const registry = await readRegistry(store, context.scope);
      return { name, value: settingValue(registry.accountSettings, name) };
    },

    async PutAccountSetting(context, input) {
      const name = checkSettingName(input.name);
      const value = checkSettingValue(name, input.value);
      await updateRegistry(store, context.scope, (registry) => ({
        ...registry,
        accountSettings: { ...registry.accountSettings, [name]: value },
      }));
      return { name, value };
    },
  };
}
