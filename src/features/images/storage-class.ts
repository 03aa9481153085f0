import type { EcrHandlers } from '../../model/handlers.js';
import { ecrError } from '../../model/errors.js';
import { imageKey } from '../../store/keys.js';
import { targetScope, type FeatureDeps } from '../deps.js';
import { requireRepository } from '../repositories/lookup.js';
import { archived, imagesLock, isArchived, requireImage, restored } from './images.js';

// ECR's archival storage class (userguide archive-image.html): an archived image stays listed
// and described (imageStatus ARCHIVED) but cannot be pulled; it is restored by
// UpdateImageStorageClass STANDARD or by pushing it again. ECR restores in the background
// (ACTIVATING, then ACTIVE); Berth restores at once and answers ACTIVATING as ECR does.

export function storageClassHandlers(deps: FeatureDeps): Pick<EcrHandlers, 'UpdateImageStorageClass'> {
  const { store, clock } = deps;
  return {
    async UpdateImageStorageClass(context, input) {
      const scope = targetScope(context, input.registryId);
      const repositoryName = input.repositoryName;
      return store.exclusive(imagesLock(scope, repositoryName), async () => {
        await requireRepository(store, scope, repositoryName);
        const image = await requireImage(store, scope, repositoryName, input.imageId);
        const imageTag = input.imageId.imageTag;
        const toArchive = input.targetStorageClass === 'ARCHIVE';
        if (toArchive === isArchived(image)) {
          throw ecrError(
            'ImageStorageClassUpdateNotSupportedException',
            `The image is already in the ${toArchive ? 'ARCHIVE' : 'STANDARD'} storage class`,
          );
        }
        const now = clock.now().getTime();
        const updated = toArchive ? archived(image, now) : restored(image, now);
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
