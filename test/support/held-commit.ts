import { randomInt } from 'node:crypto';
import { Client } from 'pg';

export interface HeldCommits {
  /** Transactions waiting at COMMIT for the held lock now. */
  waiting(): Promise<number>;
  /** Resolves once `count` transactions wait at COMMIT; rejects after `withinMs`. */
  untilWaiting(count?: number, withinMs?: number): Promise<void>;
  /** Lets the held COMMITs finish. */
  release(): Promise<void>;
  /** Releases, and removes the trigger (once; later calls do nothing). */
  remove(): Promise<void>;
}

/**
 * Holds the COMMIT of every transaction that writes a tap receipt for `gateId`, until release():
 * what a stalled disk or a waiting synchronous standby does, after the transaction's last
 * statement (and any fence in it) has run. statement_timeout does not bound it: PostgreSQL stops
 * that timer before it commits. A deferred constraint trigger (it runs at COMMIT) waits on an
 * advisory lock this helper holds; its lock_timeout is off, so only release() ends the wait.
 * Only that gate's receipts are affected.
 */
export async function holdCommits(url: string, gateId: string): Promise<HeldCommits> {
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(gateId)) throw new Error(`not a gate id: ${gateId}`);
  const key = randomInt(1, 2 ** 31);
  const trigger = `hold_commit_${gateId}`;
  const holder = new Client({ connectionString: url });
  await holder.connect();
  await holder.query('SELECT pg_advisory_lock($1)', [key]);
  await holder.query(`CREATE OR REPLACE FUNCTION test_hold_commit() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM set_config('lock_timeout', '0', true);
      PERFORM pg_advisory_xact_lock_shared(TG_ARGV[0]::bigint);
      RETURN NULL;
    END $$`);
  await holder.query(`CREATE CONSTRAINT TRIGGER "${trigger}" AFTER INSERT ON tap_receipts
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.gate_id = '${gateId}')
    EXECUTE FUNCTION test_hold_commit('${key}')`);
  let released = false;
  let removed = false;
  const release = async () => {
    if (released) return;
    released = true;
    await holder.query('SELECT pg_advisory_unlock($1)', [key]);
  };
  const waiting = async (): Promise<number> => {
    const r = await holder.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_locks
        WHERE locktype = 'advisory' AND NOT granted AND classid = 0 AND objid = $1`,
      [key],
    );
    return r.rows[0].n;
  };
  return {
    waiting,
    async untilWaiting(count = 1, withinMs = 5_000) {
      for (const deadline = Date.now() + withinMs; (await waiting()) < count;) {
        if (Date.now() > deadline)
          throw new Error(`${count} COMMIT(s) not held within ${withinMs} ms`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    release,
    async remove() {
      if (removed) return;
      removed = true;
      await release();
      await holder.query(`DROP TRIGGER IF EXISTS "${trigger}" ON tap_receipts`);
      await holder.end();
    },
  };
}
