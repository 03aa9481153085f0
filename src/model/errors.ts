import type { ErrorName } from './generated/operations.js';

/** Errors the JSON protocol itself raises, outside the ECR model's error shapes. */
export type ProtocolErrorName =
  | 'SerializationException'
  | 'UnknownOperationException'
  | 'RequestEntityTooLargeException'
  | 'NotImplementedException'
  | 'InternalFailure';

/**
 * An error answered to the client in AWS's shape. `type` becomes `__type` and
 * `x-amzn-ErrorType`; `fields` are extra members of the error shape.
 */
export class AwsError extends Error {
  constructor(
    readonly type: ErrorName | ProtocolErrorName,
    message: string,
    readonly status = 400,
    readonly fields: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = type;
  }
}

/** Shorthand for a modeled ECR client error. */
export const ecrError = (type: ErrorName, message: string, fields?: Record<string, unknown>): AwsError =>
  new AwsError(type, message, 400, fields);
