// What the store persists. Times are epoch milliseconds; API shapes are built from these by
// the features, never stored.

export interface TagRecord {
  Key: string;
  Value: string;
}

export interface TagMutabilityFilterRecord {
  filterType: string;
  filter: string;
}

export interface RepositoryRecord {
  name: string;
  createdAt: number;
  imageTagMutability: string;
  imageTagMutabilityExclusionFilters?: TagMutabilityFilterRecord[];
  scanOnPush: boolean;
  encryption: { encryptionType: string; kmsKey?: string };
  tags: TagRecord[];
  policyText?: string;
  lifecyclePolicyText?: string;
  lifecyclePolicyUpdatedAt?: number;
}

/** Registry-wide (account + region) settings. */
export interface RegistryRecord {
  policyText?: string;
  accountSettings: Record<string, string>;
  replicationConfiguration?: unknown;
  scanningConfiguration?: unknown;
}

export interface TokenRecord {
  accountId: string;
  region: string;
  expiresAt: number;
}
