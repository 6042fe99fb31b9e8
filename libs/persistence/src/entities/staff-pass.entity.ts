import { Check, Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** A one-time pass issued at the desk, spent by exactly one opening tap. */
@Entity('staff_passes')
@Index('staff_passes_open', ['stationId', 'boundTo', 'expiresAt'], { where: 'used_at IS NULL' })
@Check('staff_passes_bound_kind_check', `bound_kind IN ('medium', 'gate')`)
export class StaffPassEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column('text', { name: 'station_id' })
  stationId!: string;

  @Column('text', { name: 'bound_kind' })
  boundKind!: 'medium' | 'gate';

  /** `card:<no>`, `ticket:<no>` or `gate:<gateId>`. */
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
}
