import type { IncomingMessage, ServerResponse } from 'node:http';
import { isClientGone } from '../lib/client-gone.js';
import type { Scope } from '../lib/scope.js';
import { AwsError } from '../model/errors.js';
import { authenticate, challengeHeader, type AuthOptions } from './auth.js';
import { deleteBlob, getBlob, serveDownload } from './blobs.js';
import { DOWNLOAD_PATH_PREFIX, verifyDownloadToken } from '../features/layers/download-url.js';
import type { RegistryDeps, RegistryHandler } from './context.js';
import { fromEcrError, registryError, RegistryError } from './errors.js';
import { API_VERSION_HEADER, sendError, sendJson } from './http.js';
import { deleteManifest, getManifest, putManifest } from './manifests.js';
import { listReferrers } from './referrers.js';
import { listTags } from './tags.js';
import { blobUploadStatus, cancelBlobUpload, finishBlobUpload, patchBlobUpload, startBlobUpload } from './uploads.js';

// The OCI Distribution v1.1 routes, as data: a path pattern (repository name, then one
// parameter) and a handler per method. Names contain slashes, so each pattern anchors on the
// route's own suffix.
interface Route {
  pattern: RegExp;
  methods: Partial<Record<string, RegistryHandler>>;
}

const ROUTES: Route[] = [
  { pattern: /^\/v2\/(.+)\/tags\/list$/, methods: { GET: listTags } },
  { pattern: /^\/v2\/(.+)\/manifests\/([^/]+)$/, methods: { GET: getManifest, HEAD: getManifest, PUT: putManifest, DELETE: deleteManifest } },
  { pattern: /^\/v2\/(.+)\/blobs\/uploads\/?()$/, methods: { POST: startBlobUpload } },
  {
    pattern: /^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/,
    methods: { GET: blobUploadStatus, PATCH: patchBlobUpload, PUT: finishBlobUpload, DELETE: cancelBlobUpload },
  },
  { pattern: /^\/v2\/(.+)\/blobs\/([^/]+)$/, methods: { GET: getBlob, HEAD: getBlob, DELETE: deleteBlob } },
  { pattern: /^\/v2\/(.+)\/referrers\/([^/]+)$/, methods: { GET: listReferrers } },
];

/** ECR's repository name grammar. */
const REPOSITORY_NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

export interface RegistryOptions extends RegistryDeps {
  requireAuth: boolean;
  defaultScope: () => Scope;
  /** Verifies GetDownloadUrlForLayer's URLs. */
  downloadSecret: Buffer;
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
      if (!auth.ok || !auth.authenticated) {
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
      const handler = route.methods[req.method ?? 'GET'];
      if (!handler) throw registryError('UNSUPPORTED', `${req.method} is not supported on ${path}`);
      await handler(deps, { req, res, scope: auth.scope, name, url, param: decodeSegment(match[2]) });
      return;
    }
    throw registryError('UNSUPPORTED', `no route for ${req.method} ${path}`, { status: 404 });
  }

  return (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((error: unknown) => {
      const known = error instanceof RegistryError ? error : error instanceof AwsError ? fromEcrError(error) : undefined;
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
