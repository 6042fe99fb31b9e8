import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The operator's side of the rules: an append-only audit of every schedule and cancel, the
 * shadow-rollout aggregates, and database-enforced immutability of rule versions. Triggers
 * bind every role that connects, the table owner and superusers included (only disabling the
 * trigger, which is itself a DDL change, gets round them).
 */
export class OperatorRules1700000000010 implements MigrationInterface {
  name = 'OperatorRules1700000000010';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE rule_audit (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        actor text NOT NULL,
        actor_role text NOT NULL,
        action text NOT NULL CHECK (action IN ('schedule', 'cancel')),
        version_id text NOT NULL,
        before jsonb,
        after jsonb
      )`);
    await q.query(`CREATE INDEX rule_audit_version ON rule_audit (version_id, id)`);
    await q.query(`
      CREATE FUNCTION rule_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'rule_audit is append-only: % is not allowed', TG_OP
          USING ERRCODE = 'insufficient_privilege';
      END $$`);
    await q.query(`
      CREATE TRIGGER rule_audit_no_update_delete BEFORE UPDATE OR DELETE ON rule_audit
        FOR EACH ROW EXECUTE FUNCTION rule_audit_append_only()`);
    await q.query(`
      CREATE TRIGGER rule_audit_no_truncate BEFORE TRUNCATE ON rule_audit
        FOR EACH STATEMENT EXECUTE FUNCTION rule_audit_append_only()`);

    // The only change a version may ever see: cancelled once, at an instant before it takes
    // effect. The instant is the gateway's clock (the DB's now() may differ from it in tests).
    await q.query(`
      CREATE FUNCTION rule_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP <> 'UPDATE' THEN
          RAISE EXCEPTION 'rule versions are never deleted: % is not allowed', TG_OP
            USING ERRCODE = 'insufficient_privilege';
        END IF;
        IF OLD.cancelled_at IS NOT NULL
           OR NEW.cancelled_at IS NULL
           OR NEW.cancelled_at >= OLD.effective_from
           OR (NEW.id, NEW.effective_from, NEW.scope, NEW.settings, NEW.reason,
               NEW.canonical_hash, NEW.created_by, NEW.created_at)
              IS DISTINCT FROM
              (OLD.id, OLD.effective_from, OLD.scope, OLD.settings, OLD.reason,
               OLD.canonical_hash, OLD.created_by, OLD.created_at) THEN
          RAISE EXCEPTION 'rule version % is immutable: only a cancel before it takes effect is allowed', OLD.id
            USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
      END $$`);
    await q.query(`
      CREATE TRIGGER rule_versions_immutable BEFORE UPDATE OR DELETE ON rule_versions
        FOR EACH ROW EXECUTE FUNCTION rule_versions_immutable()`);

    // Shadow rollout: aggregate counts only. No rider, no time of tap, no health value.
    await q.query(`
      CREATE TABLE rule_shadow_counts (
        version_id text NOT NULL,
        station_id text NOT NULL,
        from_outcome text NOT NULL,
        from_reasons text NOT NULL,
        to_outcome text NOT NULL,
        to_reasons text NOT NULL,
        taps bigint NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (version_id, station_id, from_outcome, from_reasons, to_outcome, to_reasons)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE IF EXISTS rule_shadow_counts');
    await q.query('DROP TRIGGER IF EXISTS rule_versions_immutable ON rule_versions');
    await q.query('DROP FUNCTION IF EXISTS rule_versions_immutable()');
    await q.query('DROP TABLE IF EXISTS rule_audit');
    await q.query('DROP FUNCTION IF EXISTS rule_audit_append_only()');
  }
}
