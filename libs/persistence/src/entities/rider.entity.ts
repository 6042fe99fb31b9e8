import { Column, Entity, PrimaryColumn, Unique } from 'typeorm';

/** A registered rider. The ID number is never stored: only its keyed hash. */
@Entity('riders')
@Unique('riders_id_hash_key', ['idHash'])
export class RiderEntity {
  @PrimaryColumn('uuid')
  id!: string;

  /** Only riders who typed a name before identity was proved have one: the authority holds it. */
  @Column('text', { nullable: true })
  name!: string | null;

  @Column('bytea', { name: 'id_hash' })
  idHash!: Buffer;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt!: Date;
}
