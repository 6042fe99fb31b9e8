import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The operator's network: lines as records of their own, checkpoint devices and which of them
 * are digital sentinels (数字哨兵), stations the gates named that the gateway has no record of,
 * and an append-only audit of every change to any of these.
 */
export class NetworkAdministration1700000000080 implements MigrationInterface {
  name = 'NetworkAdministration1700000000080';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE lines (
        id text PRIMARY KEY,
        name_zh text NOT NULL,
        name_en text NOT NULL
      )`);
    // Every line a station already names becomes a record, named as Shanghai names its lines.
    await q.query(`
      INSERT INTO lines (id, name_zh, name_en)
      SELECT DISTINCT l, l || '号线', 'Line ' || l FROM stations, unnest(lines) AS l
      ON CONFLICT DO NOTHING`);
    await q.query(`
      CREATE TABLE checkpoint_devices (
        station_id text NOT NULL REFERENCES stations(id),
        device_id text NOT NULL,
        sentinel boolean NOT NULL,
        updated_by text NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (station_id, device_id)
      )`);
    // Taps at stations with no record: counted so the operator sees them, never silently absorbed.
    await q.query(`
      CREATE TABLE unrecorded_stations (
        station_id text PRIMARY KEY,
        first_seen timestamptz NOT NULL,
        last_seen timestamptz NOT NULL,
        taps bigint NOT NULL
      )`);
    await q.query(`
      CREATE TABLE network_audit (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL,
        actor text NOT NULL,
        actor_role text NOT NULL,
        action text NOT NULL,
        subject text NOT NULL,
        before jsonb,
        after jsonb
      )`);
    await q.query(`
      CREATE FUNCTION network_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'network_audit is append-only (% refused)', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER network_audit_no_change BEFORE UPDATE OR DELETE ON network_audit
      FOR EACH ROW EXECUTE FUNCTION network_audit_append_only()`);
    await q.query(`
      CREATE TRIGGER network_audit_no_truncate BEFORE TRUNCATE ON network_audit
      FOR EACH STATEMENT EXECUTE FUNCTION network_audit_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS network_audit`);
    await q.query(`DROP FUNCTION IF EXISTS network_audit_append_only()`);
    await q.query(`DROP TABLE IF EXISTS unrecorded_stations`);
    await q.query(`DROP TABLE IF EXISTS checkpoint_devices`);
    await q.query(`DROP TABLE IF EXISTS lines`);
  }
}
