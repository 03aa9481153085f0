import type { EcrHandlers } from '../../model/handlers.js';
import type { FeatureDeps } from '../deps.js';
import { notBuilt } from '../not-built.js';

export function authHandlers(_deps: FeatureDeps): Pick<EcrHandlers, 'GetAuthorizationToken'> {
  return {
    GetAuthorizationToken: notBuilt('GetAuthorizationToken', 'in progress'),
  };
}
