import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A venue check-in: who, where, when, under which rule version. The table is partitioned by
 * day (`check_ins_pYYYYMMDD`, plus a DEFAULT partition) so retention drops whole days; the
 * partitions are made by the gateway's maintenance, not described here.
 */
@Entity('check_ins')
@Index('check_ins_station_time_id', ['stationId', 'checkedInAt', 'id'])
@Index('check_ins_person_time', ['personKey', 'checkedInAt'], { where: 'person_key IS NOT NULL' })
@Index('check_ins_rider_time', ['riderId', 'checkedInAt'], { where: 'rider_id IS NOT NULL' })
export class CheckInEntity {
  @PrimaryColumn('uuid')
  id!: string;

  /** Part of the key: a partitioned table's key must include the partition column. */
  @PrimaryColumn('timestamptz', { name: 'checked_in_at' })
  checkedInAt!: Date;

  @Column('uuid', { name: 'rider_id', nullable: true })
  riderId!: string | null;

  @Column('text', { nullable: true })
  medium!: string | null;

  @Column('text', { name: 'station_id' })
  stationId!: string;

  @Column('text', { name: 'gate_id' })
  gateId!: string;

  @Column('text', { name: 'tap_id' })
  tapId!: string;

  @Column('text', { name: 'policy_version' })
  policyVersion!: string;

  @Column('text', { name: 'policy_hash' })
  policyHash!: string;

  /** Keyed HMAC of the ID number, for people without a rider account. */
  @Column('bytea', { name: 'person_key', nullable: true })
  personKey!: Buffer | null;

  /**
   * Set when the commit landed after its tap had been answered "not open" (a stalled COMMIT):
   * the row stays, for the record, but no longer counts as a check-in.
   */
  @Column('timestamptz', { name: 'voided_at', nullable: true })
  voidedAt!: Date | null;

  @Column('text', { name: 'void_reason', nullable: true })
  voidReason!: string | null;
}
