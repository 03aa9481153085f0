// What the benchmark scripts read about a child process from /proc (Linux): its memory.
import { readFileSync } from 'node:fs';

const MiB = 1024 * 1024;

/** A "<field>: N kB" line of /proc/<pid>/status (VmRSS, VmHWM, ...) in MiB. */
export function statusMiB(pid, field) {
  const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no ${field} in /proc/${pid}/status`);
  return (Number(match[1]) * 1024) / MiB;
}

/** Polls VmRSS every `everyMs`; stop() ends the polling and returns the peak seen, in MiB. */
export function watchPeakRss(pid, everyMs) {
  let peak = 0;
  const sample = () => {
    try {
      peak = Math.max(peak, statusMiB(pid, 'VmRSS'));
    } catch {
      // the process has exited
    }
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peak;
    },
  };
}
