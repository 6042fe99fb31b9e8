import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One evidence check at the staff desk: what was checked and its verdict, never a health value
 * or a clear ID number. Fixed once recorded (a trigger); only the registration it justified is
 * set later.
 */
@Entity('staff_verifications')
@Index('staff_verifications_at', ['at'])
@Index('staff_verifications_person', ['personKey'], { where: 'person_key IS NOT NULL' })
export class StaffVerificationEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('timestamptz')
  at!: Date;

  @Column('text', { name: 'station_id' })
  stationId!: string;

  @Column('text', { name: 'staff_id' })
  staffId!: string;

  @Column('text')
  evidence!: string;

  @Column('text')
  verdict!: string;

  @Column('text', { name: 'policy_version' })
  policyVersion!: string;

  /** Keyed HMAC of the ID number the check read, if it read one. */
  @Column('bytea', { name: 'person_key', nullable: true })
  personKey!: Buffer | null;

  @Column('uuid', { name: 'registration_check_in', nullable: true })
  registrationCheckIn!: string | null;
}
