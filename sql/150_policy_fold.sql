-- 150_policy_fold.sql - the suppression policy folded set-based into each
-- batch, from the batch's outcomes and each address's stored state.
--
-- Why: until now the trigger apply_policy called recompute_recipient() for
-- every address of a batch, which reads the address's whole history (five
-- statements per address, most of the server's time per message), and
-- costs more the more an address has bounced.  The policy only needs, per
-- address, the state it reached: whether it is suppressed, the soft-bounce
-- streak (distinct messages, since when) and how far in the order of
-- outcomes that state goes.  With those in the row, one statement per
-- batch folds the batch's outcomes into every address at once.
--
-- The order of outcomes is the one every writer agrees on: (event time,
-- message id, ordinal).  The fold walks the batch's outcomes of an address
-- in that order exactly as recompute_recipient() walks its history:
--
--   delivered                       -> streak reset (even once suppressed)
--   delayed                         -> nothing
--   hard bounce                     -> suppressed (unless already)
--   feedback of a complaint type    -> suppressed (unless already)
--   soft (soft groups, not hard)    -> message added to the streak (once per
--                                      message), the streak's first event
--                                      time kept; suppressed when the streak
--                                      has soft_count messages spanning more
--                                      than soft_days days
--
-- Cases, per address of the batch (the writer's upsert has locked its row):
--
--   A. suppressed under the current policy version: left alone, as since
--      migration 130 (no new outcome lifts a suppression or moves it
--      earlier; bounced unsuppress and bounced recompute do).
--   B. state of another policy version (thresholds changed since, or a row
--      older than the policy): recompute_recipient(), the full
--      recomputation, as before.
--   C. an outcome that counts sorts before the last outcome the state took
--      in (policy_last_time, policy_last_message_id): it arrived late, and
--      its place in the history matters (a delivered outcome between two
--      soft ones, a soft one that widens the span), so the address is
--      recomputed in full too.  Bounces arrive roughly in event order; this
--      is the exception.
--   D. otherwise every counting outcome of the batch comes after the whole
--      stored state, and the fold from that state is exact: it gives what
--      recompute_recipient() would derive from the whole history.  The
--      batch's messages are new (schema invariant 2: outcomes are written
--      only with their new message), so none of them is already in the
--      stored streak, and the distinct-message rule needs no list of the
--      streak's messages.
--
-- Invariants (in addition to those of 100_policy.sql):
--  1. policy_last_time/policy_last_message_id is the key of the latest
--     delivered or soft outcome the policy counted for a non-suppressed
--     address (after an operator unsuppress: only outcomes after it), NULL
--     when there is none or the address is suppressed.  Every path that
--     writes the policy state (the fold, recompute_recipient) sets it.
--  2. After every batch, each row is what the path of migration 130 gives:
--     recompute_recipient() for every address of the batch that was not
--     suppressed under the current policy (tests/test-policy-fold.py runs
--     both over the same random histories and compares every row and the
--     log).
--  3. No statement of the fold reads recipient_outcomes: its inputs are the
--     statement's transition table and the recipients rows.

-- ---- state the fold needs ---------------------------------------------------

ALTER TABLE bounce.recipients
  ADD COLUMN policy_last_time       timestamptz,
  ADD COLUMN policy_last_message_id bigint;
COMMENT ON COLUMN bounce.recipients.policy_last_time IS
  'Event time of the latest delivered or soft outcome the policy counted (NULL when none, or when suppressed): a later-arriving outcome that sorts before it is folded by a full recomputation of the address.';
COMMENT ON COLUMN bounce.recipients.policy_last_message_id IS
  'Message of that outcome (with policy_last_time, the place in the order of outcomes: event time, message id).';

-- Rows computed before this migration: the key of the latest counted
-- outcome of each address that is not suppressed (the policy has counted
-- every delivered and soft outcome of such an address).  One index scan
-- per address (recipient_outcomes_recipient_time_idx).
UPDATE bounce.recipients r
   SET (policy_last_time, policy_last_message_id) = (
         SELECT o.event_time, o.message_id
           FROM bounce.recipient_outcomes o
           CROSS JOIN bounce.policy p
           LEFT JOIN bounce.reasons g ON g.reason = o.reason
          WHERE lower(o.recipient) = r.address
            AND (r.operator_action IS DISTINCT FROM 'unsuppress' OR o.event_time > r.operator_at)
            AND (o.reason = 'delivered'
                 OR (o.action IS DISTINCT FROM 'delayed' AND NOT o.hard_bounce
                     AND g.grp = ANY (p.soft_groups)))
          ORDER BY o.event_time DESC, o.message_id DESC
          LIMIT 1)
 WHERE NOT r.suppressed AND r.outcomes > 0;

-- ---- the full recomputation, now also keeping policy_last_* ----------------

-- The body of 100_policy.sql, unchanged but for the two policy_last_*
-- variables (marked "150").
CREATE OR REPLACE FUNCTION bounce.recompute_recipient(p_address text, p_command text DEFAULT NULL,
                                                      p_counters boolean DEFAULT false)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  pol bounce.policy%ROWTYPE;
  cur bounce.recipients%ROWTYPE;
  o record;
  sup boolean := false;
  sup_at timestamptz;
  sup_reason text;
  sup_msg bigint;
  sup_ord integer;
  streak_msgs bigint[] := '{}';
  streak_since timestamptz;
  soft_span interval;
  last_time timestamptz;    -- 150
  last_msg bigint;          -- 150
BEGIN
  SELECT * INTO cur FROM bounce.recipients WHERE address = p_address FOR UPDATE;
  IF NOT FOUND THEN
    RETURN false;
  END IF;
  SELECT * INTO pol FROM bounce.policy;
  soft_span := make_interval(days => pol.soft_days);

  IF cur.operator_action = 'suppress' THEN
    sup := true;
    sup_at := cur.operator_at;
    sup_reason := 'operator: ' || COALESCE(cur.operator_note, 'bounced suppress');
  END IF;

  FOR o IN
    SELECT ro.message_id, ro.ordinal, ro.event_time, ro.reason, ro.hard_bounce,
           ro.action, lower(ro.feedback_type) AS feedback_type, r.grp
      FROM bounce.recipient_outcomes ro
      LEFT JOIN bounce.reasons r ON r.reason = ro.reason
     WHERE lower(ro.recipient) = p_address
       AND (cur.operator_action IS DISTINCT FROM 'unsuppress' OR ro.event_time > cur.operator_at)
     ORDER BY ro.event_time, ro.message_id, ro.ordinal
  LOOP
    IF o.reason = 'delivered' THEN
      streak_msgs := '{}';
      streak_since := NULL;
      last_time := o.event_time;  -- 150
      last_msg := o.message_id;   -- 150
      CONTINUE;
    END IF;
    CONTINUE WHEN o.action = 'delayed';
    CONTINUE WHEN sup;
    IF o.hard_bounce THEN
      sup := true;
      sup_reason := 'hard bounce: ' || o.reason;
    ELSIF o.reason = 'feedback' AND o.feedback_type = ANY (pol.complaint_types) THEN
      sup := true;
      sup_reason := 'complaint: ' || o.feedback_type;
    ELSIF o.grp = ANY (pol.soft_groups) THEN
      IF NOT o.message_id = ANY (streak_msgs) THEN
        streak_msgs := streak_msgs || o.message_id;
      END IF;
      streak_since := COALESCE(streak_since, o.event_time);
      last_time := o.event_time;  -- 150
      last_msg := o.message_id;   -- 150
      IF cardinality(streak_msgs) >= pol.soft_count
         AND o.event_time - streak_since > soft_span THEN
        sup := true;
        sup_reason := format('soft bounces: %s messages over %s days (last: %s)',
                             cardinality(streak_msgs),
                             floor(extract(epoch FROM o.event_time - streak_since) / 86400)::int,
                             o.reason);
      END IF;
    END IF;
    IF sup THEN
      sup_at := o.event_time;
      sup_msg := o.message_id;
      sup_ord := o.ordinal;
    END IF;
  END LOOP;

  IF p_counters THEN
    UPDATE bounce.recipients r SET
        outcomes = c.outcomes, hard_bounces = c.hard_bounces, soft_bounces = c.soft_bounces,
        complaints = c.complaints, delivered = c.delivered,
        last_reason = c.last_reason, last_status = c.last_status,
        last_hard_bounce = c.last_hard_bounce, updated_at = now()
      FROM (
        SELECT count(*) AS outcomes,
               count(*) FILTER (WHERE ro.hard_bounce) AS hard_bounces,
               count(*) FILTER (WHERE NOT ro.hard_bounce
                                AND g.grp IN ('mailbox', 'infrastructure', 'unknown')) AS soft_bounces,
               count(*) FILTER (WHERE ro.reason = 'feedback') AS complaints,
               count(*) FILTER (WHERE ro.reason = 'delivered') AS delivered,
               (array_agg(ro.reason ORDER BY ro.event_time DESC, ro.message_id DESC, ro.ordinal DESC))[1] AS last_reason,
               (array_agg(ro.status ORDER BY ro.event_time DESC, ro.message_id DESC, ro.ordinal DESC))[1] AS last_status,
               (array_agg(ro.hard_bounce ORDER BY ro.event_time DESC, ro.message_id DESC, ro.ordinal DESC))[1] AS last_hard_bounce
          FROM bounce.recipient_outcomes ro
          LEFT JOIN bounce.reasons g ON g.reason = ro.reason
         WHERE lower(ro.recipient) = p_address
      ) c
     WHERE r.address = p_address AND c.outcomes > 0;
  END IF;

  UPDATE bounce.recipients SET
      suppressed = sup,
      suppressed_at = CASE WHEN sup THEN sup_at END,
      suppressed_reason = CASE WHEN sup THEN sup_reason END,
      suppressed_message_id = CASE WHEN sup THEN sup_msg END,
      suppressed_ordinal = CASE WHEN sup THEN sup_ord END,
      soft_streak = cardinality(streak_msgs),
      soft_streak_since = streak_since,
      policy_last_time = CASE WHEN NOT sup THEN last_time END,       -- 150
      policy_last_message_id = CASE WHEN NOT sup THEN last_msg END,  -- 150
      policy_version = pol.version
   WHERE address = p_address;

  IF sup IS DISTINCT FROM cur.suppressed THEN
    INSERT INTO bounce.suppression_log (address, change, reason, message_id, ordinal,
                                        event_time, operator_command, policy_version)
    VALUES (p_address, CASE WHEN sup THEN 'suppressed' ELSE 'unsuppressed' END,
            CASE WHEN sup THEN sup_reason
                 WHEN cur.operator_action = 'unsuppress' THEN 'operator: ' || COALESCE(cur.operator_note, 'bounced unsuppress')
                 ELSE 'no longer meets the policy (version ' || pol.version || ')' END,
            CASE WHEN sup THEN sup_msg END, CASE WHEN sup THEN sup_ord END,
            CASE WHEN sup THEN sup_at END, p_command, pol.version);
    RETURN true;
  END IF;
  RETURN false;
END $$;
COMMENT ON FUNCTION bounce.recompute_recipient(text, text, boolean) IS
  'Derives the suppression state of one address from its outcomes and the policy (and, with the third argument, its counters); logs a change; returns whether suppressed changed.';

-- ---- the fold ---------------------------------------------------------------

-- Statement-level trigger function (the trigger apply_policy of
-- 100_policy.sql): folds the outcomes of the statement (transition table
-- new_outcomes) into the recipients rows of their addresses and logs each
-- suppression; the addresses of cases B and C go to recompute_recipients.
-- The recipients rows must exist (the store's statement creates them with
-- the counters, and stamps new ones with the current policy version).
--
-- The walk, set-based: per address, the counting outcomes in order; seg is
-- the number of delivered outcomes up to and including each one (a
-- delivered outcome starts a new segment of the streak; segment 0 carries
-- on the stored streak); streak and since are the streak's size and first
-- event time after each outcome; the first outcome that suppresses ("hit")
-- decides.  After it nothing counts, but a later delivered outcome still
-- empties the streak, as in recompute_recipient().
--
-- JIT is off: the statement runs once per batch over a few thousand rows,
-- and compiling it would cost far more than running it.
CREATE OR REPLACE FUNCTION bounce.apply_policy_to_new_outcomes() RETURNS trigger
LANGUAGE plpgsql SET jit = off AS $$
DECLARE
  pol bounce.policy%ROWTYPE;
  span interval;
  full_addresses text[];
BEGIN
  SELECT * INTO pol FROM bounce.policy;
  span := make_interval(days => pol.soft_days);

  WITH cur AS (
    -- The batch's addresses, their stored state, and whether it is of
    -- another policy version (case B).
    SELECT r.address, r.suppressed, r.operator_action, r.operator_at,
           r.soft_streak, r.soft_streak_since, r.policy_last_time, r.policy_last_message_id,
           r.policy_version IS DISTINCT FROM pol.version AS other_version
      FROM bounce.recipients r
     WHERE r.address IN (SELECT lower(n.recipient) COLLATE "C" FROM new_outcomes n
                          WHERE n.recipient IS NOT NULL)
  ), ev AS (
    -- The outcomes that count, of the addresses of cases C and D, with
    -- what each is to the policy (k): d delivered, h hard, c complaint,
    -- s soft; NULL (delayed, or a group that never counts) is dropped.
    -- late: the address got one older than its state (case C).
    SELECT e.*, bool_or(e.older) OVER (PARTITION BY e.address) AS late
      FROM (
        SELECT c.address, n.message_id, n.ordinal, n.event_time, n.reason,
               lower(n.feedback_type) AS feedback_type,
               CASE WHEN n.reason = 'delivered' THEN 'd'
                    WHEN n.action = 'delayed' THEN NULL
                    WHEN n.hard_bounce THEN 'h'
                    WHEN n.reason = 'feedback'
                         AND lower(n.feedback_type) = ANY (pol.complaint_types) THEN 'c'
                    WHEN g.grp = ANY (pol.soft_groups) THEN 's' END AS k,
               COALESCE((n.event_time, n.message_id)
                        < (c.policy_last_time, c.policy_last_message_id), false) AS older
          FROM new_outcomes n
          JOIN cur c ON c.address = lower(n.recipient) COLLATE "C"
          LEFT JOIN bounce.reasons g ON g.reason = n.reason
         WHERE NOT c.suppressed AND NOT c.other_version
           AND (c.operator_action IS DISTINCT FROM 'unsuppress' OR n.event_time > c.operator_at)
      ) e
     WHERE e.k IS NOT NULL
  ), walk1 AS (
    SELECT e.*, count(*) FILTER (WHERE k = 'd') OVER w AS seg
      FROM ev e
     WHERE NOT e.late
    WINDOW w AS (PARTITION BY address ORDER BY event_time, message_id, ordinal)
  ), walk2 AS (
    SELECT w1.*,
           k = 's' AND row_number() OVER (PARTITION BY address, seg, k, message_id
                                          ORDER BY event_time, ordinal) = 1 AS new_message
      FROM walk1 w1
  ), walk AS (
    SELECT w2.*,
           CASE WHEN seg = 0 THEN c.soft_streak ELSE 0 END
             + count(*) FILTER (WHERE new_message) OVER w AS streak,
           COALESCE(CASE WHEN seg = 0 THEN c.soft_streak_since END,
                    min(event_time) FILTER (WHERE k = 's') OVER w) AS since
      FROM walk2 w2 JOIN cur c USING (address)
    WINDOW w AS (PARTITION BY address, seg ORDER BY event_time, message_id, ordinal)
  ), hit AS (
    SELECT DISTINCT ON (address) w.address, w.event_time, w.message_id, w.ordinal,
           CASE w.k WHEN 'h' THEN 'hard bounce: ' || w.reason
                    WHEN 'c' THEN 'complaint: ' || w.feedback_type
                    ELSE format('soft bounces: %s messages over %s days (last: %s)', w.streak,
                                floor(extract(epoch FROM w.event_time - w.since) / 86400)::int,
                                w.reason) END AS reason,
           w.seg, w.streak, w.since
      FROM walk w
     WHERE w.k IN ('h', 'c')
        OR (w.k = 's' AND w.streak >= pol.soft_count AND w.event_time - w.since > span)
     ORDER BY w.address, w.event_time, w.message_id, w.ordinal
  ), folded AS (
    -- The state after the batch: the last outcome's streak when nothing
    -- suppressed; else the streak when it did, emptied by a delivered
    -- outcome after it (a later segment).
    SELECT DISTINCT ON (w.address) w.address,
           h.address IS NOT NULL AS sup, h.event_time AS sup_at, h.reason AS sup_reason,
           h.message_id AS sup_msg, h.ordinal AS sup_ord,
           CASE WHEN h.address IS NULL THEN w.streak WHEN w.seg > h.seg THEN 0
                ELSE h.streak END AS streak,
           CASE WHEN h.address IS NULL THEN w.since WHEN w.seg > h.seg THEN NULL
                ELSE h.since END AS since,
           CASE WHEN h.address IS NULL THEN w.event_time END AS last_time,
           CASE WHEN h.address IS NULL THEN w.message_id END AS last_msg
      FROM walk w
      LEFT JOIN hit h USING (address)
     ORDER BY w.address, w.event_time DESC, w.message_id DESC, w.ordinal DESC
  ), updated AS (
    UPDATE bounce.recipients r SET
        suppressed = f.sup,
        suppressed_at = f.sup_at,
        suppressed_reason = f.sup_reason,
        suppressed_message_id = f.sup_msg,
        suppressed_ordinal = f.sup_ord,
        soft_streak = f.streak,
        soft_streak_since = f.since,
        policy_last_time = f.last_time,
        policy_last_message_id = f.last_msg
      FROM folded f
     WHERE r.address = f.address
       AND (r.suppressed, r.soft_streak, r.soft_streak_since, r.policy_last_time,
            r.policy_last_message_id)
           IS DISTINCT FROM (f.sup, f.streak::int, f.since, f.last_time, f.last_msg)
  ), logged AS (
    INSERT INTO bounce.suppression_log (address, change, reason, message_id, ordinal,
                                        event_time, operator_command, policy_version)
    SELECT f.address, 'suppressed', f.sup_reason, f.sup_msg, f.sup_ord, f.sup_at, NULL,
           pol.version
      FROM folded f
     WHERE f.sup
     ORDER BY f.address
  )
  SELECT array(SELECT address FROM cur WHERE other_version
               UNION
               SELECT address FROM ev WHERE late
               ORDER BY 1)
    INTO full_addresses;

  IF cardinality(full_addresses) > 0 THEN
    PERFORM bounce.recompute_recipients(full_addresses);
  END IF;
  RETURN NULL;
END $$;
COMMENT ON FUNCTION bounce.apply_policy_to_new_outcomes() IS
  'Trigger function: folds the outcomes a statement inserted into the suppression state of their addresses (set-based, from each address''s stored state; a full recomputation only for addresses whose state is of another policy version or that got an outcome older than their state), and logs each suppression.';
