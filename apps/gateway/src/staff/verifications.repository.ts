import { Injectable } from '@nestjs/common';
import { DataSource, IsNull, type Repository } from 'typeorm';
import { StaffVerificationEntity } from '@app/persistence';

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

const toVerification = (r: StaffVerificationEntity): Verification => ({
  id: r.id,
  at: r.at.getTime(),
  stationId: r.stationId,
  staffId: r.staffId,
  evidence: r.evidence,
  verdict: r.verdict,
  policyVersion: r.policyVersion,
  personKey: r.personKey,
  registrationCheckIn: r.registrationCheckIn,
});

/** The desk's verifications; a row is fixed once written (a trigger refuses changes). */
@Injectable()
export class VerificationsRepository {
  private readonly verifications: Repository<StaffVerificationEntity>;

  constructor(ds: DataSource) {
    this.verifications = ds.getRepository(StaffVerificationEntity);
  }

  async record(v: Omit<Verification, 'registrationCheckIn'>): Promise<void> {
    await this.verifications.insert({ ...v, at: new Date(v.at) });
  }

  async find(id: string): Promise<Verification | null> {
    const v = await this.verifications.findOneBy({ id });
    return v ? toVerification(v) : null;
  }

  /**
   * Takes a passing verification for one registration: false when another registration took
   * it first (or it is not usable), so two desks cannot register on the same evidence.
   */
  async takeForRegistration(id: string, checkInId: string): Promise<boolean> {
    const r = await this.verifications.update(
      { id, verdict: 'pass', registrationCheckIn: IsNull() },
      { registrationCheckIn: checkInId },
    );
    return r.affected === 1;
  }

  /** The registration it was taken for was not recorded: the verification is usable again. */
  async giveBack(id: string, checkInId: string): Promise<void> {
    await this.verifications.update(
      { id, registrationCheckIn: checkInId },
      { registrationCheckIn: null },
    );
  }
}
