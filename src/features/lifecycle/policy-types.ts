// The lifecycle policy grammar (userguide lifecycle_policy_parameters.html), as parsed from
// the policy text. Field values keep ECR's spelling so a parsed policy reads like the JSON.

export type TagStatus = 'tagged' | 'untagged' | 'any';
export type CountType = 'imageCountMoreThan' | 'sinceImagePushed' | 'sinceImagePulled' | 'sinceImageTransitioned';
export type SelectionStorageClass = 'standard' | 'archive';

export interface LifecycleSelection {
  tagStatus: TagStatus;
  tagPrefixList?: string[];
  /** `*` wildcards; several patterns mean the image must match all of them. */
  tagPatternList?: string[];
  /** Which images the rule looks at; standard when omitted. */
  storageClass: SelectionStorageClass;
  countType: CountType;
  /** Only with the age-based count types. */
  countUnit?: 'days';
  countNumber: number;
}

export type LifecycleAction = { type: 'expire' } | { type: 'transition'; targetStorageClass: 'archive' };

export interface LifecycleRule {
  rulePriority: number;
  description?: string;
  selection: LifecycleSelection;
  action: LifecycleAction;
}

export interface LifecyclePolicy {
  /** Sorted by rulePriority, lowest (evaluated first) first. */
  rules: LifecycleRule[];
}

/** What the evaluator needs to know about one image in the repository. Times are epoch ms. */
export interface LifecycleImage {
  digest: string;
  tags: string[];
  pushedAt: number;
  lastPulledAt?: number;
  storageClass: 'STANDARD' | 'ARCHIVE';
  /** When the image moved to its current storage class (archive). */
  transitionedAt?: number;
  /**
   * When the image was last restored from archive (ECR's last_activated_at), if ever: ECR then
   * counts its age from the restore instead of the push, and its pull age from the restore
   * until it is pulled again (LifecyclePolicies.html, evaluation rules).
   */
  lastActivatedAt?: number;
  /** Digests of the images a manifest list / index references. */
  manifests: string[];
  /** Digest of the image this artifact refers to (OCI 1.1 subject), if any. */
  subject?: string;
}

/** One image a rule acts on. */
export interface LifecycleDecision {
  digest: string;
  action: 'EXPIRE' | 'TRANSITION';
  /** For TRANSITION: the class the image moves to. */
  targetStorageClass?: 'ARCHIVE';
  appliedRulePriority: number;
}
