import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The health authority's per-person trace: the indexes that find one person's check-ins (by the
 * keyed hash of their ID number, or by their rider account), and its append-only audit, which
 * keeps whose number was traced only as that keyed hash.
 */
export class CheckinTrace1700000000130 implements MigrationInterface {
  name = 'CheckinTrace1700000000130';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX check_ins_person_time ON check_ins (person_key, checked_in_at)
       WHERE person_key IS NOT NULL`,
    );
    await q.query(
      `CREATE INDEX check_ins_rider_time ON check_ins (rider_id, checked_in_at)
       WHERE rider_id IS NOT NULL`,
    );
    await q.query(`
      CREATE TABLE checkin_trace_audit (
        id bigserial PRIMARY KEY,
        traced_at timestamptz NOT NULL DEFAULT now(),
        actor text NOT NULL,
        actor_role text NOT NULL,
        person_key bytea NOT NULL,
        window_from timestamptz NOT NULL,
        window_to timestamptz NOT NULL,
        row_count integer NOT NULL
      )`);
    await q.query(`
      CREATE FUNCTION checkin_trace_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'checkin_trace_audit is append-only (% refused)', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER checkin_trace_audit_no_change
      BEFORE UPDATE OR DELETE ON checkin_trace_audit
      FOR EACH ROW EXECUTE FUNCTION checkin_trace_audit_append_only()`);
    await q.query(`
      CREATE TRIGGER checkin_trace_audit_no_truncate
      BEFORE TRUNCATE ON checkin_trace_audit
      FOR EACH STATEMENT EXECUTE FUNCTION checkin_trace_audit_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS checkin_trace_audit`);
    await q.query(`DROP FUNCTION IF EXISTS checkin_trace_audit_append_only()`);
    await q.query(`DROP INDEX IF EXISTS check_ins_rider_time`);
    await q.query(`DROP INDEX IF EXISTS check_ins_person_time`);
  }
}
