import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../lib/clock.js';
import type { Logger } from '../lib/logger.js';
import type { Scope } from '../lib/scope.js';
import type { ImagePushedListener } from '../features/images/images.js';
import type { Store } from '../store/store.js';

export interface RegistryDeps {
  store: Store;
  clock: Clock;
  logger: Logger;
  /** Told of every newly stored image (scan on push). */
  onImagePushed?: ImagePushedListener;
}

/** One routed /v2 request: the registry it addresses, the repository and the path's parameters. */
export interface RegistryRequest {
  req: IncomingMessage;
  res: ServerResponse;
  scope: Scope;
  name: string;
  url: URL;
  /** The last path segment: a reference, digest or upload id, by route. */
  param: string;
}

export type RegistryHandler = (deps: RegistryDeps, request: RegistryRequest) => Promise<void>;
