import type { IncomingMessage, ServerResponse } from 'node:http';
import { isClientGone } from '../lib/client-gone.js';
import type { Logger } from '../lib/logger.js';
import { newRequestId } from '../lib/ids.js';
import type { Scope } from '../lib/scope.js';
import { AwsError } from '../model/errors.js';
import type { EcrHandlers, OperationContext } from '../model/handlers.js';
import { operationNames, type OperationName } from '../model/generated/operations.js';
import type { ServiceModel } from '../model/model.js';
import { createInputValidator } from '../model/validate.js';
import { callerFromAuthorization } from './identity.js';
import { createJsonBodyReader, parseJsonBody, type JsonBodyReader, type ParsedBody } from './json-body.js';
import { blobMembersByOperation, declaredLength, readBody, receiveBody } from './request-body.js';
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

/** One API call, transport aside: what the HTTP front door and the in-process mode both pass in. */
export interface ApiRequest {
  /** The X-Amz-Target header. */
  target: string | undefined;
  /** The JSON body as sent, or already read by the HTTP front door (blob members decoded on the way). */
  body: Buffer | ParsedBody;
  /** The Authorization header (SigV4), which names the account and region. */
  authorization: string | undefined;
  host: string | undefined;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Runs one call through the pipeline: route, parse, identify, validate, invoke, serialize. */
export type ApiInvoker = (request: ApiRequest) => Promise<ApiResponse>;

function respond(requestId: string, status: number, body: unknown, errorType?: string): ApiResponse {
  const payload = JSON.stringify(body);
  return {
    status,
    headers: {
      'Content-Type': CONTENT_TYPE,
      'x-amzn-RequestId': requestId,
      ...(errorType ? { 'x-amzn-ErrorType': errorType } : {}),
      'Content-Length': String(Buffer.byteLength(payload)),
    },
    body: payload,
  };
}

const errorResponse = (requestId: string, error: AwsError): ApiResponse =>
  respond(requestId, error.status, { __type: error.type, message: error.message, ...error.fields }, error.type);

export function createApiInvoker(options: Omit<ControlPlaneOptions, 'maxBodyBytes'>): ApiInvoker {
  const { model, handlers, logger } = options;
  const validator = createInputValidator(model);
  const targetPrefix = `${model.metadata.targetPrefix}.`;
  const known = new Set<string>(operationNames);
  const blobMembers = blobMembersByOperation(model);

  return async ({ target, body, authorization, host }) => {
    const requestId = newRequestId();
    try {
      const operation = typeof target === 'string' && target.startsWith(targetPrefix) ? target.slice(targetPrefix.length) : '';
      if (!known.has(operation)) {
        throw new AwsError(
          'UnknownOperationException',
          target ? `Unknown operation ${String(target)}` : 'Missing X-Amz-Target header naming the operation',
        );
      }
      const name = operation as OperationName;
      const parsed = Buffer.isBuffer(body) ? parseJsonBody(body, blobMembers.get(name)) : body;
      if (!parsed.json) throw new AwsError('SerializationException', 'Request body is not valid JSON');
      const checked = validator.validate(name, parsed.value);
      if (!checked.ok) {
        const type = FAILURE_TYPES[checked.failure.kind];
        throw new AwsError(type, checked.failure.message);
      }
      // Decoded on the side, validated as the "" that stands for them.
      Object.assign(checked.input, parsed.blobs);
      const context: OperationContext = { ...callerFromAuthorization(authorization, options.defaultScope()), requestId, host };
      const handler = handlers[name] as (c: OperationContext, i: unknown) => Promise<unknown>;
      const output = await handler(context, checked.input);
      logger.debug({ requestId, operation: name }, 'served');
      return respond(requestId, 200, toWire(output ?? {}));
    } catch (error) {
      if (error instanceof AwsError) {
        logger.debug({ requestId, error: error.type, message: error.message }, 'client error');
        return errorResponse(requestId, error);
      }
      // A fault of ours, never of the client's input: log it whole, answer ServerException.
      logger.error({ requestId, err: error }, 'unexpected failure');
      return errorResponse(requestId, new AwsError('ServerException', 'An internal error occurred', 500));
    }
  };
}

/** A plain node:http handler (no framework on the hot path): POST / of the API. */
export type ControlPlaneHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

function send(res: ServerResponse, response: ApiResponse): void {
  res.writeHead(response.status, response.headers).end(response.body);
}

export function createControlPlane(options: ControlPlaneOptions & { invoke?: ApiInvoker }): ControlPlaneHandler {
  const invoke = options.invoke ?? createApiInvoker(options);
  const { model, logger } = options;
  const targetPrefix = `${model.metadata.targetPrefix}.`;
  const known = new Set<string>(operationNames);
  const blobMembers = blobMembersByOperation(model);

  /** A client that left mid-body: nothing to answer. One that was sending bytes (a layer part) is an aborted upload. */
  function logDeparture(operation: string, reader: JsonBodyReader | undefined): void {
    if (!reader) {
      logger.debug({ operation }, 'client left before the end of the request');
      return;
    }
    // What of the input was read before the cut (the SDK sends layerPartBlob first, so often nothing).
    const members = model.structures[model.operations[operation as OperationName].input]?.members ?? {};
    const input = Object.fromEntries(Object.entries(reader.partial()).filter(([name]) => name in members));
    logger.info({ operation, bytesReceived: reader.received(), input }, 'upload aborted: the client left before the end of the request body');
  }

  return async (req, res) => {
    const target = req.headers['x-amz-target'];
    const operation = typeof target === 'string' && target.startsWith(targetPrefix) ? target.slice(targetPrefix.length) : '';
    let body: Buffer | ParsedBody = Buffer.alloc(0);
    // An unknown target is answered without reading what may be a large body.
    if (known.has(operation)) {
      const limit = options.maxBodyBytes;
      const members = blobMembers.get(operation);
      // A body with blob members is parsed as it streams in, its blobs decoded on the way (json-body.ts).
      const reader = members && createJsonBodyReader(members, declaredLength(req, limit));
      try {
        if (reader) {
          await receiveBody(req, limit, (chunk) => reader.push(chunk));
          body = reader.end();
        } else {
          body = await readBody(req, limit);
        }
      } catch (error) {
        if (isClientGone(error)) {
          logDeparture(operation, reader);
          return;
        }
        if (!(error instanceof AwsError)) throw error;
        send(res, errorResponse(newRequestId(), error));
        return;
      }
    } else {
      req.resume();
    }
    send(res, await invoke({ target: typeof target === 'string' ? target : undefined, body, authorization: req.headers.authorization, host: req.headers.host }));
  };
}
