/**
 * An error's message for a ScanFailure reason. Duck-typed rather than `instanceof Error`: errors
 * from Node's internals (zlib) can come from another realm, e.g. under jest's module VM.
 */
export function messageOf(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string') {
    return error.message;
  }
  return String(error);
}
