import type { MigrationInterface, QueryRunner } from 'typeorm';
import { ADMIT_TAPS_040 } from './1700000000040-AdmitTaps';

/**
 * The same decisions, for less: "which codes/travellers did not get in" is a hashed lookup over
 * what the insert returned, where it was a nested loop (quadratic in the batch), and statements
 * with nothing to do in this batch (blocked entries, exits) are skipped.
 */
export class AdmitTapsLean1700000000050 implements MigrationInterface {
  name = 'AdmitTapsLean1700000000050';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
CREATE OR REPLACE FUNCTION admit_taps(items jsonb, passback_ms double precision)
      RETURNS TABLE (ord int, result text, decided_at timestamptz, mode text, check_in_id uuid, policy_version text)
      LANGUAGE plpgsql AS $fn$
      DECLARE
        input admit_row[];
        any_exit boolean;
        claimed int[];
        replayed int[];
        blocked int[];
      BEGIN
        SELECT array_agg(x), coalesce(bool_or(x.mode = 'exit'), false) INTO input, any_exit
          FROM jsonb_populate_recordset(NULL::admit_row, items) AS x;

        -- 1. Claim each tap; a conflicting insert waits for the other transaction, then loses.
        WITH ins AS (
          INSERT INTO tap_receipts (station_id, gate_id, tap_id, created_at)
          SELECT i.station_id, i.gate_id, i.tap_id, i.at FROM unnest(input) i ORDER BY i.ord
          ON CONFLICT DO NOTHING RETURNING tap_receipts.station_id, tap_receipts.gate_id, tap_receipts.tap_id)
        SELECT coalesce(array_agg(i.ord), '{}') INTO claimed
          FROM unnest(input) i JOIN ins ON (ins.station_id, ins.gate_id, ins.tap_id) = (i.station_id, i.gate_id, i.tap_id);

        -- 2. A ride code opens at most one entry. (NOT IN over the CTE is a hashed lookup.)
        WITH won AS (
          INSERT INTO ride_code_uses (jti, expires_at)
          SELECT i.jti, coalesce(i.jti_expires_at, i.at) FROM unnest(input) i
          WHERE i.ord = ANY(claimed) AND i.mode = 'entry' AND i.jti IS NOT NULL
          ON CONFLICT DO NOTHING RETURNING ride_code_uses.jti)
        SELECT coalesce(array_agg(i.ord), '{}') INTO replayed FROM unnest(input) i
          WHERE i.ord = ANY(claimed) AND i.mode = 'entry' AND i.jti IS NOT NULL
            AND i.jti NOT IN (SELECT won.jti FROM won);

        -- 3. Anti-passback: an entry needs the traveller outside, or an entry older than the bound.
        WITH entered AS (
          INSERT INTO journeys AS j (traveller, inside, station_id, changed_at)
          SELECT i.traveller, true, i.station_id, i.at FROM unnest(input) i
          WHERE i.ord = ANY(claimed) AND NOT i.ord = ANY(replayed) AND i.mode = 'entry' AND NOT i.venue_only
          ON CONFLICT (traveller) DO UPDATE
            SET inside = true, station_id = EXCLUDED.station_id, changed_at = EXCLUDED.changed_at
            WHERE NOT j.inside OR j.changed_at < EXCLUDED.changed_at - make_interval(secs => passback_ms / 1000)
          RETURNING j.traveller)
        SELECT coalesce(array_agg(i.ord), '{}') INTO blocked FROM unnest(input) i
          WHERE i.ord = ANY(claimed) AND NOT i.ord = ANY(replayed) AND i.mode = 'entry' AND NOT i.venue_only
            AND i.traveller NOT IN (SELECT e.traveller FROM entered e);
        -- A code that did not open an entry may still be used once its rider is out.
        IF cardinality(blocked) > 0 THEN
          DELETE FROM ride_code_uses u USING unnest(input) i
            WHERE i.ord = ANY(blocked) AND u.jti = i.jti;
        END IF;

        INSERT INTO check_ins (id, checked_in_at, rider_id, medium, station_id, gate_id, tap_id, policy_version, policy_hash, person_key)
          SELECT i.check_in_id, i.at, i.rider_id, i.medium, i.station_id, i.gate_id, i.tap_id, i.policy_version, i.policy_hash, i.person_key
          FROM unnest(input) i
          WHERE i.ord = ANY(claimed) AND NOT i.ord = ANY(replayed) AND NOT i.ord = ANY(blocked)
            AND (i.mode = 'entry' OR i.venue_only);
        IF any_exit THEN
          UPDATE journeys SET inside = false, changed_at = i.at FROM unnest(input) i
            WHERE i.ord = ANY(claimed) AND i.mode = 'exit' AND NOT i.venue_only AND journeys.traveller = i.traveller;
        END IF;

        -- 4. Each claimed tap's result, for retries.
        UPDATE tap_receipts r SET
            result = CASE WHEN i.ord = ANY(replayed) THEN 'replayed'
                          WHEN i.ord = ANY(blocked) THEN 'already-inside' ELSE 'admitted' END,
            mode = i.mode,
            policy_version = i.policy_version,
            check_in_id = CASE WHEN i.ord = ANY(replayed) OR i.ord = ANY(blocked) OR (i.mode <> 'entry' AND NOT i.venue_only)
                               THEN NULL ELSE i.check_in_id END
          FROM unnest(input) i
          WHERE i.ord = ANY(claimed) AND (r.station_id, r.gate_id, r.tap_id) = (i.station_id, i.gate_id, i.tap_id);

        RETURN QUERY
          SELECT i.ord,
                 CASE WHEN i.ord = ANY(claimed) THEN r.result ELSE 'duplicate:' || coalesce(r.result, '') END,
                 r.created_at, r.mode, r.check_in_id, r.policy_version
          FROM unnest(input) i
          JOIN tap_receipts r ON (r.station_id, r.gate_id, r.tap_id) = (i.station_id, i.gate_id, i.tap_id)
          ORDER BY i.ord;
      END
      $fn$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(ADMIT_TAPS_040);
  }
}
