/**
 * Group commit for synced writes: while one batch is being written and fsynced, the writes
 * that arrive queue up, and then go to disk together as the next batch, with one fsync for all
 * of them. Each write resolves only once the batch holding it is synced.
 *
 * LevelDB groups concurrent writers itself, but only those inside it at the same moment, and
 * every write waits there on one of libuv's threads (4 by default): at 64 writes in flight it
 * made groups of about two, while those threads were kept from the file reads and writes of
 * blob traffic. Here at most one thread waits on a sync, however many requests do.
 *
 * A group is applied in arrival order, so a later write to a key wins as it would one by one.
 * If a group's batch fails, its writes are retried one by one, so one bad write fails alone.
 */
export function createGroupCommit<Op>(writeBatch: (ops: Op[]) => Promise<void>): (ops: Op[]) => Promise<void> {
  interface Waiting {
    ops: Op[];
    resolve: () => void;
    reject: (error: unknown) => void;
  }
  let queue: Waiting[] = [];
  let writing = false;

  async function writeAlone(write: Waiting): Promise<void> {
    try {
      await writeBatch(write.ops);
      write.resolve();
    } catch (error) {
      write.reject(error);
    }
  }

  async function drain(): Promise<void> {
    writing = true;
    while (queue.length) {
      const group = queue;
      queue = [];
      if (group.length === 1) {
        await writeAlone(group[0]);
        continue;
      }
      try {
        await writeBatch(group.flatMap((write) => write.ops));
        for (const write of group) write.resolve();
      } catch {
        for (const write of group) await writeAlone(write);
      }
    }
    writing = false;
  }

  return (ops) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ ops, resolve, reject });
      if (!writing) void drain();
    });
}
