import { request, type IncomingHttpHeaders } from 'node:http';

export interface AdminAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  /** The body as JSON; {} when it is not JSON. */
  json: { message?: string } & Record<string, unknown>;
}

/**
 * One request to a server's /_berth endpoints over node:http, which (unlike fetch) lets a test
 * set Host and Origin as a browser or a rebinding page would.
 */
export function adminRequest(
  endpoint: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string } = {},
): Promise<AdminAnswer> {
  const url = new URL(endpoint);
  return new Promise((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method, path, headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const isJson = /^application\/json/.test(res.headers['content-type'] ?? '');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: isJson ? (JSON.parse(text) as AdminAnswer['json']) : {} });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}
