import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Shadow rollout: aggregate counts only. No rider, no time of tap, no health value. */
@Entity('rule_shadow_counts')
export class RuleShadowCountEntity {
  @PrimaryColumn('text', { name: 'version_id' })
  versionId!: string;

  @PrimaryColumn('text', { name: 'station_id' })
  stationId!: string;

  @PrimaryColumn('text', { name: 'from_outcome' })
  fromOutcome!: string;

  @PrimaryColumn('text', { name: 'from_reasons' })
  fromReasons!: string;

  @PrimaryColumn('text', { name: 'to_outcome' })
  toOutcome!: string;

  @PrimaryColumn('text', { name: 'to_reasons' })
  toReasons!: string;

  /** bigint: read as a string. */
  @Column('bigint')
  taps!: string;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt!: Date;
}
