-- Admission of a batch of taps: receipts (idempotency), staff passes, ride-code use (replay),
-- journeys (anti-passback) and check-ins, in one call: one round trip and one transaction per
-- batch.
--
-- This is the live source. Migrations apply a frozen copy of it (migrations/sql/), so a change
-- here needs a new migration with a new copy; a unit test fails while they differ.
--
-- Guarantees, all from unique indexes and row locks, whatever runs at the same time:
-- - a (station, device, tapId) is decided once: its receipt is the claim, and a retry gets the
--   stored result, or 'mismatch' when its request's fingerprint differs from the first one's;
-- - a ride code opens at most one entry (ride_code_uses.jti);
-- - an entry needs the traveller outside (journeys.traveller), for passback_ms;
-- - a tap's receipt carries its deadline; the fence below refuses to commit past it;
-- - a staff pass opens at most one tap, and is spent in the transaction that records that tap
--   (it comes back if the tap does not open, or its commit is voided); a tap that needed a pass
--   and found none left ('no-pass') leaves nothing at all, so its retry is decided afresh.
-- Callers guarantee no two items of one batch share a tap, a jti or a traveller.

CREATE OR REPLACE FUNCTION admit_taps(
  station_ids text[], devices text[], gate_ids text[], tap_ids text[], ats_ms double precision[],
  modes text[], travellers text[], rider_ids uuid[], media text[], jtis text[],
  jti_expires_ms double precision[], check_in_ids uuid[], policy_versions text[],
  policy_hashes text[], person_keys bytea[], venue_only boolean[], fingerprints text[],
  remaining_ms double precision[], pass_first text[], pass_second text[],
  passback_ms double precision)
RETURNS TABLE (ord int, result text, decided_at timestamptz, mode text, check_in_id uuid, policy_version text)
LANGUAGE plpgsql
-- Every statement reaches a handful of rows by key. PL/pgSQL keeps each statement's plan for the
-- life of the connection: a plan made while the tables were small must not scan them once grown.
SET enable_seqscan = off
AS $fn$
DECLARE
  input admit_item[];
  any_venue boolean;
  any_jti boolean;
  any_entry boolean;
  any_exit boolean;
  dup int[];
  lost int[];
  replayed int[] := '{}';
  blocked int[] := '{}';
  no_pass int[] := '{}';
  pass_ids uuid[] := '{}';
  pass_people bytea[] := '{}';
  wanted record;
  claimed_id uuid;
  claimed_person bytea;
BEGIN
  SELECT array_agg(ROW(u.n::int - 1, u.s, u.d, u.g, u.t, to_timestamp(u.a / 1000), u.m, u.tr, u.r,
                       u.me, u.j, to_timestamp(u.je / 1000), u.c, u.pv, u.ph, u.pk, u.v, u.f,
                       statement_timestamp() + make_interval(secs => u.rem / 1000))::admit_item
                   ORDER BY u.n),
         coalesce(bool_or(u.v), false),
         coalesce(bool_or(NOT u.v AND u.m = 'entry' AND u.j IS NOT NULL), false),
         coalesce(bool_or(NOT u.v AND u.m = 'entry'), false),
         coalesce(bool_or(NOT u.v AND u.m = 'exit'), false)
    INTO input, any_venue, any_jti, any_entry, any_exit
    FROM unnest(station_ids, devices, gate_ids, tap_ids, ats_ms, modes, travellers, rider_ids,
                media, jtis, jti_expires_ms, check_in_ids, policy_versions, policy_hashes,
                person_keys, venue_only, fingerprints, remaining_ms)
         WITH ORDINALITY AS u(s, d, g, t, a, m, tr, r, me, j, je, c, pv, ph, pk, v, f, rem, n);

  -- 0. Retries of taps an earlier transaction receipted: nothing is done for them again.
  SELECT coalesce(array_agg(i.ord), '{}') INTO dup FROM unnest(input) i
    WHERE EXISTS (SELECT 1 FROM tap_receipts r
                   WHERE (r.station_id, r.gate_id, r.tap_id) = (i.station_id, i.device, i.tap_id));

  -- 0b. Staff passes, for the entries a pass is to open. Each claims one unused pass bound to
  --     one of its two names at its station (the rider or medium before the gate), in turn, so
  --     two taps of the batch never share one; SKIP LOCKED passes over one another batch holds.
  IF EXISTS (SELECT 1 FROM unnest(pass_first) AS w(b) WHERE w.b IS NOT NULL) THEN
    FOR wanted IN
      SELECT i.ord, i.station_id, i.gate_id, i.tap_id, i.at FROM unnest(input) i
        WHERE pass_first[i.ord + 1] IS NOT NULL AND NOT i.venue_only AND i.mode = 'entry'
          AND NOT i.ord = ANY(dup)
        ORDER BY i.ord
    LOOP
      UPDATE staff_passes p SET used_at = wanted.at, used_tap = wanted.gate_id || '/' || wanted.tap_id
        WHERE p.id = (SELECT s.id FROM staff_passes s
                       WHERE s.station_id = wanted.station_id
                         AND s.bound_to IN (pass_first[wanted.ord + 1], pass_second[wanted.ord + 1])
                         AND s.used_at IS NULL AND s.expires_at > wanted.at AND s.issued_at <= wanted.at
                       ORDER BY s.bound_kind DESC, s.expires_at LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING p.id, (SELECT v.person_key FROM staff_verifications v WHERE v.id = p.verification_id)
        INTO claimed_id, claimed_person;
      IF NOT FOUND THEN
        no_pass := no_pass || wanted.ord;
      ELSE
        pass_ids[wanted.ord + 1] := claimed_id;
        pass_people[wanted.ord + 1] := claimed_person;
      END IF;
    END LOOP;
    -- From here on a tap without its pass is left alone, like a retry.
    dup := dup || no_pass;
  END IF;

  -- 1. Venue-only check-ins (checkpoint scans, desk registrations) have no code or journey to
  --    serialise a retry on, so their receipt is claimed first; its result is known already.
  IF any_venue THEN
    WITH ins AS (
      INSERT INTO tap_receipts AS r (station_id, gate_id, tap_id, created_at, result, mode,
                                     check_in_id, policy_version, fingerprint, deadline)
      SELECT i.station_id, i.device, i.tap_id, i.at, 'admitted', i.mode, i.check_in_id,
             i.policy_version, i.fingerprint, i.deadline
        FROM unnest(input) i WHERE i.venue_only AND NOT i.ord = ANY(dup) ORDER BY i.ord
      ON CONFLICT DO NOTHING RETURNING r.station_id, r.gate_id, r.tap_id)
    SELECT dup || coalesce(array_agg(i.ord), '{}') INTO dup FROM unnest(input) i
      WHERE i.venue_only AND NOT i.ord = ANY(dup)
        AND (i.station_id, i.device, i.tap_id) NOT IN (SELECT ins.station_id, ins.gate_id, ins.tap_id FROM ins);
  END IF;

  -- 2. A ride code opens at most one entry. (NOT IN over the CTE is a hashed lookup.)
  IF any_jti THEN
    WITH won AS (
      INSERT INTO ride_code_uses (jti, expires_at)
      SELECT i.jti, coalesce(i.jti_expires_at, i.at) FROM unnest(input) i
        WHERE NOT i.venue_only AND i.mode = 'entry' AND i.jti IS NOT NULL AND NOT i.ord = ANY(dup)
      ON CONFLICT DO NOTHING RETURNING ride_code_uses.jti)
    SELECT coalesce(array_agg(i.ord), '{}') INTO replayed FROM unnest(input) i
      WHERE NOT i.venue_only AND i.mode = 'entry' AND i.jti IS NOT NULL AND NOT i.ord = ANY(dup)
        AND i.jti NOT IN (SELECT won.jti FROM won);
  END IF;

  -- 3. Anti-passback: an entry needs the traveller outside, or an entry older than the bound.
  IF any_entry THEN
    WITH entered AS (
      INSERT INTO journeys AS j (traveller, inside, station_id, changed_at)
      SELECT i.traveller, true, i.station_id, i.at FROM unnest(input) i
        WHERE NOT i.venue_only AND i.mode = 'entry' AND NOT i.ord = ANY(dup) AND NOT i.ord = ANY(replayed)
      ON CONFLICT (traveller) DO UPDATE
        SET inside = true, station_id = EXCLUDED.station_id, changed_at = EXCLUDED.changed_at
        WHERE NOT j.inside OR j.changed_at < EXCLUDED.changed_at - make_interval(secs => passback_ms / 1000)
      RETURNING j.traveller)
    SELECT coalesce(array_agg(i.ord), '{}') INTO blocked FROM unnest(input) i
      WHERE NOT i.venue_only AND i.mode = 'entry' AND NOT i.ord = ANY(dup) AND NOT i.ord = ANY(replayed)
        AND i.traveller NOT IN (SELECT e.traveller FROM entered e);
    -- A code that did not open an entry may still be used once its rider is out.
    IF cardinality(blocked) > 0 THEN
      DELETE FROM ride_code_uses u USING unnest(input) i WHERE i.ord = ANY(blocked) AND u.jti = i.jti;
    END IF;
  END IF;

  -- A pass claimed for an entry that did not open is still its holder's.
  IF cardinality(pass_ids) > 0 AND cardinality(replayed || blocked) > 0 THEN
    UPDATE staff_passes p SET used_at = NULL, used_tap = NULL
      FROM unnest(replayed || blocked) AS o(ord) WHERE p.id = pass_ids[o.ord + 1];
  END IF;

  -- 4. The other taps' receipts, each created with its result.
  IF any_entry OR any_exit THEN
    WITH ins AS (
      INSERT INTO tap_receipts AS r (station_id, gate_id, tap_id, created_at, result, mode,
                                     check_in_id, policy_version, fingerprint, deadline)
      SELECT i.station_id, i.device, i.tap_id, i.at,
             CASE WHEN i.ord = ANY(replayed) THEN 'replayed'
                  WHEN i.ord = ANY(blocked) THEN 'already-inside' ELSE 'admitted' END,
             i.mode,
             CASE WHEN i.mode = 'entry' AND NOT i.ord = ANY(replayed) AND NOT i.ord = ANY(blocked)
                  THEN i.check_in_id END,
             i.policy_version, i.fingerprint, i.deadline
        FROM unnest(input) i WHERE NOT i.venue_only AND NOT i.ord = ANY(dup) ORDER BY i.ord
      ON CONFLICT DO NOTHING RETURNING r.station_id, r.gate_id, r.tap_id)
    SELECT coalesce(array_agg(i.ord), '{}') INTO lost FROM unnest(input) i
      WHERE NOT i.venue_only AND NOT i.ord = ANY(dup)
        AND (i.station_id, i.device, i.tap_id) NOT IN (SELECT ins.station_id, ins.gate_id, ins.tap_id FROM ins);
    IF cardinality(lost) > 0 THEN
      -- The same tap, decided at the same time by another instance that committed first. An
      -- entry this batch admitted has already taken a code and a journey: start over.
      IF EXISTS (SELECT 1 FROM unnest(input) i WHERE i.ord = ANY(lost) AND i.mode = 'entry'
                    AND NOT i.ord = ANY(replayed) AND NOT i.ord = ANY(blocked)) THEN
        RAISE EXCEPTION 'a tap was admitted by two transactions at once'
          USING ERRCODE = 'serialization_failure';
      END IF;
      dup := dup || lost;
    END IF;
  END IF;

  -- 5. Check-ins: admitted entries and venue-only passes. One a staff pass opened names the
  --    person its verification was about, when it named one, so a trace by ID number finds it.
  INSERT INTO check_ins (id, checked_in_at, rider_id, medium, station_id, gate_id, tap_id,
                         policy_version, policy_hash, person_key)
    SELECT i.check_in_id, i.at, i.rider_id, i.medium, i.station_id, i.gate_id, i.tap_id,
           i.policy_version, i.policy_hash, coalesce(i.person_key, pass_people[i.ord + 1])
      FROM unnest(input) i
      WHERE (i.mode = 'entry' OR i.venue_only) AND NOT i.ord = ANY(dup)
        AND NOT i.ord = ANY(replayed) AND NOT i.ord = ANY(blocked);

  -- 6. Exits close the journey.
  IF any_exit THEN
    UPDATE journeys SET inside = false, changed_at = i.at FROM unnest(input) i
      WHERE NOT i.venue_only AND i.mode = 'exit' AND NOT i.ord = ANY(dup)
        AND journeys.traveller = i.traveller;
  END IF;

  -- 7. Results. The batch's own come from what it decided (the caller knows the rest);
  --    a retry's from its receipt.
  RETURN QUERY
    SELECT i.ord,
           CASE WHEN i.ord = ANY(replayed) THEN 'replayed'
                WHEN i.ord = ANY(blocked) THEN 'already-inside' ELSE 'admitted' END,
           NULL::timestamptz, NULL::text, NULL::uuid, NULL::text
      FROM unnest(input) i WHERE NOT i.ord = ANY(dup);
  RETURN QUERY
    SELECT o.ord, 'no-pass', NULL::timestamptz, NULL::text, NULL::uuid, NULL::text
      FROM unnest(no_pass) AS o(ord);
  IF cardinality(dup) > cardinality(no_pass) THEN
    RETURN QUERY
      SELECT i.ord,
             CASE WHEN r.fingerprint IS NOT NULL AND r.fingerprint <> i.fingerprint THEN 'mismatch'
                  ELSE 'duplicate:' || coalesce(r.result, '') END,
             r.created_at, r.mode, r.check_in_id, r.policy_version
        FROM unnest(input) i
        JOIN tap_receipts r ON (r.station_id, r.gate_id, r.tap_id) = (i.station_id, i.device, i.tap_id)
        WHERE i.ord = ANY(dup) AND NOT i.ord = ANY(no_pass);
  END IF;
END
$fn$;

-- The fence: a receipt (so its tap's admission) commits only before its tap's deadline. It runs
-- at COMMIT as a deferred constraint trigger, after the transaction's other triggers on the same
-- row (the name sorts last): past the deadline the tap has been, or is about to be, answered
-- "not open", so the whole transaction is rolled back instead.
CREATE OR REPLACE FUNCTION tap_receipt_deadline_fence() RETURNS trigger
LANGUAGE plpgsql AS $fn$
BEGIN
  IF clock_timestamp() > NEW.deadline THEN
    RAISE EXCEPTION 'tap % reached COMMIT after its deadline', NEW.tap_id
      USING ERRCODE = 'query_canceled';
  END IF;
  RETURN NULL;
END
$fn$;

-- What a commit that landed after its tap was answered leaves behind, released: the check-in is
-- kept but void with the reason, the ride code may be used again, the traveller is outside, a
-- staff pass it spent is its holder's again, and the receipt is gone so the gate's retry is
-- decided afresh. Returns the check-ins voided.
CREATE OR REPLACE FUNCTION void_admissions(
  station_ids text[], devices text[], tap_ids text[], ats_ms double precision[],
  modes text[], travellers text[], jtis text[], check_in_ids uuid[], venue_only boolean[],
  reason text)
RETURNS int
LANGUAGE plpgsql
SET enable_seqscan = off
AS $fn$
DECLARE
  voided int;
BEGIN
  WITH k AS (
    SELECT * FROM unnest(station_ids, devices, tap_ids, ats_ms, modes, travellers, jtis,
                         check_in_ids, venue_only)
      AS k(station_id, device, tap_id, at_ms, mode, traveller, jti, check_in_id, venue_only))
  -- Only receipts of this attempt (its check-in id): a later decision of the tap stays.
  DELETE FROM tap_receipts r USING k
    WHERE (r.station_id, r.gate_id, r.tap_id) = (k.station_id, k.device, k.tap_id)
      AND r.result = 'admitted' AND r.check_in_id IS NOT DISTINCT FROM
          CASE WHEN k.mode = 'entry' OR k.venue_only THEN k.check_in_id END;
  UPDATE check_ins c SET voided_at = clock_timestamp(), void_reason = reason
    FROM unnest(check_in_ids, ats_ms, modes, venue_only) AS k(id, at_ms, mode, venue_only)
    WHERE (k.mode = 'entry' OR k.venue_only) AND c.id = k.id
      AND c.checked_in_at = to_timestamp(k.at_ms / 1000) AND c.voided_at IS NULL;
  GET DIAGNOSTICS voided = ROW_COUNT;
  DELETE FROM ride_code_uses u
    USING unnest(jtis, modes, venue_only) AS k(jti, mode, venue_only)
    WHERE k.mode = 'entry' AND NOT k.venue_only AND u.jti = k.jti;
  -- The journey goes back outside only while it is still this entry's.
  UPDATE journeys j SET inside = false
    FROM unnest(travellers, station_ids, ats_ms, modes, venue_only)
      AS k(traveller, station_id, at_ms, mode, venue_only)
    WHERE k.mode = 'entry' AND NOT k.venue_only AND j.traveller = k.traveller AND j.inside
      AND j.station_id = k.station_id AND j.changed_at = to_timestamp(k.at_ms / 1000);
  -- Only this attempt's claim (its tap and time): a pass a later attempt claimed stays spent.
  UPDATE staff_passes p SET used_at = NULL, used_tap = NULL
    FROM unnest(station_ids, devices, tap_ids, ats_ms, modes, venue_only)
      AS k(station_id, gate_id, tap_id, at_ms, mode, venue_only)
    WHERE k.mode = 'entry' AND NOT k.venue_only AND p.used_tap = k.gate_id || '/' || k.tap_id
      AND p.station_id = k.station_id AND p.used_at = to_timestamp(k.at_ms / 1000);
  RETURN voided;
END
$fn$;
