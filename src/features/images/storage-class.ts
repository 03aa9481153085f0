import type { EcrHandlers } from '../../model/handlers.js';
import { ecrError } from '../../model/errors.js';
import { imageKey } from '../../store/keys.js';
import type { ImageRecord } from '../../store/records.js';
import { targetScope, type FeatureDeps } from '../deps.js';
import { requireRepository } from '../repositories/lookup.js';
import { imagesLock, isArchived, resolveImage } from './images.js';

// ECR's archival storage class (userguide archive-image.html): an archived image stays listed
// and described (imageStatus ARCHIVED) but cannot be pulled; it is restored by
// UpdateImageStorageClass STANDARD or by pushing it again. ECR restores in the background
// (ACTIVATING, then ACTIVE); Berth restores at once and answers ACTIVATING as ECR does.

/** The image in the archive class, as UpdateImageStorageClass and lifecycle transitions leave it. */
export const archived = (image: ImageRecord, now: number): ImageRecord => ({ ...image, storageClass: 'ARCHIVE', lastArchivedAt: now });

export function storageClassHandlers(deps: FeatureDeps): Pick<EcrHandlers, 'UpdateImageStorageClass'> {
  const { store, clock } = deps;
  return {
    async UpdateImageStorageClass(context, input) {
      const scope = targetScope(context, input.registryId);
      const repositoryName = input.repositoryName;
      return store.exclusive(imagesLock(scope, repositoryName), async () => {
        await requireRepository(store, scope, repositoryName);
        const { imageDigest, imageTag } = input.imageId;
        const image =
          imageDigest === undefined && imageTag === undefined
            ? undefined
            : await resolveImage(store, scope, repositoryName, { digest: imageDigest, tag: imageTag });
        if (!image) {
          throw ecrError(
            'ImageNotFoundException',
            `The image with imageId {imageDigest:'${imageDigest ?? 'null'}', imageTag:'${imageTag ?? 'null'}'} does not exist within the repository with name '${repositoryName}' in the registry with id '${scope.accountId}'`,
          );
        }
        const toArchive = input.targetStorageClass === 'ARCHIVE';
        if (toArchive === isArchived(image)) {
          throw ecrError(
            'ImageStorageClassUpdateNotSupportedException',
            `The image is already in the ${toArchive ? 'ARCHIVE' : 'STANDARD'} storage class`,
          );
        }
        const now = clock.now().getTime();
        let updated: ImageRecord;
        if (toArchive) {
          updated = archived(image, now);
        } else {
          const { storageClass: _archive, ...rest } = image;
          updated = { ...rest, lastActivatedAt: now };
        }
        await store.write((batch) => batch.put('images', imageKey(scope, repositoryName, image.digest), updated));
        return {
          registryId: scope.accountId,
          repositoryName,
          imageId: { imageDigest: image.digest, ...(imageTag !== undefined ? { imageTag } : {}) },
          imageStatus: toArchive ? 'ARCHIVED' : 'ACTIVATING',
        };
      });
    },
  };
}
