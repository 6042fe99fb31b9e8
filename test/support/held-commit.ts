import type { Client, Pool } from 'pg';

/**
 * Makes the COMMIT of a transaction that wrote a check-in for one of the chosen taps wait on a
 * lock the test holds, as a synchronous replica or a deferred check would make it wait. A
 * deferred constraint trigger runs at COMMIT, after every statement (so `statement_timeout` and
 * the statement's own `lock_timeout` are over), and takes a shared advisory lock that the test
 * holds exclusively until `release`. Only check-ins whose tap id starts with `tapPrefix` wait.
 *
 *   const held = await HeldCommit.install(pool, 'hc-');
 *   await held.hold(client);      // commits of hc-* taps now wait
 *   ...                           // taps; held.waiting() counts the commits waiting
 *   await held.release(client);   // they go on
 *   await held.uninstall();
 */
export class HeldCommit {
  private constructor(
    private readonly pool: Pool,
    readonly key: number,
  ) {}

  static async install(pool: Pool, tapPrefix: string, key = 714_001): Promise<HeldCommit> {
    if (!/^[A-Za-z0-9_-]+$/.test(tapPrefix)) throw new Error(`bad tap prefix ${tapPrefix}`);
    await pool.query(`
      CREATE OR REPLACE FUNCTION test_held_commit() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.tap_id LIKE '${tapPrefix}%' THEN PERFORM pg_advisory_xact_lock_shared(${key}); END IF;
        RETURN NULL;
      END $$`);
    await pool.query('DROP TRIGGER IF EXISTS test_held_commit ON check_ins');
    await pool.query(`
      CREATE CONSTRAINT TRIGGER test_held_commit AFTER INSERT ON check_ins
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_held_commit()`);
    return new HeldCommit(pool, key);
  }

  /** From now on, matching commits wait; `client` keeps the lock until `release`. */
  async hold(client: Client): Promise<void> {
    await client.query('SELECT pg_advisory_lock($1)', [this.key]);
  }

  async release(client: Client): Promise<void> {
    await client.query('SELECT pg_advisory_unlock($1)', [this.key]);
  }

  /** Transactions waiting for the lock now, i.e. commits being held. */
  async waiting(): Promise<number> {
    const r = await this.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_locks
        WHERE locktype = 'advisory' AND NOT granted AND objid = $1`,
      [this.key],
    );
    return r.rows[0].n;
  }

  async uninstall(): Promise<void> {
    await this.pool.query('DROP TRIGGER IF EXISTS test_held_commit ON check_ins');
    await this.pool.query('DROP FUNCTION IF EXISTS test_held_commit()');
  }
}
