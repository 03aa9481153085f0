import { MEDIA_TYPES } from '../features/images/media-types.js';
import { isDigest } from '../lib/digest.js';
import { referrersPrefix } from '../store/keys.js';
import type { RegistryHandler } from './context.js';
import { registryError } from './errors.js';
import { sendJson } from './http.js';
import { requireRepository } from '../features/repositories/lookup.js';

/** GET /v2/<name>/referrers/<digest>?artifactType=: an OCI index of the manifests whose subject is the digest. */
export const listReferrers: RegistryHandler = async ({ store }, { res, scope, name, url, param: subject }) => {
  await requireRepository(store, scope, name);
  if (!isDigest(subject)) throw registryError('DIGEST_INVALID', `invalid digest '${subject}'`);
  const artifactType = url.searchParams.get('artifactType');
  const prefix = referrersPrefix(scope, name, subject);
  const manifests = (await store.tables.referrers.list(prefix))
    .map(([key, referrer]) => ({
      mediaType: referrer.mediaType,
      digest: key.slice(prefix.length),
      size: referrer.size,
      ...(referrer.artifactType ? { artifactType: referrer.artifactType } : {}),
      ...(referrer.annotations ? { annotations: referrer.annotations } : {}),
    }))
    .filter((descriptor) => artifactType === null || descriptor.artifactType === artifactType);
  sendJson(
    res,
    200,
    { schemaVersion: 2, mediaType: MEDIA_TYPES.ociIndex, manifests },
    { 'Content-Type': MEDIA_TYPES.ociIndex, ...(artifactType !== null ? { 'OCI-Filters-Applied': 'artifactType' } : {}) },
  );
};
