import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity('lines')
export class LineEntity {
  @PrimaryColumn('text')
  id!: string;

  @Column('text', { name: 'name_zh' })
  nameZh!: string;

  @Column('text', { name: 'name_en' })
  nameEn!: string;
}
