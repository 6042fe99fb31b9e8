import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { RiderEntity } from './rider.entity';

/** The rider's authorization: an opaque consent id issued by the health authority. */
@Entity('health_links')
export class HealthLinkEntity {
  @PrimaryColumn('uuid', { name: 'rider_id' })
  riderId!: string;

  @ManyToOne(() => RiderEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'rider_id', foreignKeyConstraintName: 'health_links_rider_id_fkey' })
  rider?: RiderEntity;

  @Column('text', { name: 'consent_id' })
  consentId!: string;

  @Column('timestamptz', { name: 'authorized_at', default: () => 'now()' })
  authorizedAt!: Date;
}
