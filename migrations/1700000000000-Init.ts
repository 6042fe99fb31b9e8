import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The gateway's own tables. No column anywhere holds a health value. */
export class Init1700000000000 implements MigrationInterface {
  name = 'Init1700000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE stations (
        id text PRIMARY KEY,
        name_zh text NOT NULL,
        name_en text NOT NULL,
        lines text[] NOT NULL
      )`);
    await q.query(`
      CREATE TABLE rule_versions (
        id text PRIMARY KEY,
        effective_from timestamptz NOT NULL,
        scope jsonb NOT NULL,
        settings jsonb NOT NULL,
        reason text NOT NULL,
        canonical_hash text NOT NULL,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        cancelled_at timestamptz
      )`);
    await q.query(`
      CREATE TABLE riders (
        id uuid PRIMARY KEY,
        name text NOT NULL,
        id_hash bytea NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    // The rider's authorization: an opaque consent id issued by the health authority.
    await q.query(`
      CREATE TABLE health_links (
        rider_id uuid PRIMARY KEY REFERENCES riders(id) ON DELETE CASCADE,
        consent_id text NOT NULL,
        authorized_at timestamptz NOT NULL DEFAULT now()
      )`);
    // Venue check-ins, partitioned by day so retention drops whole partitions.
    await q.query(`
      CREATE TABLE check_ins (
        id uuid NOT NULL,
        checked_in_at timestamptz NOT NULL,
        rider_id uuid,
        medium text,
        station_id text NOT NULL,
        gate_id text NOT NULL,
        tap_id text NOT NULL,
        policy_version text NOT NULL,
        policy_hash text NOT NULL,
        PRIMARY KEY (id, checked_in_at)
      ) PARTITION BY RANGE (checked_in_at)`);
    await q.query(`CREATE TABLE check_ins_default PARTITION OF check_ins DEFAULT`);
    await q.query(`CREATE INDEX check_ins_station_time ON check_ins (station_id, checked_in_at)`);
    // One reply per (station, gate, tapId): a retried or redelivered tap never makes a second row.
    await q.query(`
      CREATE TABLE tap_receipts (
        station_id text NOT NULL,
        gate_id text NOT NULL,
        tap_id text NOT NULL,
        reply jsonb,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (station_id, gate_id, tap_id)
      )`);
    await q.query(`CREATE INDEX tap_receipts_created ON tap_receipts (created_at)`);
    // A ride code opens at most one entry.
    await q.query(`
      CREATE TABLE ride_code_uses (
        jti text PRIMARY KEY,
        expires_at timestamptz NOT NULL
      )`);
    // Anti-passback: who is inside, and since when.
    await q.query(`
      CREATE TABLE journeys (
        traveller text PRIMARY KEY,
        inside boolean NOT NULL,
        station_id text NOT NULL,
        changed_at timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of [
      'journeys',
      'ride_code_uses',
      'tap_receipts',
      'check_ins',
      'health_links',
      'riders',
      'rule_versions',
      'stations',
    ]) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
  }
}
