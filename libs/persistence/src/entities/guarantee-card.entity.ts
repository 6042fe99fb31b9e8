import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

/** 保通卡: passes without a health lookup while valid (temperature still applies). */
@Entity('guarantee_cards')
@Check('guarantee_cards_check', 'valid_until > valid_from')
export class GuaranteeCardEntity {
  @PrimaryColumn('text', { name: 'card_no' })
  cardNo!: string;

  @Column('text', { name: 'holder_name' })
  holderName!: string;

  @Column('timestamptz', { name: 'valid_from' })
  validFrom!: Date;

  @Column('timestamptz', { name: 'valid_until' })
  validUntil!: Date;

  @Column('text', { name: 'updated_by' })
  updatedBy!: string;

  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' })
  updatedAt!: Date;
}
