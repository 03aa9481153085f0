import { ECRClient } from '@aws-sdk/client-ecr';
import { startServer, type RunningServer } from '../../src/app.js';
import { defaultConfig, type Config } from '../../src/config.js';
import { createLogger, type Logger } from '../../src/lib/logger.js';

export interface TestServer extends RunningServer {
  /** An SDK client for this server; `accountId` becomes the access key (so the account). */
  client(options?: { accountId?: string; region?: string }): ECRClient;
}

/** Starts a real Berth on 127.0.0.1, port 0, ephemeral unless a data dir is given; silent unless given a logger. */
export async function startTestServer(overrides: Partial<Config> = {}, logger: Logger = createLogger('silent')): Promise<TestServer> {
  const config = defaultConfig({ port: 0, ephemeral: true, ...overrides });
  const server = await startServer(config, logger);
  return {
    ...server,
    client({ accountId, region } = {}) {
      return new ECRClient({
        endpoint: server.endpoint,
        region: region ?? config.region,
        credentials: { accessKeyId: accountId ?? 'AKIDBERTHTEST', secretAccessKey: 'secret' },
        maxAttempts: 1,
      });
    },
  };
}

/** POSTs a raw AWS JSON 1.1 request; for tests of the wire itself. */
export async function rawCall(
  endpoint: string,
  target: string | undefined,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; json: Record<string, unknown> }> {
  const response = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-amz-json-1.1',
      ...(target === undefined ? {} : { 'X-Amz-Target': target.includes('.') ? target : `AmazonEC2ContainerRegistry_V20150921.${target}` }),
      ...headers,
    },
    body: typeof body === "string" ? body : new Uint8Array(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}
