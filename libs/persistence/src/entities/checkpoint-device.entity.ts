import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { StationEntity } from './station.entity';

/** A checkpoint scanner, and whether it is a digital sentinel (数字哨兵). */
@Entity('checkpoint_devices')
export class CheckpointDeviceEntity {
  @PrimaryColumn('text', { name: 'station_id' })
  stationId!: string;

  @ManyToOne(() => StationEntity, { nullable: false })
  @JoinColumn({
    name: 'station_id',
    foreignKeyConstraintName: 'checkpoint_devices_station_id_fkey',
  })
  station?: StationEntity;

  @PrimaryColumn('text', { name: 'device_id' })
  deviceId!: string;

  @Column('boolean')
  sentinel!: boolean;

  @Column('text', { name: 'updated_by' })
  updatedBy!: string;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt!: Date;
}
