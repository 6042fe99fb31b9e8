import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { RuleSettings, Scope } from '@app/decision';

/** Immutable once written (a trigger enforces it): the only change is one cancel before it takes effect. */
@Entity('rule_versions')
export class RuleVersionEntity {
  @PrimaryColumn('text')
  id!: string;

  @Column('timestamptz', { name: 'effective_from' })
  effectiveFrom!: Date;

  @Column('jsonb')
  scope!: Scope;

  @Column('jsonb')
  settings!: RuleSettings;

  @Column('text')
  reason!: string;

  @Column('text', { name: 'canonical_hash' })
  canonicalHash!: string;

  @Column('text', { name: 'created_by' })
  createdBy!: string;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt!: Date;

  @Column('timestamptz', { name: 'cancelled_at', nullable: true })
  cancelledAt!: Date | null;
}
