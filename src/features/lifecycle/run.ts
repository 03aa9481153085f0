import type { Clock } from '../../lib/clock.js';
import type { Scope } from '../../lib/scope.js';
import { imageKey, parseRepositoryKey, repositoryKey } from '../../store/keys.js';
import type { ImageRecord, RepositoryRecord } from '../../store/records.js';
import type { Store } from '../../store/store.js';
import { archived, deleteImageIn, imagesLock, repositoryImages } from '../images/images.js';
import { evaluateLifecyclePolicy } from './evaluate.js';
import { parseLifecyclePolicy } from './policy.js';
import type { LifecycleDecision, LifecycleImage, LifecyclePolicy } from './policy-types.js';

// Applying stored lifecycle policies: on a schedule (--lifecycle-interval) and on demand
// (POST /_berth/lifecycle/run). Each repository is evaluated and changed under its repository
// and images locks, so a push, delete or policy change racing the run is seen either wholly
// before or wholly after it.

export interface LifecycleDeps {
  store: Store;
  clock: Clock;
}

/** One image a run expired or transitioned. */
export interface LifecycleOutcome {
  registryId: string;
  region: string;
  repositoryName: string;
  imageDigest: string;
  imageTags: string[];
  action: 'EXPIRE' | 'TRANSITION';
  targetStorageClass?: 'ARCHIVE';
  appliedRulePriority: number;
}

export interface LifecycleRunReport {
  evaluatedAt: string;
  repositoriesEvaluated: number;
  expired: LifecycleOutcome[];
  transitioned: LifecycleOutcome[];
  /** Repositories not evaluated: a stored policy that no longer parses (never expected: it was validated when put), or a store failure. */
  failures: Array<{ registryId: string; region: string; repositoryName: string; reason: string }>;
}

/** What the evaluator needs of an image record. */
export function lifecycleImageOf(image: ImageRecord): LifecycleImage {
  return {
    digest: image.digest,
    tags: image.tags,
    pushedAt: image.pushedAt,
    ...(image.lastPulledAt !== undefined ? { lastPulledAt: image.lastPulledAt } : {}),
    storageClass: image.storageClass === 'ARCHIVE' ? 'ARCHIVE' : 'STANDARD',
    ...(image.storageClass === 'ARCHIVE' && image.lastArchivedAt !== undefined ? { transitionedAt: image.lastArchivedAt } : {}),
    ...(image.lastActivatedAt !== undefined ? { lastActivatedAt: image.lastActivatedAt } : {}),
    manifests: image.manifests,
    ...(image.subject ? { subject: image.subject } : {}),
  };
}

/**
 * What the policy does to these images now, each decision with its image record: what a run
 * applies and a preview lists (the evaluator already keeps an image an index references unless
 * the index goes too).
 */
export function decideLifecycle(policy: LifecyclePolicy, images: ImageRecord[], now: number): Array<{ decision: LifecycleDecision; image: ImageRecord }> {
  const byDigest = new Map(images.map((image) => [image.digest, image]));
  return evaluateLifecyclePolicy(policy, images.map(lifecycleImageOf), now).flatMap((decision) => {
    const image = byDigest.get(decision.digest);
    return image ? [{ decision, image }] : [];
  });
}

/**
 * Evaluates one repository's stored policy against its images now and applies the outcome,
 * with lastEvaluatedAt, in one batch. Answers undefined when the repository or its policy is
 * gone by the time the locks are held.
 *
 * The repository's lock is taken before its images lock, the order DeleteRepository takes
 * them in: the other order deadlocks against a forced delete that holds the repository and
 * waits for the images. The policy is read under the repository lock, so the text evaluated is
 * the one stored at that moment, never one deleted or replaced since the run listed it.
 */
export async function applyLifecyclePolicy(
  deps: LifecycleDeps,
  scope: Scope,
  repositoryName: string,
): Promise<LifecycleOutcome[] | undefined> {
  const { store, clock } = deps;
  const key = repositoryKey(scope, repositoryName);
  return store.exclusive(key, () =>
    store.exclusive(imagesLock(scope, repositoryName), async () => {
      const repository = await store.tables.repositories.get(key);
      if (repository?.lifecyclePolicyText === undefined) return undefined;
      const policy = parseLifecyclePolicy(repository.lifecyclePolicyText);
      const images = await repositoryImages(store, scope, repositoryName);
      const now = clock.now().getTime();
      const applied = decideLifecycle(policy, images, now);
      await store.write((batch) => {
        for (const { decision, image } of applied) {
          if (decision.action === 'EXPIRE') deleteImageIn(batch, scope, repositoryName, image);
          else batch.put('images', imageKey(scope, repositoryName, image.digest), archived(image, now));
        }
        batch.put('repositories', key, { ...repository, lifecycleEvaluatedAt: now });
      });
      return applied.map(({ decision, image }) => ({
        registryId: scope.accountId,
        region: scope.region,
        repositoryName,
        imageDigest: image.digest,
        imageTags: [...image.tags],
        action: decision.action,
        ...(decision.targetStorageClass ? { targetStorageClass: decision.targetStorageClass } : {}),
        appliedRulePriority: decision.appliedRulePriority,
      }));
    }),
  );
}

/** Applies every stored lifecycle policy, in every account and region. */
export async function runLifecycle(deps: LifecycleDeps): Promise<LifecycleRunReport> {
  const report: LifecycleRunReport = {
    evaluatedAt: deps.clock.now().toISOString(),
    repositoriesEvaluated: 0,
    expired: [],
    transitioned: [],
    failures: [],
  };
  const withPolicies: Array<[string, RepositoryRecord]> = (await deps.store.tables.repositories.list('')).filter(
    ([, repository]) => repository.lifecyclePolicyText !== undefined,
  );
  for (const [key] of withPolicies) {
    const { scope, repositoryName: name } = parseRepositoryKey(key);
    let outcomes: LifecycleOutcome[] | undefined;
    try {
      outcomes = await applyLifecyclePolicy(deps, scope, name);
    } catch (error) {
      // A stored policy that no longer parses (never expected: it was validated when put) or a
      // store failure: the other repositories are still evaluated.
      report.failures.push({ registryId: scope.accountId, region: scope.region, repositoryName: name, reason: String(error) });
      continue;
    }
    // Deleted, or its policy deleted, since the listing: nothing was evaluated.
    if (outcomes === undefined) continue;
    report.repositoriesEvaluated += 1;
    for (const outcome of outcomes) (outcome.action === 'EXPIRE' ? report.expired : report.transitioned).push(outcome);
  }
  return report;
}
