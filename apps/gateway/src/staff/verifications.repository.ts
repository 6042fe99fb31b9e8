import { Inject, Injectable } from '@nestjs/common';
import type { Pool } from 'pg';
import { PG_POOL } from '../common/tokens';

/** One evidence check at the desk: what was checked and its verdict, never what it showed. */
export interface Verification {
  id: string;
  at: number;
  stationId: string;
  staffId: string;
  evidence: string;
  /** `pass`, `fail`, or the error code the check ended in (kebab-case). */
  verdict: string;
  policyVersion: string;
  /** Keyed HMAC of an ID number the check read; never the number. */
  personKey: Buffer | null;
  /** The manual registration (check-in) it justified, once one did. */
  registrationCheckIn: string | null;
}

interface Row {
  id: string;
  at: Date;
  station_id: string;
  staff_id: string;
  evidence: string;
  verdict: string;
  policy_version: string;
  person_key: Buffer | null;
  registration_check_in: string | null;
}

const COLUMNS =
  'id, at, station_id, staff_id, evidence, verdict, policy_version, person_key, registration_check_in';

const toVerification = (r: Row): Verification => ({
  id: r.id,
  at: r.at.getTime(),
  stationId: r.station_id,
  staffId: r.staff_id,
  evidence: r.evidence,
  verdict: r.verdict,
  policyVersion: r.policy_version,
  personKey: r.person_key,
  registrationCheckIn: r.registration_check_in,
});

/** The desk's verifications; a row is fixed once written (a trigger refuses changes). */
@Injectable()
export class VerificationsRepository {
  constructor(@Inject(PG_POOL) private readonly pool: Pool) {}

  async record(v: Omit<Verification, 'registrationCheckIn'>): Promise<void> {
    await this.pool.query(
      `INSERT INTO staff_verifications
         (id, at, station_id, staff_id, evidence, verdict, policy_version, person_key)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [
        v.id,
        new Date(v.at),
        v.stationId,
        v.staffId,
        v.evidence,
        v.verdict,
        v.policyVersion,
        v.personKey,
      ],
    );
  }

  async find(id: string): Promise<Verification | null> {
    const r = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM staff_verifications WHERE id = $1`,
      [id],
    );
    return r.rows[0] ? toVerification(r.rows[0]) : null;
  }

  /**
   * Takes a passing verification for one registration: false when another registration took
   * it first (or it is not usable), so two desks cannot register on the same evidence.
   */
  async takeForRegistration(id: string, checkInId: string): Promise<boolean> {
    const r = await this.pool.query(
      `UPDATE staff_verifications SET registration_check_in = $2
       WHERE id = $1 AND verdict = 'pass' AND registration_check_in IS NULL`,
      [id, checkInId],
    );
    return r.rowCount === 1;
  }

  /** The registration it was taken for was not recorded: the verification is usable again. */
  async giveBack(id: string, checkInId: string): Promise<void> {
    await this.pool.query(
      `UPDATE staff_verifications SET registration_check_in = NULL
       WHERE id = $1 AND registration_check_in = $2`,
      [id, checkInId],
    );
  }
}
