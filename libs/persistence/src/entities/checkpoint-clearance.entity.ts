import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * One row per passing checkpoint scan; the scan's own (station, device, tapId) keeps retries
 * single. `checkpoint_clearances_rider` orders cleared_at descending, which an entity cannot
 * say: the migration is the source of that.
 */
@Entity('checkpoint_clearances')
@Index('checkpoint_clearances_rider', ['riderId', 'stationId', 'clearedAt'])
@Index('checkpoint_clearances_time', ['clearedAt'])
export class CheckpointClearanceEntity {
  @PrimaryColumn('text', { name: 'station_id' })
  stationId!: string;

  @PrimaryColumn('text', { name: 'device_id' })
  deviceId!: string;

  @PrimaryColumn('text', { name: 'tap_id' })
  tapId!: string;

  @Column('uuid', { name: 'rider_id' })
  riderId!: string;

  @Column('timestamptz', { name: 'cleared_at' })
  clearedAt!: Date;
}
