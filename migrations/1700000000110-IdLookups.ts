import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every health status read by ID number: a staff member's desk lookup or a digital sentinel's
 * ID-card scan. Who (or which device), where, when, what came of it, and whose number as the
 * keyed hash (ID_HASH_KEY), never the number: an oversight trail of the lookups that could be
 * used as an oracle. Append-only, like the staff audit.
 */
export class IdLookups1700000000110 implements MigrationInterface {
  name = 'IdLookups1700000000110';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE id_lookups (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL,
        station_id text NOT NULL,
        actor_kind text NOT NULL CHECK (actor_kind IN ('staff', 'device')),
        actor_id text NOT NULL,
        person_key bytea NOT NULL,
        outcome text NOT NULL
      )`);
    await q.query(`CREATE INDEX id_lookups_person ON id_lookups (person_key, at)`);
    await q.query(`CREATE INDEX id_lookups_actor ON id_lookups (actor_kind, actor_id, at)`);
    await q.query(`
      CREATE FUNCTION id_lookups_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'id_lookups is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER id_lookups_no_change BEFORE UPDATE OR DELETE ON id_lookups
      FOR EACH ROW EXECUTE FUNCTION id_lookups_append_only()`);
    await q.query(`
      CREATE TRIGGER id_lookups_no_truncate BEFORE TRUNCATE ON id_lookups
      FOR EACH STATEMENT EXECUTE FUNCTION id_lookups_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS id_lookups`);
    await q.query(`DROP FUNCTION IF EXISTS id_lookups_append_only()`);
  }
}
