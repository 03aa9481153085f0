// The whole key layout of the metadata store, in one place.
//
//   repositories  <account>/<region>/<repository name>   RepositoryRecord
//   registries    <account>/<region>                     RegistryRecord
//   tokens        <sha256 hex of the token secret>       TokenRecord
//
// Table names are LevelDB sublevels, so one table's keys never collide with another's, and a
// scope prefix ends in "/" so scanning account 1's keys never returns account 12's.
import { scopeKey, type Scope } from '../lib/scope.js';

export const TABLES = ['repositories', 'registries', 'tokens'] as const;
export type TableName = (typeof TABLES)[number];

export const scopePrefix = (scope: Scope): string => `${scopeKey(scope)}/`;
export const repositoryKey = (scope: Scope, name: string): string => `${scopePrefix(scope)}${name}`;
export const registryKey = (scope: Scope): string => scopeKey(scope);
/** Tokens are keyed by a digest of their secret, so the store never holds a usable password. */
export const tokenKey = (secretSha256Hex: string): string => secretSha256Hex;
