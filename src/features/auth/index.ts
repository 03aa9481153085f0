import type { EcrHandlers } from '../../model/handlers.js';
import { targetScope, type FeatureDeps } from '../deps.js';
import { issueTokens } from './tokens.js';

export { resolveToken, TOKEN_LIFETIME_MS } from './tokens.js';

export function authHandlers(deps: FeatureDeps): Pick<EcrHandlers, 'GetAuthorizationToken'> {
  const { store, clock } = deps;
  return {
    async GetAuthorizationToken(context, input) {
      // registryIds is deprecated but still honoured: one token per registry named, each
      // opening that account's registry in the caller's region.
      const registryIds = input.registryIds ?? [context.scope.accountId];
      const tokens = await issueTokens(store, clock, registryIds.map((id) => targetScope(context, id)));
      return {
        authorizationData: tokens.map(({ scope, password, expiresAt }) => ({
          authorizationToken: Buffer.from(`AWS:${password}`).toString('base64'),
          expiresAt,
          proxyEndpoint: `http://${deps.registryHost(scope, context.host)}`,
        })),
      };
    },
  };
}
