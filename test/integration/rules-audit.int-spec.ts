import { Client } from 'pg';
import { runMigrations } from '@app/persistence';
import { testDatabaseUrl, uniqueId } from '../support/db';

/**
 * The database itself keeps the rule audit append-only and effective versions immutable: the
 * statements run here over the application's own connection (DATABASE_URL) must fail.
 */
const SETTINGS = {
  testWindowHours: 72,
  allowedColours: ['green'],
  temperatureThresholdC: 37.3,
  temperatureRequired: true,
  oneCodeEnabled: false,
  dayTicketClearanceMinutes: 15,
  healthServiceFallback: { mode: 'staff', timeoutMs: 250 },
};

describe('rule audit and versions, enforced by PostgreSQL', () => {
  let db: Client;
  let auditId: number;
  let versionId: string;

  beforeAll(async () => {
    await runMigrations(testDatabaseUrl());
    db = new Client({ connectionString: testDatabaseUrl() });
    await db.connect();
  });

  beforeEach(async () => {
    versionId = uniqueId('rv');
    const a = await db.query<{ id: string }>(
      `INSERT INTO rule_audit (at, actor, actor_role, action, version_id, before, after)
       VALUES (now(), 'op-test', 'operator', 'schedule', $1, NULL, '{"id":"x"}') RETURNING id`,
      [versionId],
    );
    auditId = Number(a.rows[0].id);
    await db.query(
      `INSERT INTO rule_versions (id, effective_from, scope, settings, reason, canonical_hash, created_by)
       VALUES ($1, '2030-01-01T00:00:00+08:00', '{"kind":"stations","stations":[]}', $2, 'test', 'h', 'op-test')`,
      [versionId, JSON.stringify(SETTINGS)],
    );
  });

  afterAll(async () => {
    await db.end();
  });

  afterEach(async () => {
    // Versions are never deleted: cancel this one so no gateway ever loads it.
    await db.query(
      `UPDATE rule_versions SET cancelled_at = '2029-01-01T00:00:00+08:00' WHERE id = $1 AND cancelled_at IS NULL`,
      [versionId],
    );
  });

  const refused = /is append-only: (UPDATE|DELETE|TRUNCATE) is not allowed/;

  it('accepts an INSERT into the audit', async () => {
    const r = await db.query('SELECT actor FROM rule_audit WHERE id = $1', [auditId]);
    expect(r.rows).toEqual([{ actor: 'op-test' }]);
  });

  it('refuses an UPDATE of an audit row', async () => {
    await expect(
      db.query(`UPDATE rule_audit SET actor = 'someone-else' WHERE id = $1`, [auditId]),
    ).rejects.toThrow(refused);
    const r = await db.query('SELECT actor FROM rule_audit WHERE id = $1', [auditId]);
    expect(r.rows).toEqual([{ actor: 'op-test' }]);
  });

  it('refuses a DELETE of an audit row', async () => {
    await expect(db.query('DELETE FROM rule_audit WHERE id = $1', [auditId])).rejects.toThrow(
      refused,
    );
    const r = await db.query('SELECT count(*)::int AS n FROM rule_audit WHERE id = $1', [auditId]);
    expect(r.rows[0].n).toBe(1);
  });

  it('refuses a TRUNCATE of the audit', async () => {
    await expect(db.query('TRUNCATE rule_audit')).rejects.toThrow(refused);
  });

  it('allows only a cancel before the effective instant, once', async () => {
    await expect(
      db.query(
        `UPDATE rule_versions SET cancelled_at = '2030-01-01T00:00:00+08:00' WHERE id = $1`,
        [versionId],
      ),
    ).rejects.toThrow(/is immutable/);
    await db.query(
      `UPDATE rule_versions SET cancelled_at = '2029-12-31T23:59:00+08:00' WHERE id = $1`,
      [versionId],
    );
    await expect(
      db.query(
        `UPDATE rule_versions SET cancelled_at = '2029-12-31T23:00:00+08:00' WHERE id = $1`,
        [versionId],
      ),
    ).rejects.toThrow(/is immutable/);
  });

  it('refuses any change to what a version says, and any DELETE', async () => {
    await expect(
      db.query(`UPDATE rule_versions SET settings = '{"testWindowHours":24}' WHERE id = $1`, [
        versionId,
      ]),
    ).rejects.toThrow(/is immutable/);
    await expect(
      db.query(
        `UPDATE rule_versions SET reason = 'edited', cancelled_at = '2029-01-01T00:00:00+08:00' WHERE id = $1`,
        [versionId],
      ),
    ).rejects.toThrow(/is immutable/);
    await expect(
      db.query(`UPDATE rule_versions SET effective_from = now() WHERE id = 'rv-20220601-pilot'`),
    ).rejects.toThrow(/is immutable/);
    await expect(db.query('DELETE FROM rule_versions WHERE id = $1', [versionId])).rejects.toThrow(
      /never deleted/,
    );
  });
});
