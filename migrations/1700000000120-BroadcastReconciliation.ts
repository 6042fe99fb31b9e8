import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Broadcasts are hints; PostgreSQL says what changed. Every instance polls two things that
 * writers cannot forget to update, because triggers do it in the writing transaction:
 * - `rule_timeline_revision`: one row, bumped by any statement on what a tap's rules are
 *   selected by (`rule_versions`, `stations`, `lines`, `checkpoint_devices`). Writers serialize
 *   on that row, so revisions follow commit order, and a reload that reads the timeline with
 *   its revision in one snapshot knows exactly how new it is.
 * - `consent_revocations`: every consent a `health_links` row stops holding (an unlink, a
 *   replacement, a rider's deletion), with the id of the transaction that wrote it, so a
 *   reader can tell which rows may still be in flight (`pg_snapshot_xmin`) and read past none.
 */
const TIMELINE_TABLES = ['rule_versions', 'stations', 'lines', 'checkpoint_devices'];

export class BroadcastReconciliation1700000000120 implements MigrationInterface {
  name = 'BroadcastReconciliation1700000000120';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE rule_timeline_revision (
        id smallint PRIMARY KEY CONSTRAINT rule_timeline_revision_one_row CHECK (id = 1),
        revision bigint NOT NULL
      )`);
    await q.query(`INSERT INTO rule_timeline_revision (id, revision) VALUES (1, 1)`);
    await q.query(`
      CREATE FUNCTION bump_rule_timeline_revision() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE rule_timeline_revision SET revision = revision + 1;
        RETURN NULL;
      END $$`);
    for (const t of TIMELINE_TABLES) {
      await q.query(`
        CREATE TRIGGER ${t}_bump_revision AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${t}
        FOR EACH STATEMENT EXECUTE FUNCTION bump_rule_timeline_revision()`);
    }

    await q.query(`
      CREATE TABLE consent_revocations (
        id bigserial PRIMARY KEY,
        consent_id text NOT NULL,
        revoked_at timestamptz NOT NULL DEFAULT now(),
        txid bigint NOT NULL
      )`);
    await q.query(`CREATE INDEX consent_revocations_txid ON consent_revocations (txid)`);
    await q.query(`CREATE INDEX consent_revocations_at ON consent_revocations (revoked_at)`);
    await q.query(`
      CREATE FUNCTION log_consent_revocation() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'DELETE' OR OLD.consent_id IS DISTINCT FROM NEW.consent_id THEN
          -- The writing transaction's id (xid8, as a number): readers compare it with the
          -- oldest transaction still running to know what they may not have seen yet.
          INSERT INTO consent_revocations (consent_id, txid)
          VALUES (OLD.consent_id, pg_current_xact_id()::text::bigint);
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`
      CREATE TRIGGER health_links_log_revocation AFTER DELETE OR UPDATE OF consent_id
      ON health_links FOR EACH ROW EXECUTE FUNCTION log_consent_revocation()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER IF EXISTS health_links_log_revocation ON health_links`);
    await q.query(`DROP FUNCTION IF EXISTS log_consent_revocation()`);
    await q.query(`DROP TABLE IF EXISTS consent_revocations`);
    for (const t of TIMELINE_TABLES)
      await q.query(`DROP TRIGGER IF EXISTS ${t}_bump_revision ON ${t}`);
    await q.query(`DROP FUNCTION IF EXISTS bump_rule_timeline_revision()`);
    await q.query(`DROP TABLE IF EXISTS rule_timeline_revision`);
  }
}
