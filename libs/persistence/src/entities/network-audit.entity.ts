import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Append-only (triggers refuse UPDATE, DELETE and TRUNCATE): every change to the network. */
@Entity('network_audit')
export class NetworkAuditEntity {
  /** bigint: read as a string. */
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id!: string;

  @Column('timestamptz')
  at!: Date;

  @Column('text')
  actor!: string;

  @Column('text', { name: 'actor_role' })
  actorRole!: string;

  @Column('text')
  action!: string;

  @Column('text')
  subject!: string;

  @Column('jsonb', { nullable: true })
  before!: object | null;

  @Column('jsonb', { nullable: true })
  after!: object | null;
}
