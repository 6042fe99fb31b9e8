import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every evidence check the staff desk performs gets an id and a row: what was checked and its
 * verdict, never a health value or a clear ID number. A manual registration and every one-time
 * pass name the verification that justified them; passes may now also be bound to a rider.
 */
export class StaffVerifications1700000000070 implements MigrationInterface {
  name = 'StaffVerifications1700000000070';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE staff_verifications (
        id uuid PRIMARY KEY,
        at timestamptz NOT NULL,
        station_id text NOT NULL,
        staff_id text NOT NULL,
        evidence text NOT NULL,
        verdict text NOT NULL,
        policy_version text NOT NULL,
        person_key bytea,
        registration_check_in uuid
      )`);
    await q.query(`CREATE INDEX staff_verifications_at ON staff_verifications (at)`);
    await q.query(
      `CREATE INDEX staff_verifications_person ON staff_verifications (person_key)
       WHERE person_key IS NOT NULL`,
    );
    // What a check found is fixed once recorded; only the registration it justifies is set later.
    await q.query(`
      CREATE FUNCTION staff_verifications_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF (NEW.id, NEW.at, NEW.station_id, NEW.staff_id, NEW.evidence, NEW.verdict,
            NEW.policy_version, NEW.person_key)
           IS DISTINCT FROM
           (OLD.id, OLD.at, OLD.station_id, OLD.staff_id, OLD.evidence, OLD.verdict,
            OLD.policy_version, OLD.person_key) THEN
          RAISE EXCEPTION 'a staff verification is fixed once recorded'
            USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER staff_verifications_fixed BEFORE UPDATE ON staff_verifications
      FOR EACH ROW EXECUTE FUNCTION staff_verifications_fixed()`);

    await q.query(
      `ALTER TABLE staff_passes ADD COLUMN verification_id uuid REFERENCES staff_verifications(id)`,
    );
    // Passes issued before verifications existed keep their null; every new one names one.
    await q.query(
      `ALTER TABLE staff_passes ADD CONSTRAINT staff_passes_name_a_verification
       CHECK (verification_id IS NOT NULL) NOT VALID`,
    );
    await q.query(
      `CREATE UNIQUE INDEX staff_passes_one_per_verification ON staff_passes (verification_id)`,
    );
    await q.query(`ALTER TABLE staff_passes DROP CONSTRAINT staff_passes_bound_kind_check`);
    await q.query(
      `ALTER TABLE staff_passes ADD CONSTRAINT staff_passes_bound_kind_check
       CHECK (bound_kind IN ('medium', 'gate', 'rider'))`,
    );
    await q.query(`CREATE INDEX staff_passes_issued ON staff_passes (issued_at)`);

    await q.query(`ALTER TABLE staff_audit ADD COLUMN verification_id uuid`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE staff_audit DROP COLUMN IF EXISTS verification_id`);
    await q.query(`DROP INDEX IF EXISTS staff_passes_issued`);
    await q.query(`DELETE FROM staff_passes WHERE bound_kind = 'rider'`);
    await q.query(`ALTER TABLE staff_passes DROP CONSTRAINT staff_passes_bound_kind_check`);
    await q.query(
      `ALTER TABLE staff_passes ADD CONSTRAINT staff_passes_bound_kind_check
       CHECK (bound_kind IN ('medium', 'gate'))`,
    );
    await q.query(`DROP INDEX IF EXISTS staff_passes_one_per_verification`);
    await q.query(
      `ALTER TABLE staff_passes DROP CONSTRAINT IF EXISTS staff_passes_name_a_verification`,
    );
    await q.query(`ALTER TABLE staff_passes DROP COLUMN IF EXISTS verification_id`);
    await q.query(`DROP TABLE IF EXISTS staff_verifications`);
    await q.query(`DROP FUNCTION IF EXISTS staff_verifications_fixed()`);
  }
}
