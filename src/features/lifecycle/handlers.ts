import { decodePageToken, encodePageToken } from '../../lib/page-token.js';
import type { Scope } from '../../lib/scope.js';
import { ecrError, type AwsError } from '../../model/errors.js';
import type { LifecyclePolicyPreviewResult } from '../../model/generated/types.js';
import type { EcrHandlers } from '../../model/handlers.js';
import { lifecyclePreviewKey } from '../../store/keys.js';
import type { LifecyclePreviewRecord, LifecyclePreviewResultRecord } from '../../store/records.js';
import { targetScope, type FeatureDeps } from '../deps.js';
import { invalidParameterAt } from '../messages.js';
import { requireRepository, updateRepository } from '../repositories/lookup.js';
import { parseLifecyclePolicy } from './policy.js';
import { repositoryImages } from '../images/images.js';
import { decideLifecycle } from './run.js';

// PutLifecyclePolicy, GetLifecyclePolicy, DeleteLifecyclePolicy and the preview pair. The
// policy text is validated (policy.ts) before anything is stored; a preview evaluates the
// same pure evaluator the scheduled run applies (evaluate.ts), off the request path.

/** GetLifecyclePolicyPreview returns up to 100 results a page when maxResults is not given. */
const DEFAULT_PREVIEW_PAGE_SIZE = 100;

const policyNotFound = (scope: Scope, repositoryName: string): AwsError =>
  ecrError(
    'LifecyclePolicyNotFoundException',
    `Lifecycle policy does not exist for the repository with name '${repositoryName}' in the registry with id '${scope.accountId}'`,
  );

const previewNotFound = (scope: Scope, repositoryName: string): AwsError =>
  ecrError(
    'LifecyclePolicyPreviewNotFoundException',
    `There is no lifecycle policy preview for the repository with name '${repositoryName}' in the registry with id '${scope.accountId}'`,
  );

function previewResult(result: LifecyclePreviewResultRecord): LifecyclePolicyPreviewResult {
  return {
    ...(result.tags.length ? { imageTags: [...result.tags] } : {}),
    imageDigest: result.digest,
    imagePushedAt: new Date(result.pushedAt),
    action: { type: result.action, ...(result.targetStorageClass ? { targetStorageClass: result.targetStorageClass } : {}) },
    appliedRulePriority: result.appliedRulePriority,
    storageClass: result.storageClass,
  };
}

export function lifecycleHandlers(
  deps: FeatureDeps,
): Pick<
  EcrHandlers,
  'PutLifecyclePolicy' | 'GetLifecyclePolicy' | 'DeleteLifecyclePolicy' | 'StartLifecyclePolicyPreview' | 'GetLifecyclePolicyPreview'
> {
  const { store, clock } = deps;
  /**
   * The previews this process is evaluating: each one's startedAt, by preview key. A stored
   * IN_PROGRESS preview that is not here was left by a process that stopped before finishing
   * it: the next GetLifecyclePolicyPreview finishes it, and it does not block a new
   * StartLifecyclePolicyPreview (which would otherwise answer
   * LifecyclePolicyPreviewInProgressException for ever).
   */
  const evaluating = new Map<string, number>();

  /** Evaluates the preview off the request path. */
  function schedulePreview(scope: Scope, repositoryName: string, startedAt: number): void {
    const key = lifecyclePreviewKey(scope, repositoryName);
    evaluating.set(key, startedAt);
    setImmediate(() => {
      completePreview(scope, repositoryName, startedAt)
        .catch(() => undefined)
        .finally(() => {
          // A newer preview may have been scheduled meanwhile; it stays marked.
          if (evaluating.get(key) === startedAt) evaluating.delete(key);
        });
    });
  }

  /** Evaluates the preview's policy against the repository as it is now and stores the outcome. */
  async function completePreview(scope: Scope, repositoryName: string, startedAt: number): Promise<void> {
    const key = lifecyclePreviewKey(scope, repositoryName);
    const preview = await store.tables.lifecyclePreviews.get(key);
    if (!preview || preview.startedAt !== startedAt || preview.status !== 'IN_PROGRESS') return;
    let finished: LifecyclePreviewRecord;
    try {
      const images = await repositoryImages(store, scope, repositoryName);
      const decided = decideLifecycle(parseLifecyclePolicy(preview.policyText), images, clock.now().getTime());
      const results = decided.map(
        ({ decision, image }): LifecyclePreviewResultRecord => ({
          digest: image.digest,
          tags: [...image.tags],
          pushedAt: image.pushedAt,
          action: decision.action,
          ...(decision.targetStorageClass ? { targetStorageClass: decision.targetStorageClass } : {}),
          appliedRulePriority: decision.appliedRulePriority,
          storageClass: image.storageClass === 'ARCHIVE' ? 'ARCHIVE' : 'STANDARD',
        }),
      );
      finished = { ...preview, status: 'COMPLETE', results };
    } catch {
      finished = { ...preview, status: 'FAILED', results: [] };
    }
    await store.exclusive(key, async () => {
      const current = await store.tables.lifecyclePreviews.get(key);
      if (current?.startedAt === startedAt) await store.write((batch) => batch.put('lifecyclePreviews', key, finished));
    });
  }

  return {
    async PutLifecyclePolicy(context, input) {
      const scope = targetScope(context, input.registryId);
      // Validated before the repository is changed: a bad text leaves the stored policy as it was.
      await requireRepository(store, scope, input.repositoryName);
      parseLifecyclePolicy(input.lifecyclePolicyText);
      await updateRepository(store, scope, input.repositoryName, (current) => ({
        ...current,
        lifecyclePolicyText: input.lifecyclePolicyText,
        lifecyclePolicyUpdatedAt: clock.now().getTime(),
      }));
      return { registryId: scope.accountId, repositoryName: input.repositoryName, lifecyclePolicyText: input.lifecyclePolicyText };
    },

    async GetLifecyclePolicy(context, input) {
      const scope = targetScope(context, input.registryId);
      const repository = await requireRepository(store, scope, input.repositoryName);
      if (repository.lifecyclePolicyText === undefined) throw policyNotFound(scope, input.repositoryName);
      return {
        registryId: scope.accountId,
        repositoryName: input.repositoryName,
        lifecyclePolicyText: repository.lifecyclePolicyText,
        ...(repository.lifecycleEvaluatedAt !== undefined ? { lastEvaluatedAt: new Date(repository.lifecycleEvaluatedAt) } : {}),
      };
    },

    async DeleteLifecyclePolicy(context, input) {
      const scope = targetScope(context, input.registryId);
      let removed: { text: string; evaluatedAt?: number } | undefined;
      await updateRepository(store, scope, input.repositoryName, (current) => {
        if (current.lifecyclePolicyText === undefined) throw policyNotFound(scope, input.repositoryName);
        removed = { text: current.lifecyclePolicyText, evaluatedAt: current.lifecycleEvaluatedAt };
        const { lifecyclePolicyText: _text, lifecyclePolicyUpdatedAt: _updated, lifecycleEvaluatedAt: _evaluated, ...rest } = current;
        return rest;
      });
      return {
        registryId: scope.accountId,
        repositoryName: input.repositoryName,
        lifecyclePolicyText: removed!.text,
        ...(removed!.evaluatedAt !== undefined ? { lastEvaluatedAt: new Date(removed!.evaluatedAt) } : {}),
      };
    },

    async StartLifecyclePolicyPreview(context, input) {
      const scope = targetScope(context, input.registryId);
      const repositoryName = input.repositoryName;
      const repository = await requireRepository(store, scope, repositoryName);
      const policyText = input.lifecyclePolicyText ?? repository.lifecyclePolicyText;
      if (policyText === undefined) throw policyNotFound(scope, repositoryName);
      parseLifecyclePolicy(policyText);
      const key = lifecyclePreviewKey(scope, repositoryName);
      const startedAt = await store.exclusive(key, async () => {
        const current = await store.tables.lifecyclePreviews.get(key);
        if (current?.status === 'IN_PROGRESS' && evaluating.get(key) === current.startedAt) {
          throw ecrError('LifecyclePolicyPreviewInProgressException', 'Previous lifecycle policy preview request has not completed');
        }
        // Distinct per preview, so a late finisher of an earlier preview never overwrites a newer one.
        const started = Math.max(clock.now().getTime(), (current?.startedAt ?? 0) + 1);
        await store.write((batch) => batch.put('lifecyclePreviews', key, { status: 'IN_PROGRESS', policyText, startedAt: started, results: [] }));
        return started;
      });
      // Off the request path, as ECR's preview is: the caller polls GetLifecyclePolicyPreview.
      schedulePreview(scope, repositoryName, startedAt);
      return { registryId: scope.accountId, repositoryName, lifecyclePolicyText: policyText, status: 'IN_PROGRESS' };
    },

    async GetLifecyclePolicyPreview(context, input) {
      const scope = targetScope(context, input.registryId);
      const repositoryName = input.repositoryName;
      await requireRepository(store, scope, repositoryName);
      const key = lifecyclePreviewKey(scope, repositoryName);
      const preview = await store.tables.lifecyclePreviews.get(key);
      if (!preview) throw previewNotFound(scope, repositoryName);
      if (preview.status === 'IN_PROGRESS' && evaluating.get(key) !== preview.startedAt) schedulePreview(scope, repositoryName, preview.startedAt);
      const base = { registryId: scope.accountId, repositoryName, lifecyclePolicyText: preview.policyText, status: preview.status };
      if (preview.status !== 'COMPLETE') return base;

      if (input.imageIds && (input.maxResults !== undefined || input.nextToken !== undefined)) {
        throw invalidParameterAt(input.maxResults !== undefined ? 'maxResults' : 'nextToken', 'cannot be used together with imageIds');
      }
      const tagStatus = input.filter?.tagStatus;
      let results = preview.results.filter(
        (result) => tagStatus === undefined || tagStatus === 'ANY' || (tagStatus === 'TAGGED') === result.tags.length > 0,
      );
      if (input.imageIds) {
        results = results.filter((result) =>
          input.imageIds!.some(
            (id) =>
              (id.imageDigest === undefined || id.imageDigest === result.digest) &&
              (id.imageTag === undefined || result.tags.includes(id.imageTag)) &&
              (id.imageDigest !== undefined || id.imageTag !== undefined),
          ),
        );
      }
      let start = 0;
      if (input.nextToken !== undefined) {
        const last = decodePageToken('lifecyclePreview', input.nextToken);
        const index = last === undefined ? -1 : results.findIndex((result) => result.digest === last);
        if (index < 0) throw invalidParameterAt('nextToken', 'Invalid nextToken provided');
        start = index + 1;
      }
      const pageSize = input.maxResults ?? DEFAULT_PREVIEW_PAGE_SIZE;
      const page = input.imageIds ? results : results.slice(start, start + pageSize);
      const more = !input.imageIds && start + pageSize < results.length;
      const transitioning = preview.results.filter((result) => result.action === 'TRANSITION').length;
      return {
        ...base,
        previewResults: page.map(previewResult),
        ...(more ? { nextToken: encodePageToken('lifecyclePreview', page[page.length - 1].digest) } : {}),
        summary: {
          expiringImageTotalCount: preview.results.filter((result) => result.action === 'EXPIRE').length,
          ...(transitioning ? { transitioningImageTotalCounts: [{ targetStorageClass: 'ARCHIVE' as const, imageTotalCount: transitioning }] } : {}),
        },
      };
    },
  };
}
