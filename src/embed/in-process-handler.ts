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

export function createInProcessHandler(invoke: ApiInvoker, host: () => string) {
  return {
    metadata: { handlerProtocol: 'berth-in-process' },
    async handle(request: SdkHttpRequest): Promise<{ response: SdkHttpResponse }> {
      const answer = await invoke({
        target: header(request.headers, 'x-amz-target'),
        body: bodyBytes(request.body),
        authorization: header(request.headers, 'authorization'),
        host: host(),
      });
      return { response: { statusCode: answer.status, headers: answer.headers, body: Readable.from([Buffer.from(answer.body, 'utf8')]) } };
    },
    updateHttpClientConfig(): void {},
    httpHandlerConfigs: () => ({}),
    destroy(): void {},
  };
}
