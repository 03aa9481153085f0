import type { IncomingMessage, ServerResponse } from 'node:http';
import { isClientGone } from '../lib/client-gone.js';
import type { Scope } from '../lib/scope.js';
import { AwsError } from '../model/errors.js';
import { accessDeniedMessage, type Authorizer, type EcrAction } from '../features/access/authorize.js';
import { authenticate, challengeHeader, type AuthOptions } from './auth.js';
import { deleteBlob, getBlob, serveDownload } from './blobs.js';
import { DOWNLOAD_PATH_PREFIX, verifyDownloadToken } from '../features/layers/download-url.js';
import { UploadNotFoundError } from '../store/blobs/blob-store.js';
import type { RegistryDeps, RegistryHandler } from './context.js';
import { fromEcrError, registryError, RegistryError } from './errors.js';
import { API_VERSION_HEADER, sendError, sendJson } from './http.js';
import { deleteManifest, getManifest, putManifest } from './manifests.js';
import { listReferrers } from './referrers.js';
import { listTags } from './tags.js';
import { blobUploadStatus, cancelBlobUpload, finishBlobUpload, patchBlobUpload, startBlobUpload } from './uploads.js';

// The OCI Distribution v1.1 routes, as data: a path pattern (repository name, then one
// parameter) and, per method, its handler and the ECR action it performs on the repository
// (what IAM and repository policies grant). Names contain slashes, so each pattern anchors on
// the route's own suffix.
interface RouteMethod {
  handler: RegistryHandler;
  action: EcrAction;
}

interface Route {
  pattern: RegExp;
  methods: Partial<Record<string, RouteMethod>>;
}

const on = (handler: RegistryHandler, action: EcrAction): RouteMethod => ({ handler, action });

// The actions ECR's push and pull permissions name. For requests with no ECR API twin:
// blob DELETE unlinks a layer from the repository, so it is a deletion (BatchDeleteImage);
// upload GET (where to resume) and DELETE (abandon) act on an open upload as a part upload
// does (UploadLayerPart). The referrers list needs what ListImageReferrers needs: BatchGetImage.
const ROUTES: Route[] = [
  { pattern: /^\/v2\/(.+)\/tags\/list$/, methods: { GET: on(listTags, 'ecr:ListImages') } },
  {
    pattern: /^\/v2\/(.+)\/manifests\/([^/]+)$/,
    methods: {
      GET: on(getManifest, 'ecr:BatchGetImage'),
      HEAD: on(getManifest, 'ecr:BatchGetImage'),
      PUT: on(putManifest, 'ecr:PutImage'),
      DELETE: on(deleteManifest, 'ecr:BatchDeleteImage'),
    },
  },
  { pattern: /^\/v2\/(.+)\/blobs\/uploads\/?()$/, methods: { POST: on(startBlobUpload, 'ecr:InitiateLayerUpload') } },
  {
    pattern: /^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/,
    methods: {
      GET: on(blobUploadStatus, 'ecr:UploadLayerPart'),
      PATCH: on(patchBlobUpload, 'ecr:UploadLayerPart'),
      PUT: on(finishBlobUpload, 'ecr:CompleteLayerUpload'),
      DELETE: on(cancelBlobUpload, 'ecr:UploadLayerPart'),
    },
  },
  {
    pattern: /^\/v2\/(.+)\/blobs\/([^/]+)$/,
    methods: {
      GET: on(getBlob, 'ecr:GetDownloadUrlForLayer'),
      HEAD: on(getBlob, 'ecr:BatchCheckLayerAvailability'),
      DELETE: on(deleteBlob, 'ecr:BatchDeleteImage'),
    },
  },
  { pattern: /^\/v2\/(.+)\/referrers\/([^/]+)$/, methods: { GET: on(listReferrers, 'ecr:BatchGetImage') } },
];

/** ECR's repository name grammar. */
const REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

export interface RegistryOptions extends RegistryDeps {
  requireAuth: boolean;
  defaultScope: () => Scope;
  /** Verifies GetDownloadUrlForLayer's URLs. */
  downloadSecret: Buffer;
  /** Decides whether an authenticated principal may do a route's action on the repository. */
  authorize: Authorizer;
}

/** Whether a path is the registry's: /v2 routes and layer download URLs. */
export const isRegistryPath = (url: string | undefined): boolean =>
  url !== undefined && (url === '/v2' || url.startsWith('/v2/') || url.startsWith('/v2?') || url.startsWith(DOWNLOAD_PATH_PREFIX));

/**
 * A path segment, percent-decoded; a malformed escape ("%zz", a cut UTF-8 sequence) is kept as
 * sent, so the name or reference grammar refuses it with the route's own 4xx.
 */
function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The registry's answer to a known failure of the shared features and store, if it is one. */
function asRegistryError(error: unknown): RegistryError | undefined {
  if (error instanceof RegistryError) return error;
  if (error instanceof AwsError) return fromEcrError(error);
  // The session's bytes went (cancelled or collected) while the request was on its way.
  if (error instanceof UploadNotFoundError) return registryError('BLOB_UPLOAD_UNKNOWN', `upload ${error.uploadId} is unknown`);
  return undefined;
}

/** Answers every request under /v2. */
export function createRegistry(options: RegistryOptions) {
  const deps: RegistryDeps = { store: options.store, clock: options.clock, logger: options.logger, onImagePushed: options.onImagePushed };
  const authOptions: AuthOptions = { store: options.store, clock: options.clock, requireAuth: options.requireAuth, defaultScope: options.defaultScope };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://registry');
    const path = url.pathname;
    if (path.startsWith(DOWNLOAD_PATH_PREFIX)) {
      // A download URL is its own credential, as a presigned S3 URL is.
      if (req.method !== 'GET' && req.method !== 'HEAD') throw registryError('UNSUPPORTED', `${req.method} is not supported on download URLs`);
      const grant = verifyDownloadToken(options.downloadSecret, path.slice(DOWNLOAD_PATH_PREFIX.length), options.clock.now());
      if (!grant) throw registryError('DENIED', 'The download URL is invalid or has expired');
      await serveDownload(options.store, req, res, grant);
      return;
    }
    const auth = await authenticate(req, authOptions);

    if (path === '/v2' || path === '/v2/') {
      // A valid token logs in to any registry of its region: ECR's token "can be used to access
      // any Amazon ECR registry that your IAM principal has access to", decided per repository.
      if (!auth.ok || !auth.principal) {
        // ECR's answer to a client without credentials: a Basic challenge, text body.
        const body = 'Not Authorized\n';
        res.writeHead(401, {
          ...API_VERSION_HEADER,
          'WWW-Authenticate': challengeHeader(auth.scope),
          'Content-Type': 'text/plain; charset=utf-8',
          'Content-Length': Buffer.byteLength(body),
        });
        res.end(req.method === 'HEAD' ? undefined : body);
        return;
      }
      sendJson(res, 200, {});
      return;
    }
    if (!auth.ok) {
      const message =
        auth.reason === 'missing' ? 'Not Authorized' : 'Your authorization token is invalid or has expired. Reauthenticate and try again.';
      throw registryError('UNAUTHORIZED', message, { headers: { 'WWW-Authenticate': challengeHeader(auth.scope) } });
    }

    for (const route of ROUTES) {
      const match = route.pattern.exec(path);
      if (!match) continue;
      const name = decodeSegment(match[1]);
      if (!REPOSITORY_NAME.test(name) || name.length < 2 || name.length > 256) {
        throw registryError('NAME_INVALID', `invalid repository name '${name}'`);
      }
      const method = route.methods[req.method ?? 'GET'];
      if (!method) throw registryError('UNSUPPORTED', `${req.method} is not supported on ${path}`);
      // Anonymous requests (allowed without --require-auth) have no identity to decide about.
      if (auth.principal) {
        const access = { principal: auth.principal, action: method.action, repository: { scope: auth.scope, name } };
        const decision = await options.authorize(access);
        if (!decision.allowed) throw registryError('DENIED', accessDeniedMessage(access, decision.reason));
      }
      await method.handler(deps, { req, res, scope: auth.scope, name, url, param: decodeSegment(match[2]) });
      return;
    }
    throw registryError('UNSUPPORTED', `no route for ${req.method} ${path}`, { status: 404 });
  }

  return (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((error: unknown) => {
      const known = asRegistryError(error);
      if (known && !res.headersSent) {
        // Whatever the client still sends is not wanted; drain it so the socket can be reused.
        req.resume();
        sendError(req, res, known);
        return;
      }
      if (isClientGone(error)) {
        options.logger.debug({ method: req.method, url: req.url, code: (error as NodeJS.ErrnoException).code }, 'client left before the end of the request');
        return;
      }
      options.logger.error({ err: error, method: req.method, url: req.url }, 'registry request failed');
      if (!res.headersSent) {
        req.resume();
        sendError(req, res, new RegistryError('UNSUPPORTED', 'internal error', 500));
      } else {
        res.destroy();
      }
    });
  };
}
