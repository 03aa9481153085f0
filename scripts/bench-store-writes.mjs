// Store write benchmark: what syncing every acknowledged write costs, and whether concurrent
// synced writes are grouped (one log fsync for every write waiting; src/store/group-commit.ts).
// Runs Berth's own store (dist/store/store.js) on a temporary directory, with a plain
// unsynced `level` database on the same disk as the reference:
//
//   npm run bench:store [-- --writes 2000 --concurrency 1,4,16,64]
//
// Each write is one small batch (two puts), like a blob link or a tag move. With grouping,
// synced writes/s grow with the writes in flight; without it they stay at the serial rate
// (one fsync each). The figures depend on the disk and on what else the machine is doing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Level } from 'level';
import { ensureBuilt, positiveInt } from './lib/build.mjs';
import { printTable, runBenchmark } from './lib/run.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    writes: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '1,4,16,64' },
  },
});
const WRITES = positiveInt('writes', args.writes, 1_000_000);
const LEVELS = args.concurrency.split(',').map((value) => positiveInt('concurrency', value, 10_000));
const WORK = mkdtempSync(join(tmpdir(), 'berth-bench-store-'));

/** Runs `write(i)` WRITES times with `inFlight` at once; resolves writes per second. */
async function rate(inFlight, write) {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < WRITES) await write(next++);
    }),
  );
  return WRITES / ((performance.now() - started) / 1000);
}

const record = (i) => ({ size: i, linkedAt: Date.now() });

async function main() {
  ensureBuilt(ROOT);
  const { openStore } = await import(pathToFileURL(join(ROOT, 'dist', 'store', 'store.js')).href);
  console.log(`Store write benchmark: ${WRITES} writes per run, each a batch of two puts, in ${WORK}\n`);

  const rows = [];
  for (const inFlight of LEVELS) {
    const plain = new Level(join(WORK, `plain-${inFlight}`), { valueEncoding: 'json' });
    await plain.open();
    const unsynced = await rate(inFlight, (i) =>
      plain.batch([
        { type: 'put', key: `link/${i}`, value: record(i) },
        { type: 'put', key: `upload/${i}`, value: record(i) },
      ]),
    );
    await plain.close();

    const store = await openStore({ dataDir: join(WORK, `store-${inFlight}`), ephemeral: false });
    const synced = await rate(inFlight, (i) =>
      store.write((batch) => {
        batch.put('blobLinks', `bench/${i}`, record(i));
        batch.put('uploads', `bench/${i}`, { accountId: '0', region: 'r', repositoryName: 'n', startedAt: i });
      }),
    );
    await store.close();
    rows.push([String(inFlight), 'writes/s', Math.round(unsynced), Math.round(synced), `${(synced / unsynced).toFixed(2)}x`]);
    console.log(`  ${inFlight} in flight: unsynced ${Math.round(unsynced)} writes/s, synced (Berth's store) ${Math.round(synced)} writes/s`);
  }
  console.log();
  printTable(['in flight', 'unit', 'unsynced level', 'synced store', 'synced/unsynced'], rows);
  const serial = rows[0][3];
  const widest = rows[rows.length - 1];
  if (LEVELS[0] === 1 && LEVELS.length > 1) {
    console.log(`\nSynced writes with ${widest[0]} in flight: ${(widest[3] / serial).toFixed(1)}x the serial rate (grouping: one fsync per group).`);
  }
}

runBenchmark(main, {
  ceilingMs: 600_000,
  cleanup: () => rmSync(WORK, { recursive: true, force: true }),
});
