import { Column, Entity, PrimaryColumn } from 'typeorm';

/** Anti-passback: who is inside, and since when. */
@Entity('journeys')
export class JourneyEntity {
  /** `rider:<id>`, `card:<no>` or `ticket:<no>`. */
  @PrimaryColumn('text')
  traveller!: string;

  @Column('boolean')
  inside!: boolean;

  @Column('text', { name: 'station_id' })
  stationId!: string;

  @Column('timestamptz', { name: 'changed_at' })
  changedAt!: Date;
}
