// What the benchmark scripts share about running: medians, the result table, stopping a child
// server, and a hard ceiling plus cleanup on every way out.

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

/** Prints rows under a header: the first two columns left-aligned, the figures right-aligned. */
export function printTable(header, rows) {
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((row) => String(row[i]).length)));
  const line = (row) => row.map((value, i) => (i < 2 ? String(value).padEnd(widths[i]) : String(value).padStart(widths[i]))).join(' | ');
  console.log(line(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('-|-'));
  for (const row of rows) console.log(line(row));
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the child has exited. */
export async function stopProcess(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

/**
 * Runs `main` under a hard ceiling, so a hang cannot keep servers (or this process) alive.
 * `cleanup` (synchronous) runs on every exit path: normal end, the ceiling, SIGINT and SIGTERM;
 * `finish` (may be async) runs after `main` settles, before the ceiling is cleared.
 */
export function runBenchmark(main, { ceilingMs, cleanup = () => {}, finish = async () => {} }) {
  const watchdog = setTimeout(() => {
    console.error(`Benchmark exceeded ${ceilingMs / 1000} s; stopping.`);
    process.exit(1);
  }, ceilingMs);
  watchdog.unref();
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping`);
      process.exit(130);
    });
  }
  process.once('exit', cleanup);
  main()
    .catch((error) => {
      console.error(`Benchmark failed: ${error instanceof Error ? error.stack : String(error)}`);
      process.exitCode = 1;
    })
    .finally(async () => {
      await finish();
      clearTimeout(watchdog);
    });
}
