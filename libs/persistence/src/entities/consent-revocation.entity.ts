import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * A consent a health link stopped holding (unlinked, replaced, its rider deleted), written by
 * a trigger on health_links in the same transaction. Every instance polls it, so a revocation
 * whose broadcast it missed still reaches it.
 */
@Entity('consent_revocations')
@Index('consent_revocations_txid', ['txid'])
@Index('consent_revocations_at', ['revokedAt'])
export class ConsentRevocationEntity {
  /** bigint: read as a string. */
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id!: string;

  @Column('text', { name: 'consent_id' })
  consentId!: string;

  @Column('timestamptz', { name: 'revoked_at', default: () => 'now()' })
  revokedAt!: Date;

  /** The writing transaction's id (pg_current_xact_id), as a number; bigint: read as a string. */
  @Column('bigint')
  txid!: string;
}
