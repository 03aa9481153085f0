import type { Principal } from '../lib/principal.js';
import type { Scope } from '../lib/scope.js';
import type { OperationName, OperationShapes } from './generated/operations.js';

/** What every operation receives besides its input. */
export interface OperationContext {
  /** The caller's account and region, from its credentials. */
  scope: Scope;
  /** Who is calling: the identity that authorization decides about. */
  principal: Principal;
  requestId: string;
  /** The Host header the request came in on, if any: the default registry host. */
  host?: string;
}

export type OperationHandler<K extends OperationName> = (
  context: OperationContext,
  input: OperationShapes[K]['input'],
) => Promise<OperationShapes[K]['output']>;

/** One handler per ECR operation: a missing one is a compile error. */
export type EcrHandlers = { [K in OperationName]: OperationHandler<K> };
