import type { Scope } from '../../lib/scope.js';
import { ecrError } from '../../model/errors.js';
import type { EcrHandlers } from '../../model/handlers.js';
import { readRegistry, updateRegistry } from '../account/registry-record.js';
import { targetScope, type FeatureDeps } from '../deps.js';
import { requireRepository, updateRepository } from '../repositories/lookup.js';
import { checkPolicyText } from './policy-document.js';

type PolicyOperations =
  | 'SetRepositoryPolicy' | 'GetRepositoryPolicy' | 'DeleteRepositoryPolicy'
  | 'PutRegistryPolicy' | 'GetRegistryPolicy' | 'DeleteRegistryPolicy';

const repositoryPolicyNotFound = (scope: Scope, name: string) =>
  ecrError(
    'RepositoryPolicyNotFoundException',
    `Repository policy does not exist for the repository with name '${name}' in the registry with id '${scope.accountId}'`,
  );

const registryPolicyNotFound = (scope: Scope) =>
  ecrError('RegistryPolicyNotFoundException', `Registry policy does not exist in the registry with id '${scope.accountId}'`);

/**
 * Repository and registry permission policies: validated and stored. Enforcing them (who may
 * pull, push or replicate) is not done here.
 */
export function policyHandlers(deps: FeatureDeps): Pick<EcrHandlers, PolicyOperations> {
  const { store } = deps;
  return {
    async SetRepositoryPolicy(context, input) {
      const scope = targetScope(context, input.registryId);
      const policyText = checkPolicyText(input.policyText, 'repository');
      // `force` guards against a policy that would lock the caller out of changing it again.
      // Berth evaluates no caller against the policy, so there is no lock-out to guard against
      // and the flag is accepted either way.
      await updateRepository(store, scope, input.repositoryName, (record) => ({ ...record, policyText }));
      return { registryId: scope.accountId, repositoryName: input.repositoryName, policyText };
    },

    async GetRepositoryPolicy(context, input) {
      const scope = targetScope(context, input.registryId);
      const record = await requireRepository(store, scope, input.repositoryName);
      if (record.policyText === undefined) throw repositoryPolicyNotFound(scope, input.repositoryName);
      return { registryId: scope.accountId, repositoryName: input.repositoryName, policyText: record.policyText };
    },

    async DeleteRepositoryPolicy(context, input) {
      const scope = targetScope(context, input.registryId);
      let policyText: string | undefined;
      await updateRepository(store, scope, input.repositoryName, ({ policyText: deleted, ...record }) => {
        if (deleted === undefined) throw repositoryPolicyNotFound(scope, input.repositoryName);
        policyText = deleted;
        return record;
      });
      return { registryId: scope.accountId, repositoryName: input.repositoryName, policyText };
    },

    async PutRegistryPolicy(context, input) {
      const policyText = checkPolicyText(input.policyText, 'registry');
      await updateRegistry(store, context.scope, (registry) => ({ ...registry, policyText }));
      return { registryId: context.scope.accountId, policyText };
    },

    async GetRegistryPolicy(context) {
      const { policyText } = await readRegistry(store, context.scope);
      if (policyText === undefined) throw registryPolicyNotFound(context.scope);
      return { registryId: context.scope.accountId, policyText };
    },

    async DeleteRegistryPolicy(context) {
      let deleted: string | undefined;
      await updateRegistry(store, context.scope, ({ policyText, ...registry }) => {
        if (policyText === undefined) throw registryPolicyNotFound(context.scope);
        deleted = policyText;
        return registry;
      });
      return { registryId: context.scope.accountId, policyText: deleted };
    },
  };
}
