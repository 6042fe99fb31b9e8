import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One result per (station, gate, tapId): a retried or redelivered tap never makes a second row. */
@Entity('tap_receipts')
@Index('tap_receipts_created', ['createdAt'])
export class TapReceiptEntity {
  @PrimaryColumn('text', { name: 'station_id' })
  stationId!: string;

  @PrimaryColumn('text', { name: 'gate_id' })
  gateId!: string;

  @PrimaryColumn('text', { name: 'tap_id' })
  tapId!: string;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt!: Date;

  /** 'admitted', 'replayed' or 'already-inside'; null while its transaction is open. */
  @Column('text', { nullable: true })
  result!: string | null;

  @Column('text', { nullable: true })
  mode!: string | null;

  @Column('uuid', { name: 'check_in_id', nullable: true })
  checkInId!: string | null;

  @Column('text', { name: 'policy_version', nullable: true })
  policyVersion!: string | null;

  /** Hash of the request (credential, mode, reading): the same tapId with another is refused. */
  @Column('text', { nullable: true })
  fingerprint!: string | null;

  /** The tap's deadline: the admission fence refuses to commit this row after it. */
  @Column('timestamptz', { nullable: true })
  deadline!: Date | null;
}
