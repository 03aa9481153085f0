import type { IncomingMessage } from 'node:http';
import type { Clock } from '../lib/clock.js';
import type { Scope } from '../lib/scope.js';
import { resolveToken } from '../features/auth/tokens.js';
import type { Store } from '../store/store.js';

// Why did my push get 401? Here. ECR's registry takes HTTP Basic credentials `AWS:<token>`,
// the token from GetAuthorizationToken; the token names an account and region. A Host of
// ECR's form <account>.dkr.ecr.<region>.<suffix> addresses that registry, as ECR hostnames do.

export interface AuthOptions {
  store: Store;
  clock: Clock;
  /** Refuse anonymous requests, as ECR does. Off by default for convenience. */
  requireAuth: boolean;
  defaultScope: () => Scope;
}

export type AuthResult =
  | { ok: true; scope: Scope; authenticated: boolean }
  | { ok: false; scope: Scope; reason: 'missing' | 'invalid' };

const ECR_HOST = /^([0-9]{12})\.dkr\.ecr\.([a-z0-9-]+)\.[a-z0-9.-]+$/i;

/** The registry an ECR-style Host names, if it has that form. */
export function scopeFromHost(host: string | undefined): Scope | undefined {
  const hostname = host?.replace(/:\d+$/, '');
  const match = hostname ? ECR_HOST.exec(hostname) : null;
  return match ? { accountId: match[1], region: match[2].toLowerCase() } : undefined;
}

/** The password of `Authorization: Basic base64(user:password)`, or undefined. */
function basicPassword(header: string | undefined): string | undefined {
  if (!header || !/^basic /i.test(header)) return undefined;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

export async function authenticate(req: IncomingMessage, options: AuthOptions): Promise<AuthResult> {
  const hostScope = scopeFromHost(req.headers.host);
  const password = basicPassword(req.headers.authorization);
  // Clients without credentials still answer a Basic challenge with empty ones ("Og==").
  if (!password) {
    const scope = hostScope ?? options.defaultScope();
    return options.requireAuth ? { ok: false, scope, reason: 'missing' } : { ok: true, scope, authenticated: false };
  }
  const tokenScope = await resolveToken(options.store, options.clock, password);
  if (!tokenScope) return { ok: false, scope: hostScope ?? options.defaultScope(), reason: 'invalid' };
  return { ok: true, scope: hostScope ?? tokenScope, authenticated: true };
}

/** ECR's challenge: Basic, with the registry's ECR URL as realm. */
export const challengeHeader = (scope: Scope): string =>
  `Basic realm="https://${scope.accountId}.dkr.ecr.${scope.region}.amazonaws.com/",service="ecr.amazonaws.com"`;
