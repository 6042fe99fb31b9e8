import type { MigrationInterface, QueryRunner } from 'typeorm';
import { frozenSql } from './frozen-sql';

const ADMIT_TAPS_ARGS = `text[], text[], text[], text[], double precision[], text[], text[], uuid[],
  text[], text[], double precision[], uuid[], text[], text[], bytea[], boolean[], text[],
  double precision[]`;

/**
 * A staff pass is claimed in the transaction that admits the tap it opens (admit_taps), no
 * longer by one statement before the decision and released by another after it: a gateway that
 * dies between the two no longer burns the pass, and a voided admission gives its pass back.
 */
export class PassInAdmission1700000000160 implements MigrationInterface {
  name = 'PassInAdmission1700000000160';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP FUNCTION admit_taps(${ADMIT_TAPS_ARGS}, double precision)`);
    await q.query(frozenSql('1700000000160-admit-taps.sql'));
    await q.query(
      `CREATE INDEX staff_passes_used_tap ON staff_passes (used_tap) WHERE used_tap IS NOT NULL`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX staff_passes_used_tap`);
    await q.query(`DROP FUNCTION admit_taps(${ADMIT_TAPS_ARGS}, text[], text[], double precision)`);
    // The earlier copy replaces void_admissions and the fence's function with their old bodies.
    await q.query(frozenSql('1700000000140-admit-taps.sql'));
  }
}
