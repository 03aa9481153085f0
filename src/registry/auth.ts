import type { IncomingMessage } from 'node:http';
import type { Clock } from '../lib/clock.js';
import type { Principal } from '../lib/principal.js';
import type { Scope } from '../lib/scope.js';
import { resolveToken } from '../features/auth/tokens.js';
import type { Store } from '../store/store.js';

// Why did my push get 401? Here. ECR's registry takes HTTP Basic credentials `AWS:<token>`,
// the token from GetAuthorizationToken, which acts as the identity that obtained it, in the
// region that issued it. A Host of ECR's form <account>.dkr.ecr.<region>.<suffix> addresses
// that registry, as ECR hostnames do: one in another region than the token's is refused here;
// whether the identity may use another account's repository is the authorizer's to decide
// (403, registry/index.ts).

export interface AuthOptions {
  store: Store;
  clock: Clock;
  /** Refuse anonymous requests, as ECR does. Off by default for convenience. */
  requireAuth: boolean;
  defaultScope: () => Scope;
}

export type AuthResult =
  /** `principal` is absent for an anonymous request (allowed without --require-auth). */
  | { ok: true; scope: Scope; principal?: Principal }
  | { ok: false; scope: Scope; reason: 'missing' | 'invalid' };

const ECR_HOST = /^([0-9]{12})\.dkr\.ecr\.([a-z0-9-]+)\.[a-z0-9.-]+$/i;

/** The registry an ECR-style Host names, if it has that form. */
export function scopeFromHost(host: string | undefined): Scope | undefined {
  const hostname = host?.replace(/:\d+$/, '');
  const match = hostname ? ECR_HOST.exec(hostname) : null;
  return match ? { accountId: match[1], region: match[2].toLowerCase() } : undefined;
}

/** The user name and password of `Authorization: Basic base64(user:password)`, or undefined. */
function basicCredentials(header: string | undefined): { user: string; password: string } | undefined {
  if (!header || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** ECR's registry only knows the user name AWS; the password is the token. */
const ECR_USER = 'AWS';

export async function authenticate(req: IncomingMessage, options: AuthOptions): Promise<AuthResult> {
  const hostScope = scopeFromHost(req.headers.host);
  const credentials = basicCredentials(req.headers.authorization);
  // Clients without credentials still answer a Basic challenge with empty ones ("Og==").
  if (!credentials || (credentials.user === '' && credentials.password === '')) {
    const scope = hostScope ?? options.defaultScope();
    return options.requireAuth ? { ok: false, scope, reason: 'missing' } : { ok: true, scope };
  }
  const invalid = (scope: Scope): AuthResult => ({ ok: false, scope, reason: 'invalid' });
  if (credentials.user !== ECR_USER) return invalid(hostScope ?? options.defaultScope());
  const holder = await resolveToken(options.store, options.clock, credentials.password);
  if (!holder) return invalid(hostScope ?? options.defaultScope());
  // A token only opens registries of the region that issued it, as ECR's do.
  if (hostScope && hostScope.region !== holder.region) return invalid(hostScope);
  return { ok: true, scope: hostScope ?? holder.registry, principal: holder.principal };
}

/** ECR's challenge: Basic, with the registry's ECR URL as realm. */
export const challengeHeader = (scope: Scope): string =>
  `Basic realm="https://${scope.accountId}.dkr.ecr.${scope.region}.amazonaws.com/",service="ecr.amazonaws.com"`;
