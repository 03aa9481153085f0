import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../lib/logger.js';
import { newRequestId } from '../lib/ids.js';
import type { Scope } from '../lib/scope.js';
import { AwsError } from '../model/errors.js';
import type { EcrHandlers, OperationContext } from '../model/handlers.js';
import { operationNames, type OperationName } from '../model/generated/operations.js';
import type { ServiceModel } from '../model/model.js';
import { createInputValidator } from '../model/validate.js';
import { scopeFromAuthorization } from './identity.js';
import { toWire } from './serialize.js';

/**
 * The AWS JSON 1.1 front door: POST / with X-Amz-Target. Knows the protocol and the model,
 * nothing of ECR's features: it routes to the handler table it is given.
 *
 *   route -> read body -> parse -> identify -> validate -> invoke -> serialize
 */
export interface ControlPlaneOptions {
  model: ServiceModel;
  handlers: EcrHandlers;
  defaultScope: () => Scope;
  logger: Logger;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
}

const CONTENT_TYPE = 'application/x-amz-json-1.1';

const FAILURE_TYPES = {
  serialization: 'SerializationException',
  validation: 'ValidationException',
  'invalid-parameter': 'InvalidParameterException',
} as const;

function send(res: ServerResponse, requestId: string, status: number, body: unknown, errorType?: string): void {
  const payload = JSON.stringify(body);
  res.statusCode = status;
  res.setHeader('Content-Type', CONTENT_TYPE);
  res.setHeader('x-amzn-RequestId', requestId);
  if (errorType) res.setHeader('x-amzn-ErrorType', errorType);
  res.setHeader('Content-Length', Buffer.byteLength(payload));
  res.end(payload);
}

function sendError(res: ServerResponse, requestId: string, error: AwsError): void {
  send(res, requestId, error.status, { __type: error.type, message: error.message, ...error.fields }, error.type);
}

/** Reads the whole body, or rejects with a 413 AwsError once it passes the limit. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    const tooLarge = () =>
      new AwsError('RequestEntityTooLargeException', `Request body exceeds the limit of ${limit} bytes`, 413);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(tooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks, size)));
    req.on('error', reject);
  });
}

/** A plain node:http handler (no framework on the hot path): POST / of the API. */
export type ControlPlaneHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export function createControlPlane(options: ControlPlaneOptions): ControlPlaneHandler {
  const { model, handlers, logger, maxBodyBytes } = options;
  const validator = createInputValidator(model);
  const targetPrefix = `${model.metadata.targetPrefix}.`;
  const known = new Set<string>(operationNames);

  return async (req, res) => {
    const requestId = newRequestId();
    try {
      const target = req.headers['x-amz-target'];
      const operation = typeof target === 'string' && target.startsWith(targetPrefix) ? target.slice(targetPrefix.length) : '';
      if (!known.has(operation)) {
        req.resume();
        throw new AwsError(
          'UnknownOperationException',
          target ? `Unknown operation ${String(target)}` : 'Missing X-Amz-Target header naming the operation',
        );
      }
      const name = operation as OperationName;
      const body = await readBody(req, maxBodyBytes);
      let parsed: unknown = {};
      if (body.length) {
        try {
          parsed = JSON.parse(body.toString('utf8'));
        } catch {
          throw new AwsError('SerializationException', 'Request body is not valid JSON');
        }
      }
      const checked = validator.validate(name, parsed);
      if (!checked.ok) {
        const type = FAILURE_TYPES[checked.failure.kind];
        throw new AwsError(type, checked.failure.message);
      }
      const context: OperationContext = {
        scope: scopeFromAuthorization(req.headers.authorization, options.defaultScope()),
        requestId,
        host: req.headers.host,
      };
      const handler = handlers[name] as (c: OperationContext, i: unknown) => Promise<unknown>;
      const output = await handler(context, checked.input);
      send(res, requestId, 200, toWire(output ?? {}));
      logger.debug({ requestId, operation: name }, 'served');
    } catch (error) {
      if (error instanceof AwsError) {
        logger.debug({ requestId, error: error.type, message: error.message }, 'client error');
        sendError(res, requestId, error);
      } else {
        // A fault of ours, never of the client's input: log it whole, answer ServerException.
        logger.error({ requestId, err: error }, 'unexpected failure');
        sendError(res, requestId, new AwsError('ServerException', 'An internal error occurred', 500));
      }
    }
  };
}
