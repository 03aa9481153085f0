import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../../lib/clock.js';
import { newTokenSecret } from '../../lib/ids.js';
import { accountRootPrincipal, type Principal } from '../../lib/principal.js';
import type { Scope } from '../../lib/scope.js';
import { tokenKey } from '../../store/keys.js';
import type { Store } from '../../store/store.js';

/** ECR authorization tokens are valid for 12 hours (API_GetAuthorizationToken). */
export const TOKEN_LIFETIME_MS = 12 * 60 * 60 * 1000;

/**
 * How many stored tokens one issue looks at for expired ones to delete. Each GetAuthorization-
 * Token adds at most 10 tokens and looks at a window starting at a random key, so once a share
 * of about 1/64 of the table is expired each call removes as many as it adds: the table stays
 * close to the number of live tokens without ever being scanned whole.
 */
const PRUNE_WINDOW = 64;

/** Longer than any secret Berth issues; longer passwords are not looked up at all. */
const MAX_PASSWORD_LENGTH = 256;

export interface IssuedToken {
  /** The registry it was asked for. */
  scope: Scope;
  /** The secret the client presents as the Basic auth password. */
  password: string;
  expiresAt: Date;
}

const keyOf = (password: string): string => tokenKey(createHash('sha256').update(password).digest('hex'));

/** Keys of expired tokens in a window of the table starting at a random key. */
async function expiredTokenKeys(store: Store, now: number): Promise<string[]> {
  const tokens = store.tables.tokens;
  const window = await tokens.list('', { after: randomBytes(32).toString('hex'), limit: PRUNE_WINDOW });
  if (window.length < PRUNE_WINDOW) {
    // Ran off the end of the key space: continue from the start.
    const firstKey = window[0]?.[0];
    const wrapped = await tokens.list('', { limit: PRUNE_WINDOW - window.length });
    window.push(...wrapped.filter(([key]) => firstKey === undefined || key < firstKey));
  }
  return window.filter(([, record]) => record.expiresAt <= now).map(([key]) => key);
}

/**
 * Issues `principal` one token per registry asked for (all in the region of the endpoint that
 * issues them), and deletes some expired ones in the same batch.
 */
export async function issueTokens(store: Store, clock: Clock, principal: Principal, scopes: Scope[]): Promise<IssuedToken[]> {
  const now = clock.now().getTime();
  const expiresAt = now + TOKEN_LIFETIME_MS;
  const issued = scopes.map((scope) => ({ scope, password: newTokenSecret(), expiresAt: new Date(expiresAt) }));
  const expired = await expiredTokenKeys(store, now);
  await store.write((batch) => {
    for (const key of expired) batch.del('tokens', key);
    for (const { scope, password } of issued) {
      batch.put('tokens', keyOf(password), { accountId: scope.accountId, region: scope.region, expiresAt, principal });
    }
  });
  return issued;
}

/** What a live token stands for. */
export interface TokenHolder {
  /** The identity that obtained it, which every request made with it acts as. */
  principal: Principal;
  /** The region it was issued in: the only one it opens. */
  region: string;
  /** The registry it was asked for: where a request goes when its Host names none. */
  registry: Scope;
}

/**
 * What a Basic-auth password stands for, or undefined when no such token exists or it has
 * expired.
 */
export async function resolveToken(store: Store, clock: Clock, password: string): Promise<TokenHolder | undefined> {
  if (password.length === 0 || password.length > MAX_PASSWORD_LENGTH) return undefined;
  const record = await store.tables.tokens.get(keyOf(password));
  if (!record || record.expiresAt <= clock.now().getTime()) return undefined;
  const registry = { accountId: record.accountId, region: record.region };
  return { principal: record.principal ?? accountRootPrincipal(record.accountId, record.region), region: record.region, registry };
}
