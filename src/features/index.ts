import type { EcrHandlers } from '../model/handlers.js';
import { accountHandlers } from './account/index.js';
import { authHandlers } from './auth/index.js';
import type { FeatureDeps } from './deps.js';
import { imageHandlers } from './images/handlers.js';
import { storageClassHandlers } from './images/storage-class.js';
import { layerHandlers } from './layers/handlers.js';
import { lifecycleHandlers } from './lifecycle/handlers.js';
import { notBuilt } from './not-built.js';
import { policyHandlers } from './policies/index.js';
import { scanningConfigurationHandlers } from './scanning/configuration.js';
import { scanningHandlers } from './scanning/handlers.js';
import { repositoryHandlers } from './repositories/repositories.js';
import { tagHandlers } from './repositories/tags.js';

export type { FeatureDeps } from './deps.js';

const REPLICATION = 'replication is planned';
const PULL_THROUGH = 'pull-through cache is planned';
const TEMPLATES = 'repository creation templates are planned';
const SIGNING = 'image signing configuration is planned';
const PULL_TIME = 'pull-time update exclusions are planned';

/** The full handler table: every ECR operation, built or answering which feature it awaits. */
export function createHandlers(deps: FeatureDeps): EcrHandlers {
  return {
    ...repositoryHandlers(deps),
    ...tagHandlers(deps),
    ...policyHandlers(deps),
    ...accountHandlers(deps),
    ...authHandlers(deps),
    ...layerHandlers(deps),
    ...imageHandlers(deps),
    ...storageClassHandlers(deps),
    ...lifecycleHandlers(deps),
    ...scanningConfigurationHandlers(deps),
    ...scanningHandlers(deps),

    DescribeImageReplicationStatus: notBuilt('DescribeImageReplicationStatus', REPLICATION),


    PutReplicationConfiguration: notBuilt('PutReplicationConfiguration', REPLICATION),
    StartReplicationBackfill: notBuilt('StartReplicationBackfill', REPLICATION),
    StopReplicationBackfill: notBuilt('StopReplicationBackfill', REPLICATION),
    ListReplicationBackfills: notBuilt('ListReplicationBackfills', REPLICATION),
    DescribeReplicationBackfillResults: notBuilt('DescribeReplicationBackfillResults', REPLICATION),

    CreatePullThroughCacheRule: notBuilt('CreatePullThroughCacheRule', PULL_THROUGH),
    DeletePullThroughCacheRule: notBuilt('DeletePullThroughCacheRule', PULL_THROUGH),
    DescribePullThroughCacheRules: notBuilt('DescribePullThroughCacheRules', PULL_THROUGH),
    UpdatePullThroughCacheRule: notBuilt('UpdatePullThroughCacheRule', PULL_THROUGH),
    ValidatePullThroughCacheRule: notBuilt('ValidatePullThroughCacheRule', PULL_THROUGH),

    CreateRepositoryCreationTemplate: notBuilt('CreateRepositoryCreationTemplate', TEMPLATES),
    DeleteRepositoryCreationTemplate: notBuilt('DeleteRepositoryCreationTemplate', TEMPLATES),
    DescribeRepositoryCreationTemplates: notBuilt('DescribeRepositoryCreationTemplates', TEMPLATES),
    UpdateRepositoryCreationTemplate: notBuilt('UpdateRepositoryCreationTemplate', TEMPLATES),

    PutSigningConfiguration: notBuilt('PutSigningConfiguration', SIGNING),
    GetSigningConfiguration: notBuilt('GetSigningConfiguration', SIGNING),
    DeleteSigningConfiguration: notBuilt('DeleteSigningConfiguration', SIGNING),
    DescribeImageSigningStatus: notBuilt('DescribeImageSigningStatus', SIGNING),

    RegisterPullTimeUpdateExclusion: notBuilt('RegisterPullTimeUpdateExclusion', PULL_TIME),
    DeregisterPullTimeUpdateExclusion: notBuilt('DeregisterPullTimeUpdateExclusion', PULL_TIME),
    ListPullTimeUpdateExclusions: notBuilt('ListPullTimeUpdateExclusions', PULL_TIME),
  };
}
