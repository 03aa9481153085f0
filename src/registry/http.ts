import type { IncomingMessage, ServerResponse } from 'node:http';
import { errorBody, registryError, RegistryError } from './errors.js';

export const API_VERSION_HEADER = { 'Docker-Distribution-API-Version': 'registry/2.0' } as const;

/** Answers with no body (HEAD, 201/202/204 responses). */
export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string | number> = {}): void {
  res.writeHead(status, { ...API_VERSION_HEADER, 'Content-Length': 0, ...headers }).end();
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | number> = {}): void {
  const text = JSON.stringify(body);
  res
    .writeHead(status, {
      ...API_VERSION_HEADER,
      'Content-Type': 'application/json',
      'Content-Length': Buffer.byteLength(text),
      ...headers,
    })
    .end(text);
}

export function sendError(req: IncomingMessage, res: ServerResponse, error: RegistryError): void {
  const body = errorBody(error);
  res.writeHead(error.status, {
    ...API_VERSION_HEADER,
    'Content-Type': 'application/json',
    'Content-Length': Buffer.byteLength(body),
    ...error.headers,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Reads a request body of at most `limit` bytes; a longer one is refused with 413. */
export async function readBody(req: IncomingMessage, limit: number, tooLarge: () => RegistryError): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** A single byte range of `bytes=a-b`, `bytes=a-` or `bytes=-n` over a blob of `size` bytes. */
export function parseRange(header: string, size: number): { start: number; end: number } | 'unsatisfiable' | undefined {
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined; // not a form we serve: whole blob
  if (match[1] === '') {
    const suffix = Number(match[2]);
    if (suffix === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(match[1]);
  const end = match[2] === '' ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

/** OCI's `Content-Range: <start>-<end>` on PATCH (also accepting a `bytes ` or `bytes=` prefix). */
export function parseContentRange(header: string): { start: number; end: number } | undefined {
  const match = /^(?:bytes[ =])?(\d+)-(\d+)(?:\/(?:\d+|\*))?$/.exec(header.trim());
  if (!match) return undefined;
  const start = Number(match[1]);
  const end = Number(match[2]);
  return end >= start ? { start, end } : undefined;
}

export const badRequest = (message: string) => registryError('BLOB_UPLOAD_INVALID', message);
