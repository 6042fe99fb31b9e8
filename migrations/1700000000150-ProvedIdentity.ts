import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Identity is proved at the health authority, and the metro keeps only the keyed hash and the
 * consent id: riders registered that way have no name here. Names typed in before stay until
 * the rider re-registers or erases the registration.
 */
export class ProvedIdentity1700000000150 implements MigrationInterface {
  name = 'ProvedIdentity1700000000150';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE riders ALTER COLUMN name DROP NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE riders SET name = '' WHERE name IS NULL`);
    await q.query(`ALTER TABLE riders ALTER COLUMN name SET NOT NULL`);
  }
}
