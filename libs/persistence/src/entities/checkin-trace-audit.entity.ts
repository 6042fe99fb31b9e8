import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Append-only (triggers refuse UPDATE, DELETE and TRUNCATE): who traced which person's
 * check-ins, over which window. The person only as the keyed hash (ID_HASH_KEY) of their number.
 */
@Entity('checkin_trace_audit')
export class CheckinTraceAuditEntity {
  /** bigint: read as a string. */
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id!: string;

  @Column('timestamptz', { name: 'traced_at', default: () => 'now()' })
  tracedAt!: Date;

  @Column('text')
  actor!: string;

  @Column('text', { name: 'actor_role' })
  actorRole!: string;

  @Column('bytea', { name: 'person_key' })
  personKey!: Buffer;

  @Column('timestamptz', { name: 'window_from' })
  windowFrom!: Date;

  @Column('timestamptz', { name: 'window_to' })
  windowTo!: Date;

  @Column('integer', { name: 'row_count' })
  rowCount!: number;
}
