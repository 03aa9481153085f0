// Who may call /_berth/* (all but /_berth/health, which the router answers before this guard;
// layer download URLs are the registry's and never reach it). Three checks, in order:
//   1. Host names Berth (DNS rebinding): 403.
//   2. A state-changing request cannot have come from a web page: no foreign Origin (403), and
//      Content-Type: application/json or an X-Berth-Admin header (415). Browsers send neither
//      cross-site without a CORS preflight, which Berth never grants.
//   3. Under --require-auth or with an admin token: credentials (401).
import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { createHostCheck, type AllowedHostsOptions } from './allowed-hosts.js';

/** The custom header that, like a JSON content type, marks a request no HTML form can send. */
const ADMIN_HEADER = 'x-berth-admin';

export interface AdminGuardOptions extends AllowedHostsOptions {
  requireAuth: boolean;
  adminToken?: string;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * A well-formed SigV4 Authorization header. The signature is not verified: Berth has no secret
 * keys to verify it with while IAM is off (issue 13 adds verification), so for now any caller
 * that signs like an AWS client passes, as on the ECR API itself.
 */
const SIGV4_AUTHORIZATION =
  /^AWS4-HMAC-SHA256 Credential=[^/\s,]+\/\d{8}\/[a-z0-9-]+\/[a-z0-9-]+\/aws4_request,\s*SignedHeaders=[a-z0-9-]+(?:;[a-z0-9-]+)*,\s*Signature=[0-9a-f]{64}$/;
const BEARER = /^Bearer\s+(\S+)\s*$/i;

const digestOf = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Equal-length digests compare in constant time whatever the lengths of the tokens. */
function sameToken(given: string, expected: string): boolean {
  return timingSafeEqual(digestOf(given), digestOf(expected));
}

/** Whether Origin (when sent) is this request's own origin: a same-origin page is Berth's own. */
function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    return new URL(origin).host === new URL(`http://${host}`).host;
  } catch {
    return false; // "null" (sandboxed pages, file://) and anything unparsable
  }
}

const isJson = (contentType: string | undefined): boolean => contentType?.split(';')[0].trim().toLowerCase() === 'application/json';

function refuse(res: Response, status: number, message: string): void {
  res.status(status).json({ message });
}

export function createAdminGuard(options: AdminGuardOptions): RequestHandler {
  const isAllowedHost = createHostCheck(options);
  // An empty token (as `-e BERTH_ADMIN_TOKEN=$UNSET` gives) means none, not one nobody can send.
  const adminToken = options.adminToken === '' ? undefined : options.adminToken;
  const requireCredentials = options.requireAuth || adminToken !== undefined;

  function credentialsProblem(authorization: string | undefined): string | undefined {
    if (authorization === undefined || authorization === '') {
      return 'The admin endpoints need credentials: send Authorization: Bearer <admin token> (--admin-token) or a SigV4-signed request';
    }
    const bearer = BEARER.exec(authorization);
    if (bearer) {
      if (adminToken === undefined) return 'No admin token is configured (--admin-token, BERTH_ADMIN_TOKEN): send a SigV4-signed request';
      return sameToken(bearer[1], adminToken) ? undefined : 'The admin token is not valid';
    }
    if (SIGV4_AUTHORIZATION.test(authorization)) return undefined;
    return 'The Authorization header is neither Bearer <admin token> nor a well-formed AWS4-HMAC-SHA256 signature';
  }

  return (req: Request, res: Response, next: NextFunction) => {
    const host = req.headers.host;
    // Only HTTP/1.0 requests may lack Host, and no browser sends one of those: a rebinding page
    // (the only thing the check is for) always sends the name it used.
    if (host !== undefined && host !== '' && !isAllowedHost(host)) {
      refuse(res, 403, `Host '${host}' is not a name Berth serves the admin endpoints under; start Berth with --allowed-host <name> (or BERTH_ALLOWED_HOSTS) to add it`);
      return;
    }
    if (!SAFE_METHODS.has(req.method)) {
      const origin = req.headers.origin;
      if (origin !== undefined && !isSameOrigin(origin, host)) {
        refuse(res, 403, `Cross-origin requests to the admin endpoints are refused (Origin '${origin}')`);
        return;
      }
      if (!isJson(req.headers['content-type']) && req.headers[ADMIN_HEADER] === undefined) {
        refuse(res, 415, 'Send Content-Type: application/json (the body may be empty) or an X-Berth-Admin: 1 header: admin requests that change state must be ones no web page can send');
        return;
      }
    }
    if (requireCredentials) {
      const problem = credentialsProblem(req.headers.authorization);
      if (problem !== undefined) {
        res.setHeader('WWW-Authenticate', 'Bearer realm="berth-admin"');
        refuse(res, 401, problem);
        return;
      }
    }
    next();
  };
}
