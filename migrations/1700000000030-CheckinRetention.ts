import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Trace-export audit: append-only, enforced by the database so that not even the gateway's
 * own credentials can rewrite who exported what. Plus the index the export pages by.
 */
export class CheckinRetention1700000000030 implements MigrationInterface {
  name = 'CheckinRetention1700000000030';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE checkin_export_audit (
        id bigserial PRIMARY KEY,
        exported_at timestamptz NOT NULL DEFAULT now(),
        actor text NOT NULL,
        actor_role text NOT NULL,
        station_ids text[] NOT NULL,
        window_from timestamptz NOT NULL,
        window_to timestamptz NOT NULL,
        format text NOT NULL,
        page_cursor text,
        row_count integer NOT NULL
      )`);
    await q.query(`
      CREATE FUNCTION checkin_export_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'checkin_export_audit is append-only (% refused)', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER checkin_export_audit_no_change
      BEFORE UPDATE OR DELETE ON checkin_export_audit
      FOR EACH ROW EXECUTE FUNCTION checkin_export_audit_append_only()`);
    await q.query(`
      CREATE TRIGGER checkin_export_audit_no_truncate
      BEFORE TRUNCATE ON checkin_export_audit
      FOR EACH STATEMENT EXECUTE FUNCTION checkin_export_audit_append_only()`);
    // Keyset order of the export: (checked_in_at, id) within the chosen stations.
    await q.query(
      `CREATE INDEX check_ins_station_time_id ON check_ins (station_id, checked_in_at, id)`,
    );
    await q.query(`DROP INDEX IF EXISTS check_ins_station_time`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX check_ins_station_time ON check_ins (station_id, checked_in_at)`);
    await q.query(`DROP INDEX IF EXISTS check_ins_station_time_id`);
    await q.query(`DROP TABLE IF EXISTS checkin_export_audit`);
    await q.query(`DROP FUNCTION IF EXISTS checkin_export_audit_append_only()`);
  }
}
