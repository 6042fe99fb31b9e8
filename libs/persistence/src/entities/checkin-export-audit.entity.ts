import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Append-only (triggers refuse UPDATE, DELETE and TRUNCATE): who exported which check-ins. */
@Entity('checkin_export_audit')
export class CheckinExportAuditEntity {
  /** bigint: read as a string. */
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id!: string;

  @Column('timestamptz', { name: 'exported_at', default: () => 'now()' })
  exportedAt!: Date;

  @Column('text')
  actor!: string;

  @Column('text', { name: 'actor_role' })
  actorRole!: string;

  @Column('text', { name: 'station_ids', array: true })
  stationIds!: string[];

  @Column('timestamptz', { name: 'window_from' })
  windowFrom!: Date;

  @Column('timestamptz', { name: 'window_to' })
  windowTo!: Date;

  @Column('text')
  format!: string;

  @Column('text', { name: 'page_cursor', nullable: true })
  pageCursor!: string | null;

  @Column('integer', { name: 'row_count' })
  rowCount!: number;
}
