import type { EcrHandlers } from '../../model/handlers.js';
import { targetScope, type FeatureDeps } from '../deps.js';
import { issueTokens } from './tokens.js';

export { resolveToken, TOKEN_LIFETIME_MS, type TokenHolder } from './tokens.js';

export function authHandlers(deps: FeatureDeps): Pick<EcrHandlers, 'GetAuthorizationToken'> {
  const { store, clock } = deps;
  return {
    async GetAuthorizationToken(context, input) {
      // registryIds is deprecated but still shapes the answer: one token per registry named,
      // with that registry's proxyEndpoint. Naming a registry grants nothing: every token acts
      // as the caller, in the caller's region, and may reach whatever that identity may.
      const registryIds = input.registryIds ?? [context.scope.accountId];
      const tokens = await issueTokens(store, clock, context.principal, registryIds.map((id) => targetScope(context, id)));
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
