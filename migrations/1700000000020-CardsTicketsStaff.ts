import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Transit cards, 保通卡, day tickets, checkpoint clearances, staff passes and the staff audit.
 * No column holds a health value or a clear ID number.
 */
export class CardsTicketsStaff1700000000020 implements MigrationInterface {
  name = 'CardsTicketsStaff1700000000020';

  async up(q: QueryRunner): Promise<void> {
    // A row exists once a card is linked or blocked; one card, one rider.
    await q.query(`
      CREATE TABLE transit_cards (
        card_no text PRIMARY KEY,
        rider_id uuid REFERENCES riders(id) ON DELETE SET NULL,
        linked_at timestamptz,
        blocked_at timestamptz,
        blocked_reason text
      )`);
    await q.query(`CREATE INDEX transit_cards_rider ON transit_cards (rider_id)`);
    await q.query(`
      CREATE TABLE guarantee_cards (
        card_no text PRIMARY KEY,
        holder_name text NOT NULL,
        valid_from timestamptz NOT NULL,
        valid_until timestamptz NOT NULL,
        updated_by text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (valid_until > valid_from)
      )`);
    await q.query(`
      CREATE TABLE tickets (
        ticket_no text PRIMARY KEY,
        kind text NOT NULL CHECK (kind IN ('day', 'three-day')),
        rider_id uuid NOT NULL REFERENCES riders(id) ON DELETE CASCADE,
        valid_from timestamptz NOT NULL,
        valid_until timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // One row per passing checkpoint scan; the scan's own (station, device, tapId) keeps retries single.
    await q.query(`
      CREATE TABLE checkpoint_clearances (
        station_id text NOT NULL,
        device_id text NOT NULL,
        tap_id text NOT NULL,
        rider_id uuid NOT NULL,
        cleared_at timestamptz NOT NULL,
        PRIMARY KEY (station_id, device_id, tap_id)
      )`);
    await q.query(
      `CREATE INDEX checkpoint_clearances_rider ON checkpoint_clearances (rider_id, station_id, cleared_at DESC)`,
    );
    await q.query(`CREATE INDEX checkpoint_clearances_time ON checkpoint_clearances (cleared_at)`);
    await q.query(`
      CREATE TABLE staff_passes (
        id uuid PRIMARY KEY,
        station_id text NOT NULL,
        bound_kind text NOT NULL CHECK (bound_kind IN ('medium', 'gate')),
        bound_to text NOT NULL,
        expires_at timestamptz NOT NULL,
        issued_by text NOT NULL,
        issued_at timestamptz NOT NULL,
        used_at timestamptz,
        used_tap text
      )`);
    await q.query(
      `CREATE INDEX staff_passes_open ON staff_passes (station_id, bound_to, expires_at) WHERE used_at IS NULL`,
    );
    // Venue check-ins of people without a rider account (ID card, relative's code, desk): keyed HMAC.
    await q.query(`ALTER TABLE check_ins ADD COLUMN person_key bytea`);
    await q.query(`
      CREATE TABLE staff_audit (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL,
        staff_id text NOT NULL,
        station_id text NOT NULL,
        act text NOT NULL,
        evidence text,
        outcome text NOT NULL,
        ref text
      )`);
    await q.query(`CREATE INDEX staff_audit_station_time ON staff_audit (station_id, at)`);
    await q.query(`
      CREATE FUNCTION staff_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'staff_audit is append-only (% refused)', TG_OP USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER staff_audit_no_change BEFORE UPDATE OR DELETE ON staff_audit
      FOR EACH ROW EXECUTE FUNCTION staff_audit_append_only()`);
    await q.query(`
      CREATE TRIGGER staff_audit_no_truncate BEFORE TRUNCATE ON staff_audit
      FOR EACH STATEMENT EXECUTE FUNCTION staff_audit_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS staff_audit`);
    await q.query(`DROP FUNCTION IF EXISTS staff_audit_append_only()`);
    await q.query(`ALTER TABLE check_ins DROP COLUMN IF EXISTS person_key`);
    for (const t of [
      'staff_passes',
      'checkpoint_clearances',
      'tickets',
      'guarantee_cards',
      'transit_cards',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
  }
}
