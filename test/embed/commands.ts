import * as sdk from '@aws-sdk/client-ecr';
import type { OperationName } from '../../src/model/generated/operations.js';

type AnyCommand = Parameters<typeof sdk.ECRClient.prototype.send<sdk.ServiceInputTypes, sdk.ServiceOutputTypes>>[0];

/** The SDK's command for an operation named by Berth's model, built from a plain input. */
export function commandFor(operation: OperationName, input: Record<string, unknown>): AnyCommand {
  const Command = (sdk as unknown as Record<string, unknown>)[`${operation}Command`];
  if (typeof Command !== 'function') throw new Error(`@aws-sdk/client-ecr has no ${operation}Command`);
  return new (Command as new (input: Record<string, unknown>) => AnyCommand)(input);
}
