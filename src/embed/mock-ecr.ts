import * as sdk from '@aws-sdk/client-ecr';
import { mockClient } from 'aws-sdk-client-mock';
import { createEngine, type Engine } from '../app.js';
import { defaultConfig } from '../config.js';
import { createLogger } from '../lib/logger.js';
import { operationNames } from '../model/generated/operations.js';
import type { Berth, BerthOptions } from './start-berth.js';
import { createInProcessHandler } from './in-process-handler.js';

export interface MockEcrOptions extends BerthOptions {
  /** Share the engine (and so the state) of a running startBerth() server. */
  berth?: Berth;
}

export interface EcrMock {
  /** The engine answering the mocked calls. */
  readonly engine: Engine;
  /** Deletes all state, as POST /_berth/reset does. */
  reset(): Promise<void>;
  /** Puts ECRClient back as it was (and closes the engine unless it was a server's). */
  restore(): Promise<void>;
}

type Command = new (input: never) => unknown;
type Send = (this: sdk.ECRClient, command: unknown, ...optionsAndCallback: unknown[]) => Promise<unknown>;

/** The SDK's command class for each operation of Berth's model: all of them, none listed by hand. */
function commandClasses(): Array<[string, Command]> {
  const exports = sdk as unknown as Record<string, unknown>;
  return operationNames.map((name) => {
    const command = exports[`${name}Command`];
    if (typeof command !== 'function') throw new Error(`@aws-sdk/client-ecr has no ${name}Command`);
    return [name, command as Command];
  });
}

/**
 * Routes every @aws-sdk/client-ecr command, from any ECRClient, to a Berth engine in this
 * process (aws-sdk-client-mock underneath). Each call still goes through the SDK's own
 * serializer, signer and deserializer and through Berth's full API pipeline; only the socket
 * is skipped. The calling client's region and access key choose the account and region, as
 * over HTTP.
 */
export async function mockEcr(options: MockEcrOptions = {}): Promise<EcrMock> {
  const { berth, ...config } = options;
  const engine =
    berth?.engine ??
    (await createEngine(
      defaultConfig({ port: 0, ephemeral: config.dataDir === undefined, registryHost: '{account}.dkr.ecr.{region}.amazonaws.com', ...config }),
      createLogger(config.logLevel ?? 'warn'),
    ));
  const host = () => berth?.registryHost ?? 'berth.in-process';
  const realSend = sdk.ECRClient.prototype.send as unknown as Send;
  const inner = new Map<string, sdk.ECRClient>();

  /** A client like the caller's (region, credentials) whose transport is the engine. */
  async function innerClientFor(caller: sdk.ECRClient): Promise<sdk.ECRClient> {
    const region = await caller.config.region();
    const credentials = await caller.config.credentials();
    const key = `${region}\u0000${credentials.accessKeyId}`;
    let client = inner.get(key);
    if (!client) {
      client = new sdk.ECRClient({
        region,
        credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, sessionToken: credentials.sessionToken },
        endpoint: `http://${host()}`,
        requestHandler: createInProcessHandler(engine.invokeApi, host),
        maxAttempts: 1,
      });
      inner.set(key, client);
    }
    return client;
  }

  const mock = mockClient(sdk.ECRClient);
  // One fake on the stubbed send (rather than one `.on()` per command, which costs ~0.5 ms
  // each): it sees the command itself, so any of the model's operations is answered.
  const known = new Set<unknown>(commandClasses().map(([, command]) => command));
  // The caller's options (abortSignal) and callback go along, as the real send takes them.
  const answer = async function (this: sdk.ECRClient, command: { constructor: unknown }, ...optionsAndCallback: unknown[]): Promise<unknown> {
    if (!known.has(command.constructor)) throw new Error(`Berth's mockEcr does not know ${String((command.constructor as { name?: string }).name)}`);
    const client = await innerClientFor(this);
    return realSend.call(client, command, ...optionsAndCallback);
  };
  mock.send.callsFake(answer as unknown as Parameters<typeof mock.send.callsFake>[0]);

  let restoring: Promise<void> | undefined;
  return {
    engine,
    reset: () => engine.store.clear(),
    restore() {
      restoring ??= (async () => {
        mock.restore();
        for (const client of inner.values()) client.destroy();
        if (!berth) await engine.close();
      })();
      return restoring;
    },
  };
}
