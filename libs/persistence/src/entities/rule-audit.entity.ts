import { Check, Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/** Append-only (triggers refuse UPDATE, DELETE and TRUNCATE): every schedule and cancel. */
@Entity('rule_audit')
@Index('rule_audit_version', ['versionId', 'id'])
@Check('rule_audit_action_check', `action IN ('schedule', 'cancel')`)
export class RuleAuditEntity {
  /** bigint: read as a string. */
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id!: string;

  @Column('timestamptz')
  at!: Date;

  @Column('timestamptz', { name: 'recorded_at', default: () => 'now()' })
  recordedAt!: Date;

  @Column('text')
  actor!: string;

  @Column('text', { name: 'actor_role' })
  actorRole!: string;

  @Column('text')
  action!: 'schedule' | 'cancel';

  @Column('text', { name: 'version_id' })
  versionId!: string;

  /** The version as it was and became (its view, JSON); null for none. */
  @Column('jsonb', { nullable: true })
  before!: object | null;

  @Column('jsonb', { nullable: true })
  after!: object | null;
}
