import type { MigrationInterface, QueryRunner } from 'typeorm';
import { AdmitTapsLean1700000000050 } from './1700000000050-AdmitTapsLean';
import { AdmitTapsIndexOnly1700000000060 } from './1700000000060-AdmitTapsIndexOnly';
import { frozenSql } from './frozen-sql';

/**
 * admit_taps from one SQL source file (this migration applies its frozen copy), leaner and
 * fenced: a tap's receipt carries its deadline and cannot commit past it; a commit that still
 * lands after its tap was answered is voided (void_admissions), never left as an orphan.
 * Receipts carry their request's fingerprint. Arrays instead of a JSON document; each receipt is
 * created with its result; no final re-join.
 */
export class AdmissionFence1700000000140 implements MigrationInterface {
  name = 'AdmissionFence1700000000140';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `ALTER TABLE tap_receipts ADD COLUMN fingerprint text, ADD COLUMN deadline timestamptz`,
    );
    await q.query(
      `ALTER TABLE check_ins ADD COLUMN voided_at timestamptz, ADD COLUMN void_reason text`,
    );
    await q.query(`
      CREATE TYPE admit_item AS (
        ord int, station_id text, device text, gate_id text, tap_id text, at timestamptz,
        mode text, traveller text, rider_id uuid, medium text, jti text, jti_expires_at timestamptz,
        check_in_id uuid, policy_version text, policy_hash text, person_key bytea,
        venue_only boolean, fingerprint text, deadline timestamptz
      )`);
    await q.query(`DROP FUNCTION admit_taps(jsonb, double precision)`);
    await q.query(frozenSql('1700000000140-admit-taps.sql'));
    await q.query(`
      CREATE CONSTRAINT TRIGGER zz_tap_receipts_deadline_fence AFTER INSERT ON tap_receipts
        DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.deadline IS NOT NULL)
        EXECUTE FUNCTION tap_receipt_deadline_fence()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER zz_tap_receipts_deadline_fence ON tap_receipts`);
    await q.query(`DROP FUNCTION tap_receipt_deadline_fence()`);
    await q.query(
      `DROP FUNCTION void_admissions(text[], text[], text[], double precision[], text[], text[], text[], uuid[], boolean[], text)`,
    );
    await q.query(
      `DROP FUNCTION admit_taps(text[], text[], text[], text[], double precision[], text[], text[], uuid[], text[], text[], double precision[], uuid[], text[], text[], bytea[], boolean[], text[], double precision[], double precision)`,
    );
    await q.query(`DROP TYPE admit_item`);
    await new AdmitTapsLean1700000000050().up(q);
    await new AdmitTapsIndexOnly1700000000060().up(q);
    await q.query(`ALTER TABLE check_ins DROP COLUMN voided_at, DROP COLUMN void_reason`);
    await q.query(`ALTER TABLE tap_receipts DROP COLUMN fingerprint, DROP COLUMN deadline`);
  }
}
