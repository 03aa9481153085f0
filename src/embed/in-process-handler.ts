import { Readable } from 'node:stream';
import type { ApiInvoker } from '../protocol/control-plane.js';

// A request handler for the AWS SDK that hands each request to Berth's API pipeline in this
// process instead of a socket: the SDK still serializes, signs and deserializes exactly as over
// HTTP, so errors come back as its own modeled exception classes.

/** The parts of the SDK's HttpRequest this handler reads. */
interface SdkHttpRequest {
  headers: Record<string, string>;
  body?: unknown;
  hostname?: string;
  port?: number;
}

interface SdkHttpResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: Readable;
}

const header = (headers: Record<string, string>, name: string): string | undefined => {
  const key = Object.keys(headers).find((candidate) => candidate.toLowerCase() === name);
  return key === undefined ? undefined : headers[key];
};

function bodyBytes(body: unknown): Buffer {
  if (body === undefined || body === null) return Buffer.alloc(0);
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError('Berth in-process mode expects the JSON request body as a string or bytes');
}

/** The error the SDK's node:http handler rejects an aborted request with. */
function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  const error = new Error(reason === undefined || reason instanceof Error ? 'Request aborted' : String(reason));
  error.name = 'AbortError';
  if (reason instanceof Error) error.cause = reason;
  return error;
}

export function createInProcessHandler(invoke: ApiInvoker, host: () => string) {
  return {
    metadata: { handlerProtocol: 'berth-in-process' },
    async handle(request: SdkHttpRequest, options: { abortSignal?: AbortSignal } = {}): Promise<{ response: SdkHttpResponse }> {
      if (options.abortSignal?.aborted) throw abortError(options.abortSignal);
      const answer = await invoke({
        target: header(request.headers, 'x-amz-target'),
        body: bodyBytes(request.body),
        authorization: header(request.headers, 'authorization'),
        host: host(),
      });
      // Lower-case names, as node:http hands them to the SDK: its error path reads
      // x-amzn-requestid by exact key, so mixed case would lose $metadata.requestId.
      const headers = Object.fromEntries(Object.entries(answer.headers).map(([name, value]) => [name.toLowerCase(), value]));
      return { response: { statusCode: answer.status, headers, body: Readable.from([Buffer.from(answer.body, 'utf8')]) } };
    },
    updateHttpClientConfig(): void {},
    httpHandlerConfigs: () => ({}),
    destroy(): void {},
  };
}
