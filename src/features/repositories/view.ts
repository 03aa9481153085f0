import { repositoryArn } from '../../lib/arn.js';
import type { Scope } from '../../lib/scope.js';
import type { EncryptionType, ImageTagMutability, ImageTagMutabilityExclusionFilterType, Repository } from '../../model/generated/types.js';
import type { RepositoryRecord } from '../../store/records.js';

/** The API's Repository shape for a stored record; URIs follow the current registry host. */
export function toRepository(record: RepositoryRecord, scope: Scope, registryHost: string): Repository {
  return {
    repositoryArn: repositoryArn(scope, record.name),
    registryId: scope.accountId,
    repositoryName: record.name,
    repositoryUri: `${registryHost}/${record.name}`,
    createdAt: new Date(record.createdAt),
    imageTagMutability: record.imageTagMutability as ImageTagMutability,
    imageTagMutabilityExclusionFilters: record.imageTagMutabilityExclusionFilters?.map((f) => ({
      filterType: f.filterType as ImageTagMutabilityExclusionFilterType,
      filter: f.filter,
    })),
    imageScanningConfiguration: { scanOnPush: record.scanOnPush },
    encryptionConfiguration: {
      encryptionType: record.encryption.encryptionType as EncryptionType,
      kmsKey: record.encryption.kmsKey,
    },
  };
}
