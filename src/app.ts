import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import express from 'express';
import { createAdminRouter, createCollector, createLifecycleRunner } from './admin/admin.js';
import type { Config } from './config.js';
import { ownAccountOnly } from './features/access/authorize.js';
import { createHandlers } from './features/index.js';
import { createScanService, type ScanService } from './features/scanning/scan-service.js';
import { isClientGone } from './lib/client-gone.js';
import { createClock, type Clock } from './lib/clock.js';
import { createLogger, type Logger } from './lib/logger.js';
import { requestLog } from './lib/request-log.js';
import type { Scope } from './lib/scope.js';
import { loadModel } from './model/model.js';
import { createApiInvoker, createControlPlane, type ApiInvoker } from './protocol/control-plane.js';
import { createRegistry, isRegistryPath } from './registry/index.js';
import { openStore, type Store } from './store/store.js';
import { VERSION } from './version.js';

/**
 * Everything but the socket: store, clock, the API pipeline and the HTTP surface. A server
 * listens with one; the in-process SDK mode calls `invokeApi` on one directly; both may share it.
 */
export interface Engine {
  readonly config: Config;
  readonly store: Store;
  readonly clock: Clock;
  /** Background image scans: `idle()` resolves once none is queued or running. */
  readonly scans: ScanService;
  /** One ECR API call, without HTTP: the same pipeline POST / runs. */
  readonly invokeApi: ApiInvoker;
  /** The whole HTTP surface (API, registry, admin) as a node:http request handler. */
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void;
  /** Where clients reach the registry when no request says (set once a server listens). */
  setBoundHost(host: () => string): void;
  close(): Promise<void>;
}

export interface RunningServer {
  /** http://host:port of the listening server. */
  endpoint: string;
  port: number;
  store: Store;
  clock: Clock;
  engine: Engine;
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

/** Node fires a timer whose delay exceeds 2^31-1 ms after 1 ms instead: longer intervals wait the longest it allows (about 24.8 days). */
const timerDelay = (ms: number): number => Math.min(ms, 2 ** 31 - 1);

/** Wires every module together. The only place that does. */
export async function createEngine(config: Config, logger: Logger = createLogger(config.logLevel)): Promise<Engine> {
  const store = await openStore({ dataDir: config.dataDir, ephemeral: config.ephemeral });
  const clock = createClock(config.clockOffsetSeconds);
  const downloadSecret = serverSecret(config);
  let boundHost = () => `${config.host}:${config.port}`;
  const defaultScope = () => ({ accountId: config.accountId, region: config.region });

  const scans = createScanService({ store, clock, vulnDbPath: config.vulnDbPath, limits: config.scanLimits, logger });
  const onImagePushed = scans.onImagePushed;
  const handlers = createHandlers({ store, clock, registryHost: registryHostFor(config, () => boundHost()), downloadSecret, scans, onImagePushed });
  const model = loadModel();
  const invokeApi = createApiInvoker({ model, handlers, logger, defaultScope });
  const controlPlane = createControlPlane({ model, handlers, logger, maxBodyBytes: config.maxBodyBytes, defaultScope, invoke: invokeApi });

  const collect = createCollector({ store, clock });
  const lifecycle = createLifecycleRunner({ store, clock });
  const registry = createRegistry({ store, clock, logger, requireAuth: config.requireAuth, downloadSecret, defaultScope, onImagePushed, authorize: ownAccountOnly });
  // Scans a previous process left unfinished are redone.
  await scans.resume();

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  const access = { boundHost: config.host, registryHost: config.registryHost, allowedHosts: config.allowedHosts, requireAuth: config.requireAuth, adminToken: config.adminToken };
  app.use(createAdminRouter({ store, clock, version: VERSION, collect, lifecycle, access }));
  app.use((req, res) => {
    res.status(404).json({ message: `No route for ${req.method} ${req.path}` });
  });

  const timer = setInterval(() => {
    collect().catch((error: unknown) => logger.error({ err: error }, 'garbage collection failed'));
  }, timerDelay(config.gcIntervalMs));
  timer.unref();
  const lifecycleTimer =
    config.lifecycleIntervalMs > 0
      ? setInterval(() => {
          lifecycle().catch((error: unknown) => logger.error({ err: error }, 'lifecycle run failed'));
        }, timerDelay(config.lifecycleIntervalMs))
      : undefined;
  lifecycleTimer?.unref();

  const log = requestLog(logger);
  // POST / (every ECR API call) goes straight to the control plane: Express's routing and
  // response helpers cost more CPU than the call itself. The registry is plain node:http too.
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    log(req, res);
    if (req.method === 'POST' && (req.url === '/' || req.url?.startsWith('/?'))) {
      controlPlane(req, res).catch((error: unknown) => {
        // The control plane answers every error itself; reaching here means the answer broke.
        if (isClientGone(error)) {
          logger.debug({ code: (error as NodeJS.ErrnoException).code }, 'client left before the end of the request');
          res.destroy();
          return;
        }
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

  let closing: Promise<void> | undefined;
  return {
    config,
    store,
    clock,
    scans,
    invokeApi,
    handle,
    setBoundHost(host) {
      boundHost = host;
    },
    close() {
      closing ??= (async () => {
        clearInterval(timer);
        if (lifecycleTimer) clearInterval(lifecycleTimer);
        await scans.close();
        await store.close();
      })();
      return closing;
    },
  };
}

/** Listens with an engine (a new one unless given): the `berth serve` process, and startBerth(). */
export async function startServer(
  config: Config,
  logger: Logger = createLogger(config.logLevel),
  existing?: Engine,
): Promise<RunningServer> {
  const engine = existing ?? (await createEngine(config, logger));
  const server: Server = createServer(engine.handle);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const listenHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const hostAndPort = `${listenHost.includes(':') ? `[${listenHost}]` : listenHost}:${port}`;
  engine.setBoundHost(() => hostAndPort);
  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://${hostAndPort}`,
    port,
    store: engine.store,
    clock: engine.clock,
    engine,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        });
        // An engine passed in belongs to the caller, who closes it.
        if (!existing) await engine.close();
      })();
      return closing;
    },
  };
}
