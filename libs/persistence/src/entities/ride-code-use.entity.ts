import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A ride code opens at most one entry. */
@Entity('ride_code_uses')
export class RideCodeUseEntity {
  @PrimaryColumn('text')
  jti!: string;

  @Column('timestamptz', { name: 'expires_at' })
  expiresAt!: Date;
}
