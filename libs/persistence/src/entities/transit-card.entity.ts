import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { RiderEntity } from './rider.entity';

/** A row exists once a card is linked or blocked; one card, one rider. */
@Entity('transit_cards')
@Index('transit_cards_rider', ['riderId'])
export class TransitCardEntity {
  @PrimaryColumn('text', { name: 'card_no' })
  cardNo!: string;

  @Column('uuid', { name: 'rider_id', nullable: true })
  riderId!: string | null;

  @ManyToOne(() => RiderEntity, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'rider_id', foreignKeyConstraintName: 'transit_cards_rider_id_fkey' })
  rider?: RiderEntity | null;

  @Column('timestamptz', { name: 'linked_at', nullable: true })
  linkedAt!: Date | null;

  @Column('timestamptz', { name: 'blocked_at', nullable: true })
  blockedAt!: Date | null;

  @Column('text', { name: 'blocked_reason', nullable: true })
  blockedReason!: string | null;
}
