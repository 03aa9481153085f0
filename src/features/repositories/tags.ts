import { parseRepositoryArn } from '../../lib/arn.js';
import { ecrError } from '../../model/errors.js';
import type { EcrHandlers } from '../../model/handlers.js';
import type { Tag } from '../../model/generated/types.js';
import type { TagRecord } from '../../store/records.js';
import type { FeatureDeps } from '../deps.js';
import { invalidParameterAt } from '../messages.js';
import { requireRepository, updateRepository } from './lookup.js';

/** ECR allows at most 50 user tags on a resource. */
export const MAX_TAGS = 50;
const KEY_OR_VALUE = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;

const invalidTag = (message: string) => ecrError('InvalidTagParameterException', message);

/** A tag key's length and the reserved "aws:" prefix, for TagResource and UntagResource alike. */
function checkTagKey(key: string): void {
  if (key.length < 1 || key.length > 128) throw invalidTag(`Tag key '${key}' must be between 1 and 128 characters long`);
  if (key.toLowerCase().startsWith('aws:')) throw invalidTag(`Tag keys prefixed with 'aws:' are reserved for AWS use: '${key}'`);
}

/** Tag keys and values as ECR (and the AWS tagging rules) accept them. */
export function checkTags(tags: Tag[]): void {
  const keys = new Set<string>();
  for (const { Key, Value } of tags) {
    checkTagKey(Key);
    if (Value.length > 256) throw invalidTag(`Tag value for key '${Key}' must be at most 256 characters long`);
    if (!KEY_OR_VALUE.test(Key)) throw invalidTag(`Tag key '${Key}' contains characters that are not allowed`);
    if (!KEY_OR_VALUE.test(Value)) throw invalidTag(`Tag value for key '${Key}' contains characters that are not allowed`);
    if (keys.has(Key)) throw invalidTag(`Duplicate tag key '${Key}'`);
    keys.add(Key);
  }
}

/** Adds or overwrites tags, keeping the 50-tag limit. */
export function mergeTags(current: TagRecord[], added: Tag[], resource: string): TagRecord[] {
  const merged = new Map(current.map((t) => [t.Key, t.Value]));
  for (const { Key, Value } of added) merged.set(Key, Value);
  if (merged.size > MAX_TAGS) {
    throw ecrError(
      'TooManyTagsException',
      `The resource '${resource}' would have ${merged.size} tags, more than the maximum of ${MAX_TAGS}`,
    );
  }
  return [...merged].map(([Key, Value]) => ({ Key, Value }));
}

function resolveArn(resourceArn: string) {
  const parsed = parseRepositoryArn(resourceArn);
  if (!parsed) throw invalidParameterAt('resourceArn', 'Invalid ARN');
  return parsed;
}

export function tagHandlers(deps: FeatureDeps): Pick<EcrHandlers, 'TagResource' | 'UntagResource' | 'ListTagsForResource'> {
  const { store } = deps;
  return {
    async TagResource(_context, input) {
      const { scope, repositoryName } = resolveArn(input.resourceArn);
      checkTags(input.tags);
      await updateRepository(store, scope, repositoryName, (record) => ({
        ...record,
        tags: mergeTags(record.tags, input.tags, input.resourceArn),
      }));
      return {};
    },

    async UntagResource(_context, input) {
      const { scope, repositoryName } = resolveArn(input.resourceArn);
      input.tagKeys.forEach(checkTagKey);
      const removed = new Set(input.tagKeys);
      await updateRepository(store, scope, repositoryName, (record) => ({
        ...record,
        tags: record.tags.filter((t) => !removed.has(t.Key)),
      }));
      return {};
    },

    async ListTagsForResource(_context, input) {
      const { scope, repositoryName } = resolveArn(input.resourceArn);
      const record = await requireRepository(store, scope, repositoryName);
      return { tags: record.tags.map(({ Key, Value }) => ({ Key, Value })) };
    },
  };
}
