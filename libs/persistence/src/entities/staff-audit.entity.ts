import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Append-only (triggers refuse UPDATE, DELETE and TRUNCATE). Never a health value or a clear ID number. */
@Entity('staff_audit')
@Index('staff_audit_station_time', ['stationId', 'at'])
export class StaffAuditEntity {
  /** bigint: read as a string. */
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id!: string;

  @Column('timestamptz')
  at!: Date;

  @Column('text', { name: 'staff_id' })
  staffId!: string;

  @Column('text', { name: 'station_id' })
  stationId!: string;

  @Column('text')
  act!: string;

  @Column('text', { nullable: true })
  evidence!: string | null;

  @Column('text')
  outcome!: string;

  /** A pass id, gate id or check-in id the act produced or touched. */
  @Column('text', { nullable: true })
  ref!: string | null;

  /** The verification the act relied on, if any. */
  @Column('uuid', { name: 'verification_id', nullable: true })
  verificationId!: string | null;
}
