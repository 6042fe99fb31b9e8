import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { StaffVerificationEntity } from './staff-verification.entity';

/** A one-time pass issued at the desk, spent by exactly one opening tap. */
@Entity('staff_passes')
@Index('staff_passes_open', ['stationId', 'boundTo', 'expiresAt'], { where: 'used_at IS NULL' })
@Index('staff_passes_issued', ['issuedAt'])
// A voided admission gives back the pass its tap spent.
@Index('staff_passes_used_tap', ['usedTap'], { where: 'used_tap IS NOT NULL' })
@Index('staff_passes_one_per_verification', ['verificationId'], { unique: true })
@Check('staff_passes_bound_kind_check', `bound_kind IN ('medium', 'gate', 'rider')`)
// NOT VALID in the migration: passes issued before verifications existed keep their null.
@Check('staff_passes_name_a_verification', 'verification_id IS NOT NULL')
export class StaffPassEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text', { name: 'station_id' })
  stationId!: string;

  @Column('text', { name: 'bound_kind' })
  boundKind!: 'medium' | 'gate' | 'rider';

  /** `card:<no>`, `ticket:<no>`, `gate:<gateId>` or `rider:<riderId>`. */
  @Column('text', { name: 'bound_to' })
  boundTo!: string;

  @Column('timestamptz', { name: 'expires_at' })
  expiresAt!: Date;

  @Column('text', { name: 'issued_by' })
  issuedBy!: string;

  @Column('timestamptz', { name: 'issued_at' })
  issuedAt!: Date;

  @Column('timestamptz', { name: 'used_at', nullable: true })
  usedAt!: Date | null;

  @Column('text', { name: 'used_tap', nullable: true })
  usedTap!: string | null;

  /** The verification that justified the pass; one pass per verification. */
  @Column('uuid', { name: 'verification_id', nullable: true })
  verificationId!: string | null;

  @ManyToOne(() => StaffVerificationEntity)
  @JoinColumn({
    name: 'verification_id',
    foreignKeyConstraintName: 'staff_passes_verification_id_fkey',
  })
  verification?: StaffVerificationEntity | null;
}
