import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * One row: the revision of what rules are selected by (versions, stations, lines, checkpoint
 * devices), bumped by triggers in every transaction that writes them.
 */
@Entity('rule_timeline_revision')
@Check('rule_timeline_revision_one_row', 'id = 1')
export class RuleTimelineRevisionEntity {
  @PrimaryColumn('smallint')
  id!: number;

  /** bigint: read as a string. */
  @Column('bigint')
  revision!: string;
}
