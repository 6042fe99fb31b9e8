import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Taps at stations with no record: counted so the operator sees them. */
@Entity('unrecorded_stations')
export class UnrecordedStationEntity {
  @PrimaryColumn('text', { name: 'station_id' })
  stationId!: string;

  @Column('timestamptz', { name: 'first_seen' })
  firstSeen!: Date;

  @Column('timestamptz', { name: 'last_seen' })
  lastSeen!: Date;

  /** bigint: read as a string. */
  @Column('bigint')
  taps!: string;
}
