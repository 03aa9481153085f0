// The whole key layout of the metadata store, in one place.
//
//   repositories  <account>/<region>/<repository name>   RepositoryRecord
//   registries    <account>/<region>                     RegistryRecord
//   tokens        <sha256 hex of the token secret>       TokenRecord
//   images        <repository key>:<manifest digest>     ImageRecord
//   manifests     <repository key>:<manifest digest>     ManifestRecord (the pushed bytes)
//   tags          <repository key>:<tag>                 TagRecord (which image a tag names)
//   blobLinks     <repository key>:<blob digest>         BlobLinkRecord (blob visible in repository)
//   referrers     <repository key>:<subject>:<referrer>  ReferrerRecord
//   uploads       <upload id>                            UploadRecord
//   lifecyclePreviews <repository key>:                  LifecyclePreviewRecord (the last preview)
//   scans         <repository key>:<manifest digest>     ScanRecord (the image's last scan)
//
// Blob bytes live in the blob store (store/blobs), named by digest and shared by every
// repository; a repository sees a blob only through its link. Repository names never contain
// ":", so "<repository key>:" prefixes exactly one repository's entries.
//
// Table names are LevelDB sublevels, so one table's keys never collide with another's, and a
// scope prefix ends in "/" so scanning account 1's keys never returns account 12's.
import { scopeKey, type Scope } from '../lib/scope.js';

export const TABLES = ['repositories', 'registries', 'tokens', 'images', 'manifests', 'tags', 'blobLinks', 'referrers', 'uploads', 'lifecyclePreviews', 'scans'] as const;
export type TableName = (typeof TABLES)[number];

export const scopePrefix = (scope: Scope): string => `${scopeKey(scope)}/`;
export const repositoryKey = (scope: Scope, name: string): string => `${scopePrefix(scope)}${name}`;
export const registryKey = (scope: Scope): string => scopeKey(scope);
/** Tokens are keyed by a digest of their secret, so the store never holds a usable password. */
export const tokenKey = (secretSha256Hex: string): string => secretSha256Hex;

/** Prefix of every image, tag, link or referrer entry of one repository. */
export const repositoryEntriesPrefix = (scope: Scope, repositoryName: string): string =>
  `${repositoryKey(scope, repositoryName)}:`;
export const imageKey = (scope: Scope, repositoryName: string, digest: string): string =>
  `${repositoryEntriesPrefix(scope, repositoryName)}${digest}`;
export const tagKey = (scope: Scope, repositoryName: string, tag: string): string =>
  `${repositoryEntriesPrefix(scope, repositoryName)}${tag}`;
export const blobLinkKey = (scope: Scope, repositoryName: string, digest: string): string =>
  `${repositoryEntriesPrefix(scope, repositoryName)}${digest}`;
export const referrersPrefix = (scope: Scope, repositoryName: string, subject: string): string =>
  `${repositoryEntriesPrefix(scope, repositoryName)}${subject}:`;
export const referrerKey = (scope: Scope, repositoryName: string, subject: string, referrer: string): string =>
  `${referrersPrefix(scope, repositoryName, subject)}${referrer}`;
export const uploadKey = (id: string): string => id;
export const lifecyclePreviewKey = (scope: Scope, repositoryName: string): string => repositoryEntriesPrefix(scope, repositoryName);
export const scanKey = imageKey;

/** The scope and repository name of a repositories-table key. */
export function parseRepositoryKey(key: string): { scope: Scope; repositoryName: string } {
  // Names may hold "/"; account and region never do.
  const [accountId, region, ...name] = key.split('/');
  return { scope: { accountId, region }, repositoryName: name.join('/') };
}

/** The scope, repository and digest of an image-keyed entry (images, manifests, scans). */
export function parseImageKey(key: string): { scope: Scope; repositoryName: string; digest: string } {
  // Repository names never hold ":"; a digest holds one.
  const separator = key.indexOf(':');
  return { ...parseRepositoryKey(key.slice(0, separator)), digest: key.slice(separator + 1) };
}

/** The tables whose entries belong to a repository (deleted with it). */
export const REPOSITORY_ENTRY_TABLES = ['images', 'manifests', 'tags', 'blobLinks', 'referrers', 'lifecyclePreviews', 'scans'] as const;
