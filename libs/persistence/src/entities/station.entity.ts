import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('stations')
export class StationEntity {
  @PrimaryColumn('text')
  id!: string;

  @Column('text', { name: 'name_zh' })
  nameZh!: string;

  @Column('text', { name: 'name_en' })
  nameEn!: string;

  @Column('text', { array: true })
  lines!: string[];
}
