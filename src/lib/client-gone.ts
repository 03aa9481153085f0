/**
 * The error codes Node gives when the other end of a request went away: the socket reset or
 * closed mid-body (ECONNRESET, "aborted"), a stream ended before its end, a write to a closed
 * socket. Not a fault of ours: worth a debug line, never an error with a stack.
 */
const CLIENT_GONE_CODES = new Set(['ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ERR_STREAM_PREMATURE_CLOSE']);

/** Whether `error` says the client left (the one check the API and the registry share). */
export const isClientGone = (error: unknown): boolean => {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && CLIENT_GONE_CODES.has(code);
};

/** An error that isClientGone recognises, for a departure noticed without one (a socket closed early). */
export const clientGone = (message: string): Error => Object.assign(new Error(message), { code: 'ECONNABORTED' });
