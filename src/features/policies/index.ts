import type { EcrHandlers } from '../../model/handlers.js';
import type { FeatureDeps } from '../deps.js';
import { notBuilt } from '../not-built.js';

type PolicyOperations =
  | 'SetRepositoryPolicy' | 'GetRepositoryPolicy' | 'DeleteRepositoryPolicy'
  | 'PutRegistryPolicy' | 'GetRegistryPolicy' | 'DeleteRegistryPolicy';

export function policyHandlers(_deps: FeatureDeps): Pick<EcrHandlers, PolicyOperations> {
  return {
    SetRepositoryPolicy: notBuilt('SetRepositoryPolicy', 'in progress'),
    GetRepositoryPolicy: notBuilt('GetRepositoryPolicy', 'in progress'),
    DeleteRepositoryPolicy: notBuilt('DeleteRepositoryPolicy', 'in progress'),
    PutRegistryPolicy: notBuilt('PutRegistryPolicy', 'in progress'),
    GetRegistryPolicy: notBuilt('GetRegistryPolicy', 'in progress'),
    DeleteRegistryPolicy: notBuilt('DeleteRegistryPolicy', 'in progress'),
  };
}
