import { negotiateManifest, parseAccept, manifestDigest } from '../features/images/convert.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { deleteImage, isArchived, pushImage, readConversion, readManifest, recordPull, rememberConversion, resolveImage } from '../features/images/images.js';
import { MAX_MANIFEST_BYTES } from '../features/images/manifest.js';
import { isDigest } from '../lib/digest.js';
import type { RegistryHandler } from './context.js';
import { registryError } from './errors.js';
import { API_VERSION_HEADER, readBody, sendEmpty } from './http.js';
import { requireRepository } from '../features/repositories/lookup.js';

/** OCI's tag grammar, with ECR's longer limit (tags up to 300 characters). */
const TAG = /^[a-zA-Z0-9_][a-zA-Z0-9._-]{0,299}$/;

function parseReference(reference: string): { tag?: string; digest?: string } {
  if (reference.includes(':')) {
    if (!isDigest(reference)) throw registryError('DIGEST_INVALID', `invalid digest '${reference}'`);
    return { digest: reference };
  }
  if (!TAG.test(reference)) throw registryError('TAG_INVALID', `invalid tag '${reference}'`);
  return { tag: reference };
}

const manifestUnknown = () => registryError('MANIFEST_UNKNOWN', 'Requested image not found');
/** Archived images cannot be pulled: 404, as ECR answers (userguide archive-image.html). */
const manifestArchived = () => registryError('MANIFEST_UNKNOWN', 'The requested image is archived and cannot be pulled');


/**
 * GET/HEAD /v2/<name>/manifests/<reference>. By tag, the stored manifest is converted when the
 * client's Accept does not include its type (ECR's conversion table); by digest, never.
 */
export const getManifest: RegistryHandler = async (deps, { req, res, scope, name, param }) => {
  const { store } = deps;
  await requireRepository(store, scope, name);
  const reference = parseReference(param);
  const image = await resolveImage(store, scope, name, reference);
  const stored = image && (await readManifest(store, scope, name, image.digest));
  if (!image || !stored) {
    const conversion = reference.digest ? await readConversion(store, scope, name, reference.digest) : undefined;
    if (!conversion) throw manifestUnknown();
    if (isArchived(conversion.image)) throw manifestArchived();
    sendManifest(req, res, conversion.mediaType, conversion.bytes, reference.digest!);
    if (req.method === 'GET') await recordPull(deps, scope, name, conversion.image);
    return;
  }

  if (isArchived(image)) throw manifestArchived();
  let served = { mediaType: image.manifestMediaType, bytes: stored };
  let digest = image.digest;
  if (reference.tag !== undefined) {
    const accepted = parseAccept(req.headers.accept);
    const negotiated = await negotiateManifest(served, accepted, (blob) => store.blobs.readAll(blob), {
      repositoryName: name,
      tag: reference.tag,
    });
    // Nothing acceptable: serve what is stored, as registries do, and let the client decide.
    if (negotiated && negotiated.bytes !== stored) {
      served = negotiated;
      digest = manifestDigest(negotiated);
      await rememberConversion(store, scope, name, image.digest, { digest, ...negotiated });
    }
  }
  sendManifest(req, res, served.mediaType, served.bytes, digest);
  if (req.method === 'GET') await recordPull(deps, scope, name, image);
};

function sendManifest(req: IncomingMessage, res: ServerResponse, mediaType: string, bytes: Buffer, digest: string): void {
  res.writeHead(200, {
    ...API_VERSION_HEADER,
    'Content-Type': mediaType,
    'Content-Length': bytes.length,
    'Docker-Content-Digest': digest,
    ETag: `"${digest}"`,
  });
  res.end(req.method === 'HEAD' ? undefined : bytes);
}

/** PUT /v2/<name>/manifests/<reference>: through the same manifest service as PutImage. */
export const putManifest: RegistryHandler = async (deps, { req, res, scope, name, param }) => {
  await requireRepository(deps.store, scope, name);
  const reference = parseReference(param);
  const bytes = await readBody(req, MAX_MANIFEST_BYTES, () =>
    registryError('MANIFEST_INVALID', `manifest exceeds the ${MAX_MANIFEST_BYTES}-byte limit`, { status: 413 }),
  );
  // ECR errors (LayersNotFoundException, ImageTagAlreadyExistsException, ...) become their OCI
  // codes, keeping ECR's wording, in the one mapping every route's errors pass (errors.ts).
  const { image, manifest } = await pushImage(
    deps,
    scope,
    name,
    { bytes, declaredType: req.headers['content-type'], tag: reference.tag, expectedDigest: reference.digest },
    { refuseUnchanged: false },
  );
  sendEmpty(res, 201, {
    Location: `/v2/${name}/manifests/${image.digest}`,
    'Docker-Content-Digest': image.digest,
    ...(manifest.subject ? { 'OCI-Subject': manifest.subject.digest } : {}),
  });
};

/** DELETE /v2/<name>/manifests/<reference>: ECR's delete (by tag: untag; last tag: the image). */
export const deleteManifest: RegistryHandler = async ({ store }, { res, scope, name, param }) => {
  await requireRepository(store, scope, name);
  const outcome = await deleteImage(store, scope, name, parseReference(param));
  if ('failure' in outcome) {
    if (outcome.failure === 'ImageReferencedByManifestList') throw registryError('DENIED', outcome.reason);
    throw manifestUnknown();
  }
  sendEmpty(res, 202);
};
