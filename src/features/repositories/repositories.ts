import { decodePageToken, encodePageToken } from '../../lib/page-token.js';
import { ecrError } from '../../model/errors.js';
import type { EcrHandlers } from '../../model/handlers.js';
import { repositoryKey, scopePrefix } from '../../store/keys.js';
import type { RepositoryRecord } from '../../store/records.js';
import { targetScope, type FeatureDeps } from '../deps.js';
import { invalidParameterAt, repositoryNotFound } from '../messages.js';
import { checkEncryption } from './encryption.js';
import { hasImages, imagesLock, repositoryEntries } from '../images/images.js';
import { requireRepository, updateRepository } from './lookup.js';
import { checkTagMutability } from './tag-mutability.js';
import { checkTags, mergeTags } from './tags.js';
import { toRepository } from './view.js';

/** DescribeRepositories returns up to 100 repositories a page when maxResults is not given. */
const DEFAULT_PAGE_SIZE = 100;

export function repositoryHandlers(
  deps: FeatureDeps,
): Pick<EcrHandlers, 'CreateRepository' | 'DescribeRepositories' | 'DeleteRepository' | 'PutImageTagMutability' | 'PutImageScanningConfiguration'> {
  const { store, clock } = deps;

  return {
    async CreateRepository(context, input) {
      const scope = targetScope(context, input.registryId);
      const mutability = input.imageTagMutability ?? 'MUTABLE';
      const filters = checkTagMutability(mutability, input.imageTagMutabilityExclusionFilters);
      const tags = input.tags ?? [];
      checkTags(tags);
      const record: RepositoryRecord = {
        name: input.repositoryName,
        createdAt: clock.now().getTime(),
        imageTagMutability: mutability,
        imageTagMutabilityExclusionFilters: filters,
        scanOnPush: input.imageScanningConfiguration?.scanOnPush ?? false,
        encryption: checkEncryption(scope, input.encryptionConfiguration),
        tags: mergeTags([], tags, input.repositoryName),
      };
      const key = repositoryKey(scope, input.repositoryName);
      await store.exclusive(key, async () => {
        if (await store.tables.repositories.get(key)) {
          throw ecrError(
            'RepositoryAlreadyExistsException',
            `The repository with name '${input.repositoryName}' already exists in the registry with id '${scope.accountId}'`,
          );
        }
        await store.write((batch) => batch.put('repositories', key, record));
      });
      return { repository: toRepository(record, scope, deps.registryHost(scope, context.host)) };
    },

    async DescribeRepositories(context, input) {
      const scope = targetScope(context, input.registryId);
      const host = deps.registryHost(scope, context.host);
      if (input.repositoryNames) {
        if (input.maxResults !== undefined) throw invalidParameterAt('maxResults', 'maxResults cannot be used together with repositoryNames');
        if (input.nextToken !== undefined) throw invalidParameterAt('nextToken', 'nextToken cannot be used together with repositoryNames');
        const names = [...new Set(input.repositoryNames)];
        const records = await Promise.all(names.map((name) => store.tables.repositories.get(repositoryKey(scope, name))));
        const missing = names.findIndex((_, i) => !records[i]);
        if (missing >= 0) throw repositoryNotFound(scope, names[missing]);
        return { repositories: records.map((record) => toRepository(record!, scope, host)) };
      }

      const prefix = scopePrefix(scope);
      let after: string | undefined;
      if (input.nextToken !== undefined) {
        const last = decodePageToken('repositories', input.nextToken);
        if (last === undefined) throw invalidParameterAt('nextToken', 'Invalid nextToken provided');
        after = repositoryKey(scope, last);
      }
      const pageSize = input.maxResults ?? DEFAULT_PAGE_SIZE;
      // One extra entry tells whether another page follows.
      const entries = await store.tables.repositories.list(prefix, { after, limit: pageSize + 1 });
      const page = entries.slice(0, pageSize).map(([, record]) => record);
      const nextToken = entries.length > pageSize ? encodePageToken('repositories', page[page.length - 1].name) : undefined;
      return { repositories: page.map((record) => toRepository(record, scope, host)), nextToken };
    },

    async DeleteRepository(context, input) {
      const scope = targetScope(context, input.registryId);
      const key = repositoryKey(scope, input.repositoryName);
      const record = await store.exclusive(key, () =>
        store.exclusive(imagesLock(scope, input.repositoryName), async () => {
          const found = await requireRepository(store, scope, input.repositoryName);
          if (!input.force && (await hasImages(store, scope, input.repositoryName))) {
            throw ecrError(
              'RepositoryNotEmptyException',
              `The repository with name '${input.repositoryName}' in registry with id '${scope.accountId}' cannot be deleted because it still contains images`,
            );
          }
          // With force, the images, tags and blob links go in the same batch; blob bytes no
          // repository links any more are left to the garbage collector.
          const entries = await repositoryEntries(store, scope, input.repositoryName);
          await store.write((batch) => {
            for (const [table, entryKey] of entries) batch.del(table, entryKey);
            batch.del('repositories', key);
          });
          return found;
        }),
      );
      return { repository: toRepository(record, scope, deps.registryHost(scope, context.host)) };
    },

    async PutImageTagMutability(context, input) {
      const scope = targetScope(context, input.registryId);
      const filters = checkTagMutability(input.imageTagMutability, input.imageTagMutabilityExclusionFilters);
      await updateRepository(store, scope, input.repositoryName, (record) => ({
        ...record,
        imageTagMutability: input.imageTagMutability,
        imageTagMutabilityExclusionFilters: filters,
      }));
      return {
        registryId: scope.accountId,
        repositoryName: input.repositoryName,
        imageTagMutability: input.imageTagMutability,
        imageTagMutabilityExclusionFilters: input.imageTagMutabilityExclusionFilters,
      };
    },

    async PutImageScanningConfiguration(context, input) {
      const scope = targetScope(context, input.registryId);
      const scanOnPush = input.imageScanningConfiguration.scanOnPush ?? false;
      await updateRepository(store, scope, input.repositoryName, (record) => ({ ...record, scanOnPush }));
      return {
        registryId: scope.accountId,
        repositoryName: input.repositoryName,
        imageScanningConfiguration: { scanOnPush },
      };
    },
  };
}
