import type { Principal } from '../lib/principal.js';

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
  /** When lifecycle last evaluated this repository's policy (GetLifecyclePolicy's lastEvaluatedAt). */
  lifecycleEvaluatedAt?: number;
}

/** Registry-wide (account + region) settings. */
export interface RegistryRecord {
  policyText?: string;
  accountSettings: Record<string, string>;
  replicationConfiguration?: unknown;
  scanningConfiguration?: unknown;
}

export interface TokenRecord {
  /** The registry (account) it was asked for: requests whose Host names no registry go there. */
  accountId: string;
  /** The region whose endpoint issued it: the only region it opens. */
  region: string;
  expiresAt: number;
  /**
   * Who obtained it: every request made with the token acts as this identity. Absent in records
   * written before tokens were bound to their caller; those act as their account's root.
   */
  principal?: Principal;
}

/** One image (manifest) in a repository. */
export interface ImageRecord {
  digest: string;
  manifestMediaType: string;
  /** The artifact's type: `artifactType`, else the config's media type (API_ImageDetail). */
  artifactMediaType?: string;
  pushedAt: number;
  /** Size as ECR reports it: see features/images/manifest.ts. */
  sizeBytes: number;
  /** Tags naming this image, kept in step with the tags table. */
  tags: string[];
  /** Blobs the manifest references (config and layers). */
  blobs: string[];
  /** Manifests an index or list references. */
  manifests: string[];
  subject?: string;
  lastPulledAt?: number;
  /** ARCHIVE once archived (by UpdateImageStorageClass or a lifecycle transition); absent means STANDARD. */
  storageClass?: 'ARCHIVE';
  lastArchivedAt?: number;
  lastActivatedAt?: number;
}

/** The exact bytes pushed, base64: a digest is only as good as the bytes it names. */
export interface ManifestRecord {
  bytes: string;
  /**
   * Set on the converted form of an image served on a pull by tag (ECR's conversion), so a
   * client that resolves the tag and then fetches by the digest it was given finds it.
   */
  convertedFrom?: string;
  mediaType?: string;
}

export interface ImageTagRecord {
  digest: string;
  taggedAt: number;
}

export interface BlobLinkRecord {
  size: number;
  linkedAt: number;
}

/** What the referrers API lists for one manifest that names a subject. */
export interface ReferrerRecord {
  mediaType: string;
  size: number;
  artifactType?: string;
  annotations?: Record<string, string>;
}

/** An upload session: where its blob will be linked once complete. */
export interface UploadRecord {
  accountId: string;
  region: string;
  repositoryName: string;
  startedAt: number;
  /** ECR's layer-part API: the end of the last part, and whether it was below the minimum part size. */
  lastPartSmall?: boolean;
}

/** One image a lifecycle preview would act on, as it was when the preview ran. */
export interface LifecyclePreviewResultRecord {
  digest: string;
  tags: string[];
  pushedAt: number;
  action: 'EXPIRE' | 'TRANSITION';
  targetStorageClass?: 'ARCHIVE';
  appliedRulePriority: number;
  storageClass: 'STANDARD' | 'ARCHIVE';
}

/** A repository's last lifecycle policy preview. */
export interface LifecyclePreviewRecord {
  status: 'IN_PROGRESS' | 'COMPLETE' | 'FAILED';
  policyText: string;
  startedAt: number;
  results: LifecyclePreviewResultRecord[];
}

/** An image's last scan. Findings are kept as the matcher produced them (JSON), shaped per request. */
export interface ScanRecord {
  status: 'IN_PROGRESS' | 'COMPLETE' | 'FAILED';
  description?: string;
  scanType: 'BASIC' | 'ENHANCED';
  startedAt: number;
  completedAt?: number;
  /** The last basic scan counting toward ECR's one-per-image-per-24-hours limit (StartImageScan or scan on push). */
  manualScanAt?: number;
  vulnerabilitySourceUpdatedAt?: number;
  /** ImageScanFinding (BASIC) or EnhancedImageScanFinding (ENHANCED) objects, as JSON. */
  findings?: unknown[];
  severityCounts?: Record<string, number>;
}
