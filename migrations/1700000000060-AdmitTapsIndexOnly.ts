import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every statement in admit_taps reaches a handful of rows by key. PL/pgSQL keeps each
 * statement's plan for the life of the connection, so a plan made while tap_receipts was small
 * (a morning, a fresh database) scanned the whole table for every batch once it had grown: the
 * benchmark read 1.5 M receipt rows in 404 scans during one 8,000-tap level. With sequential
 * scans priced out inside this function, the cached plans use the keys at any size.
 */
export class AdmitTapsIndexOnly1700000000060 implements MigrationInterface {
  name = 'AdmitTapsIndexOnly1700000000060';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER FUNCTION admit_taps(jsonb, double precision) SET enable_seqscan = off`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER FUNCTION admit_taps(jsonb, double precision) RESET enable_seqscan`);
  }
}
