import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import express from 'express';
import { createAdminRouter, createCollector } from './admin/admin.js';
import type { Config } from './config.js';
import { createHandlers } from './features/index.js';
import { createClock, type Clock } from './lib/clock.js';
import { createLogger, type Logger } from './lib/logger.js';
import { requestLog } from './lib/request-log.js';
import type { Scope } from './lib/scope.js';
import { loadModel } from './model/model.js';
import { createControlPlane } from './protocol/control-plane.js';
import { createRegistry, isRegistryPath } from './registry/index.js';
import { openStore, type Store } from './store/store.js';
import { VERSION } from './version.js';

export interface RunningServer {
  /** http://host:port of the listening server. */
  endpoint: string;
  port: number;
  store: Store;
  clock: Clock;
  close(): Promise<void>;
}

/** The registry host for a scope: the --registry-host template, else the Host the client used. */
export function registryHostFor(config: Config, boundHost: () => string) {
  return (scope: Scope, requestHost?: string): string => {
    if (config.registryHost) {
      return config.registryHost.replaceAll('{account}', scope.accountId).replaceAll('{region}', scope.region);
    }
    return requestHost ?? boundHost();
  };
}

/** Wires every module together. The only place that does. */
export function createApp(config: Config, store: Store, clock: Clock, logger: Logger, boundHost: () => string, downloadSecret: Buffer, onClose: Array<() => void> = []) {
  const handlers = createHandlers({ store, clock, registryHost: registryHostFor(config, boundHost), downloadSecret });
  const controlPlane = createControlPlane({
    model: loadModel(),
    handlers,
    logger,
    maxBodyBytes: config.maxBodyBytes,
    defaultScope: () => ({ accountId: config.accountId, region: config.region }),
  });

  const collect = createCollector({ store, clock });
  const registry = createRegistry({
    store,
    clock,
    logger,
    requireAuth: config.requireAuth,
    downloadSecret,
    defaultScope: () => ({ accountId: config.accountId, region: config.region }),
  });

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.use(createAdminRouter({ store, version: VERSION, collect }));
  app.use((req, res) => {
    res.status(404).json({ message: `No route for ${req.method} ${req.path}` });
  });

  const log = requestLog(logger);
  const timer = setInterval(() => {
    collect().catch((error: unknown) => logger.error({ err: error }, 'garbage collection failed'));
  }, config.gcIntervalMs);
  timer.unref();
  onClose.push(() => clearInterval(timer));
  // POST / (every ECR API call) goes straight to the control plane: Express's routing and
  // response helpers cost more CPU than the call itself. Everything else goes through Express.
  return (req: IncomingMessage, res: ServerResponse): void => {
    log(req, res);
    if (req.method === 'POST' && (req.url === '/' || req.url?.startsWith('/?'))) {
      controlPlane(req, res).catch((error: unknown) => {
        // The control plane answers every error itself; reaching here means the answer broke.
        logger.error({ err: error }, 'control plane failed to answer');
        if (!res.headersSent) res.writeHead(500).end();
        else res.destroy();
      });
    } else if (isRegistryPath(req.url)) {
      registry(req, res);
    } else {
      app(req, res);
    }
  };
}

/**
 * The secret that signs layer download URLs: kept in the data directory so URLs handed out
 * survive a restart; random per process when ephemeral.
 */
function serverSecret(config: Config): Buffer {
  if (config.ephemeral) return randomBytes(32);
  const path = join(config.dataDir, 'download-url.key');
  try {
    const existing = readFileSync(path);
    if (existing.length === 32) return existing;
  } catch {
    // none yet
  }
  const secret = randomBytes(32);
  mkdirSync(config.dataDir, { recursive: true });
  writeFileSync(path, secret, { mode: 0o600 });
  return secret;
}

export async function startServer(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<RunningServer> {
  const store = await openStore({ dataDir: config.dataDir, ephemeral: config.ephemeral });
  const clock = createClock();
  const onClose: Array<() => void> = [];
  let server: Server | undefined;
  const boundHost = () => {
    const address = server?.address() as AddressInfo | null | undefined;
    const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
    return `${host.includes(':') ? `[${host}]` : host}:${address?.port ?? config.port}`;
  };
  const app = createApp(config, store, clock, logger, boundHost, serverSecret(config), onClose);
  server = createServer(app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server!.once('error', reject);
    server!.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://${boundHost()}`,
    port,
    store,
    clock,
    close() {
      closing ??= (async () => {
        for (const stop of onClose) stop();
        await new Promise<void>((resolve) => {
          server!.close(() => resolve());
          server!.closeAllConnections();
        });
        await store.close();
      })();
      return closing;
    },
  };
}
