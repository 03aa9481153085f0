import { AwsError } from '../model/errors.js';
import type { OperationName } from '../model/generated/operations.js';

/**
 * The answer of an operation whose feature Berth has not built yet: HTTP 501 with an error
 * that names the operation, so a caller sees at once what is missing.
 */
export function notBuilt(operation: OperationName, feature: string) {
  return async (): Promise<never> => {
    throw new AwsError(
      'NotImplementedException',
      `${operation} is not implemented by Berth yet (${feature}).`,
      501,
    );
  };
}
