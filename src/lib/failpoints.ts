/**
 * Crash points for the kill -9 tests. `failpoint(name)` kills the process with SIGKILL (no
 * exit handlers, no flushes: a crash as a power cut would leave it, short of losing what the
 * kernel holds) when the environment variable BERTH_FAILPOINT names it, and does nothing
 * otherwise. The variable is read once, so an unset failpoint costs one string comparison.
 */
const armed = process.env.BERTH_FAILPOINT;

export function failpoint(name: string): void {
  if (armed === name) process.kill(process.pid, 'SIGKILL');
}
