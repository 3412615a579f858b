import { setTimeout as sleep } from 'node:timers/promises';
import { fromDatabaseOutage } from '@/common/errors/database-errors';

/** The longest a process keeps an outcome in memory waiting for Postgres to come back. */
const KEEP_TRYING_MS = 10 * 60_000;
const FIRST_PAUSE_MS = 200;
const LONGEST_PAUSE_MS = 5_000;

/**
 * Writes the record of something that already happened outside (the upstream accepted a message) and must not be
 * lost or done again: while Postgres is unreachable, the process keeps the outcome and tries again with a growing
 * pause until the write lands (or, after KEEP_TRYING_MS, gives up with the last error). Any other error ends it at
 * once. Without this, a short outage would leave the send looking unsent, and a bulk would send it again.
 */
export async function storeDespiteOutage<T>(write: () => Promise<T>, onOutage?: (err: unknown) => void): Promise<T> {
  const giveUpAt = Date.now() + KEEP_TRYING_MS;
  for (let pause = FIRST_PAUSE_MS; ; pause = Math.min(pause * 2, LONGEST_PAUSE_MS)) {
    try {
      return await write();
    } catch (err) {
      if (!fromDatabaseOutage(err) || Date.now() + pause > giveUpAt) throw err;
      onOutage?.(err);
      await sleep(pause);
    }
  }
}
