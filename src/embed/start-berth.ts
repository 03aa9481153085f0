import { createEngine, startServer, type Engine } from '../app.js';
import { defaultConfig, type Config } from '../config.js';
import { createLogger } from '../lib/logger.js';

/** Every `berth serve` option; startBerth defaults to port 0 and an in-memory store. */
export type BerthOptions = Partial<Config>;

export interface Berth {
  /** http://127.0.0.1:<port>: give it to `new ECRClient({ endpoint })`. */
  readonly endpoint: string;
  /** 127.0.0.1:<port>: the registry for skopeo, podman and docker (plain HTTP). */
  readonly registryHost: string;
  readonly port: number;
  /** The engine behind the server, to share with mockEcr({ berth }). */
  readonly engine: Engine;
  /** Deletes all state (every account and region), as POST /_berth/reset does. */
  reset(): Promise<void>;
  /** Stops listening and closes the store. */
  stop(): Promise<void>;
}

/** Starts a Berth server in this process: one line in a jest/vitest global setup. */
export async function startBerth(options: BerthOptions = {}): Promise<Berth> {
  const config = defaultConfig({ port: 0, ephemeral: options.dataDir === undefined, logLevel: 'warn', ...options });
  const engine = await createEngine(config, createLogger(config.logLevel));
  const server = await startServer(config, undefined, engine);
  const registryHost = new URL(server.endpoint).host;
  let stopping: Promise<void> | undefined;
  return {
    endpoint: server.endpoint,
    registryHost,
    port: server.port,
    engine,
    reset: () => engine.store.clear(),
    stop() {
      stopping ??= server.close().then(() => engine.close());
      return stopping;
    },
  };
}
