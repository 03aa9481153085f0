import type { AwsError } from '../model/errors.js';

// The OCI distribution error codes, in one table: code -> HTTP status and the spec's
// default message. Feature errors (ECR exceptions) map onto them in fromEcrError.

export const OCI_ERRORS = {
  BLOB_UNKNOWN: { status: 404, message: 'blob unknown to registry' },
  BLOB_UPLOAD_INVALID: { status: 400, message: 'blob upload invalid' },
  BLOB_UPLOAD_UNKNOWN: { status: 404, message: 'blob upload unknown to registry' },
  DIGEST_INVALID: { status: 400, message: 'provided digest did not match uploaded content' },
  MANIFEST_BLOB_UNKNOWN: { status: 400, message: 'manifest references a manifest or blob unknown to registry' },
  MANIFEST_INVALID: { status: 400, message: 'manifest invalid' },
  MANIFEST_UNKNOWN: { status: 404, message: 'manifest unknown to registry' },
  NAME_INVALID: { status: 400, message: 'invalid repository name' },
  NAME_UNKNOWN: { status: 404, message: 'repository name not known to registry' },
  SIZE_INVALID: { status: 400, message: 'provided length did not match content length' },
  TAG_INVALID: { status: 400, message: 'manifest tag did not match URI' },
  UNAUTHORIZED: { status: 401, message: 'authentication required' },
  DENIED: { status: 403, message: 'requested access to the resource is denied' },
  UNSUPPORTED: { status: 405, message: 'the operation is unsupported' },
  RANGE_INVALID: { status: 416, message: 'invalid content range' },
  // Not in the OCI spec's table; CNCF distribution's code for a bad `n` on tags/list.
  PAGINATION_NUMBER_INVALID: { status: 400, message: 'invalid number of results requested' },
  TOOMANYREQUESTS: { status: 429, message: 'too many requests' },
} as const;

export type OciErrorCode = keyof typeof OCI_ERRORS;

export class RegistryError extends Error {
  constructor(
    readonly code: OciErrorCode,
    message: string = OCI_ERRORS[code].message,
    readonly status: number = OCI_ERRORS[code].status,
    readonly headers: Record<string, string> = {},
    readonly detail?: unknown,
  ) {
    super(message);
  }
}

export const registryError = (code: OciErrorCode, message?: string, extra: { status?: number; headers?: Record<string, string>; detail?: unknown } = {}) =>
  new RegistryError(code, message, extra.status, extra.headers, extra.detail);

/** The OCI code an ECR exception raised by the shared features becomes on the data plane. */
const FROM_ECR: Partial<Record<string, OciErrorCode>> = {
  RepositoryNotFoundException: 'NAME_UNKNOWN',
  LayersNotFoundException: 'MANIFEST_BLOB_UNKNOWN',
  ReferencedImagesNotFoundException: 'MANIFEST_BLOB_UNKNOWN',
  ImageTagAlreadyExistsException: 'TAG_INVALID',
  ImageDigestDoesNotMatchException: 'DIGEST_INVALID',
  InvalidParameterException: 'MANIFEST_INVALID',
  ImageNotFoundException: 'MANIFEST_UNKNOWN',
  LimitExceededException: 'TOOMANYREQUESTS',
};

/** ECR keeps its own messages on the data plane ("name unknown: The repository with name ..."). */
export function fromEcrError(error: AwsError): RegistryError | undefined {
  const code = FROM_ECR[error.type];
  return code ? new RegistryError(code, error.message) : undefined;
}

export const errorBody = (error: RegistryError): string =>
  JSON.stringify({ errors: [{ code: error.code, message: error.message, ...(error.detail === undefined ? {} : { detail: error.detail }) }] });
