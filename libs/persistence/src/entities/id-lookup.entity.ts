import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * Append-only (triggers refuse UPDATE, DELETE and TRUNCATE): every status read by ID number,
 * by a staff member or a checkpoint device, refused ones too. The number only as its keyed hash.
 */
@Entity('id_lookups')
@Index('id_lookups_person', ['personKey', 'at'])
@Index('id_lookups_actor', ['actorKind', 'actorId', 'at'])
@Check('id_lookups_actor_kind_check', `actor_kind IN ('staff', 'device')`)
export class IdLookupEntity {
  /** bigint: read as a string. */
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id!: string;

  @Column('timestamptz')
  at!: Date;

  @Column('text', { name: 'station_id' })
  stationId!: string;

  @Column('text', { name: 'actor_kind' })
  actorKind!: 'staff' | 'device';

  /** The staff member (token subject) or the device id. */
  @Column('text', { name: 'actor_id' })
  actorId!: string;

  /** Keyed HMAC (ID_HASH_KEY) of the number looked up. */
  @Column('bytea', { name: 'person_key' })
  personKey!: Buffer;

  /** `admitted` or `rate-limited`. */
  @Column('text')
  outcome!: string;
}
