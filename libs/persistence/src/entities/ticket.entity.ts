import { Check, Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { RiderEntity } from './rider.entity';

/** Day and three-day tickets: cleared at a checkpoint, then used at the gate. */
@Entity('tickets')
@Check('tickets_kind_check', `kind IN ('day', 'three-day')`)
export class TicketEntity {
  @PrimaryColumn('text', { name: 'ticket_no' })
  ticketNo!: string;

  @Column('text')
  kind!: 'day' | 'three-day';

  @Column('uuid', { name: 'rider_id' })
  riderId!: string;

  @ManyToOne(() => RiderEntity, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'rider_id', foreignKeyConstraintName: 'tickets_rider_id_fkey' })
  rider?: RiderEntity;

  @Column('timestamptz', { name: 'valid_from' })
  validFrom!: Date;

  @Column('timestamptz', { name: 'valid_until' })
  validUntil!: Date;

  @Column('timestamptz', { name: 'created_at', default: () => 'now()' })
  createdAt!: Date;
}
