// The whole key layout of the metadata store, in one place.
//
//   repositories  <account>/<region>/<repository name>   RepositoryRecord
//   registries    <account>/<region>                     RegistryRecord
//   tokens        <token secret>                         TokenRecord
//
// Table names are LevelDB sublevels, so one table's keys never collide with another's, and a
// scope prefix ends in "/" so scanning account 1's keys never returns account 12's.
import { scopeKey, type Scope } from '../lib/scope.js';

export const TABLES = ['repositories', 'registries', 'tokens'] as const;
export type TableName = (typeof TABLES)[number];

export const scopePrefix = (scope: Scope): string => `${scopeKey(scope)}/`;
export const repositoryKey = (scope: Scope, name: string): string => `${scopePrefix(scope)}${name}`;
export const registryKey = (scope: Scope): string => scopeKey(scope);
export const tokenKey = (secret: string): string => secret;
