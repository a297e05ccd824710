-- 100_policy.sql - suppression policy: thresholds, per-address state, log.
--
-- The policy of bounced-reasons(7) ("Suppression policy"), as SQL functions
-- that derive an address's state from its outcomes alone, so that the same
-- code serves every batch of ingest, `bounced recompute` after a threshold
-- change, and `bounced reprocess` after a reclassification:
--
--   hard bounce                      -> suppressed at once
--   feedback with a complaint type   -> suppressed at once (abuse by default)
--   soft outcomes (soft groups)      -> suppressed once N outcomes from N
--                                       distinct original messages span more
--                                       than D days; a later delivered
--                                       outcome starts the count again
--   sender, content, recipient-policy, provider, message groups, vacation,
--   delivered                        -> never suppress
--
-- State diagram of one address (policy suppression is sticky: only an
-- operator lifts it, and only for outcomes up to that moment):
--
--            hard / complaint / soft threshold
--   active ------------------------------------> suppressed (policy)
--     ^  \                                         |
--     |   \ bounced suppress                       | bounced unsuppress
--     |    `-----------> suppressed (operator)     v
--     `------------------------------------- active (operator; outcomes
--             bounced unsuppress                  after that moment count)
--
-- Invariants:
--  1. recipients.suppressed is always what bounce.recompute_recipient()
--     derives from the outcomes, the operator's last decision and the
--     current policy; every change of it adds a suppression_log row.
--  2. The thresholds live in bounce.policy (one row); its version grows by
--     one at every change, and each recipients row records the version it
--     was computed with, so addresses not yet recomputed can be found.
--  3. Outcomes with action 'delayed' never count: the MTA is still trying.
--  4. Whoever inserts outcomes (bounced ingest, or anything else) gets the
--     policy applied in the same transaction, by the trigger apply_policy;
--     whoever changes outcomes in place (bounced reprocess) calls
--     bounce.recompute_recipients itself.

-- ---- policy ---------------------------------------------------------------

CREATE TABLE bounce.policy (
  id              boolean PRIMARY KEY DEFAULT true CHECK (id),
  version         integer NOT NULL DEFAULT 1,
  soft_count      integer NOT NULL DEFAULT 3 CHECK (soft_count >= 1),
  soft_days       integer NOT NULL DEFAULT 14 CHECK (soft_days >= 0),
  soft_groups     text[] NOT NULL DEFAULT '{recipient,mailbox,infrastructure,unknown}',
  complaint_types text[] NOT NULL DEFAULT '{abuse}',
  updated_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE bounce.policy IS
  'The suppression policy in force (one row).  Set by bounced recompute from the configuration file; read by every writer.';
COMMENT ON COLUMN bounce.policy.id IS 'Always true: the table has one row.';
COMMENT ON COLUMN bounce.policy.version IS 'Grows by one at each change of the thresholds.';
COMMENT ON COLUMN bounce.policy.soft_count IS 'Soft outcomes (from distinct original messages) that suppress an address.';
COMMENT ON COLUMN bounce.policy.soft_days IS 'The soft outcomes must span more than this many days.';
COMMENT ON COLUMN bounce.policy.soft_groups IS
  'Reason groups whose outcomes (when not hard bounces) count as soft bounces.';
COMMENT ON COLUMN bounce.policy.complaint_types IS
  'Feedback-Type values (lower case) of feedback reports that suppress at once.';
COMMENT ON COLUMN bounce.policy.updated_at IS 'When the policy last changed.';
INSERT INTO bounce.policy DEFAULT VALUES;

-- Stores new thresholds; bumps the version only when something changed.
-- Returns the version in force afterwards.
CREATE FUNCTION bounce.set_policy(p_soft_count integer, p_soft_days integer,
                                  p_complaint_types text[] DEFAULT NULL)
RETURNS integer LANGUAGE plpgsql AS $$
DECLARE
  v integer;
BEGIN
  UPDATE bounce.policy
     SET version = version + 1,
         soft_count = p_soft_count,
         soft_days = p_soft_days,
         complaint_types = COALESCE(p_complaint_types, complaint_types),
         updated_at = now()
   WHERE (soft_count, soft_days, complaint_types)
         IS DISTINCT FROM (p_soft_count, p_soft_days, COALESCE(p_complaint_types, complaint_types))
  RETURNING version INTO v;
  IF v IS NULL THEN
    SELECT version INTO v FROM bounce.policy;
  END IF;
  RETURN v;
END $$;
COMMENT ON FUNCTION bounce.set_policy(integer, integer, text[]) IS
  'Sets the suppression thresholds (soft count, soft span in days, complaint feedback types); bumps the policy version when they change; returns the version.';

-- ---- per-address state ----------------------------------------------------

ALTER TABLE bounce.recipients
  ADD COLUMN suppressed            boolean NOT NULL DEFAULT false,
  ADD COLUMN suppressed_at         timestamptz,
  ADD COLUMN suppressed_reason     text,
  ADD COLUMN suppressed_message_id bigint,
  ADD COLUMN suppressed_ordinal    integer,
  ADD COLUMN soft_streak           integer NOT NULL DEFAULT 0,
  ADD COLUMN soft_streak_since     timestamptz,
  ADD COLUMN operator_action       text CHECK (operator_action IN ('suppress', 'unsuppress')),
  ADD COLUMN operator_at           timestamptz,
  ADD COLUMN operator_note         text,
  ADD COLUMN policy_version        integer;
COMMENT ON COLUMN bounce.recipients.suppressed IS 'Whether mail to the address should stop (see bounce.suppression_list).';
COMMENT ON COLUMN bounce.recipients.suppressed_at IS
  'When it was suppressed: event time of the deciding outcome, or the time of the operator command.';
COMMENT ON COLUMN bounce.recipients.suppressed_reason IS
  'Why, in words: "hard bounce: userunknown", "complaint: abuse", "soft bounces: 3 messages over 15 days", "operator: ...".';
COMMENT ON COLUMN bounce.recipients.suppressed_message_id IS 'Message of the deciding outcome (NULL for an operator decision).';
COMMENT ON COLUMN bounce.recipients.suppressed_ordinal IS 'Ordinal of the deciding outcome in its message.';
COMMENT ON COLUMN bounce.recipients.soft_streak IS
  'Distinct original messages with a soft outcome since the last delivered outcome (or operator unsuppress).';
COMMENT ON COLUMN bounce.recipients.soft_streak_since IS 'Event time of the first soft outcome of the streak.';
COMMENT ON COLUMN bounce.recipients.operator_action IS
  'Last operator decision: suppress (stays suppressed) or unsuppress (only later outcomes count); NULL if none.';
COMMENT ON COLUMN bounce.recipients.operator_at IS 'When the operator decided.';
COMMENT ON COLUMN bounce.recipients.operator_note IS 'The --reason text the operator gave.';
COMMENT ON COLUMN bounce.recipients.policy_version IS 'bounce.policy.version the state was computed with (NULL: never).';

CREATE INDEX recipients_suppressed_idx ON bounce.recipients (address) WHERE suppressed;
CREATE INDEX recipients_policy_version_idx ON bounce.recipients (policy_version);

-- ---- suppression log ------------------------------------------------------

CREATE TABLE bounce.suppression_log (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  address          text NOT NULL,
  logged_at        timestamptz NOT NULL DEFAULT now(),
  change           text NOT NULL CHECK (change IN ('suppressed', 'unsuppressed')),
  reason           text,
  message_id       bigint,
  ordinal          integer,
  event_time       timestamptz,
  operator_command text,
  db_user          text NOT NULL DEFAULT current_user,
  policy_version   integer
);
COMMENT ON TABLE bounce.suppression_log IS
  'Every change of recipients.suppressed: which address, when, what changed, and the outcome (message_id, ordinal) or operator command that caused it.';
COMMENT ON COLUMN bounce.suppression_log.id IS 'Surrogate key, in the order of the changes.';
COMMENT ON COLUMN bounce.suppression_log.address IS 'The address (lower case).';
COMMENT ON COLUMN bounce.suppression_log.logged_at IS 'When the change was made (transaction time).';
COMMENT ON COLUMN bounce.suppression_log.change IS 'suppressed or unsuppressed.';
COMMENT ON COLUMN bounce.suppression_log.reason IS 'Why, in words (as recipients.suppressed_reason, or what lifted it).';
COMMENT ON COLUMN bounce.suppression_log.message_id IS 'Message of the outcome that caused it, if an outcome did.';
COMMENT ON COLUMN bounce.suppression_log.ordinal IS 'Ordinal of that outcome.';
COMMENT ON COLUMN bounce.suppression_log.event_time IS 'Event time of that outcome.';
COMMENT ON COLUMN bounce.suppression_log.operator_command IS
  'The command that caused it: "bounced suppress", "bounced unsuppress", "bounced recompute", "bounced reprocess"; NULL for ingest.';
COMMENT ON COLUMN bounce.suppression_log.db_user IS 'Database role that made the change.';
COMMENT ON COLUMN bounce.suppression_log.policy_version IS 'Policy version in force.';

CREATE INDEX suppression_log_address_idx ON bounce.suppression_log (address, logged_at);
CREATE INDEX suppression_log_logged_at_idx ON bounce.suppression_log (logged_at);

-- ---- the policy, as a function ---------------------------------------------

-- Recomputes the state of one address (lower case) from its outcomes, the
-- operator's decision and the policy; also, with p_counters, the counters
-- and latest-outcome columns (after outcomes were reclassified).  Logs a
-- change of `suppressed` with p_command.  Returns whether it changed.
CREATE FUNCTION bounce.recompute_recipient(p_address text, p_command text DEFAULT NULL,
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

  -- Outcomes in the order every writer agrees on (event time, message,
  -- ordinal); after an operator unsuppress only later outcomes count.
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
      CONTINUE;
    END IF;
    CONTINUE WHEN o.action = 'delayed';
    CONTINUE WHEN sup;    -- already decided; keep counting nothing more
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

  -- Counters are the store's to keep up to date during ingest; after a
  -- reclassification they are derived again here (schema invariant 3).
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

-- The same for many addresses, in address order (so that concurrent callers
-- lock rows in one order and never deadlock).  Returns how many changed.
CREATE FUNCTION bounce.recompute_recipients(p_addresses text[], p_command text DEFAULT NULL,
                                            p_counters boolean DEFAULT false)
RETURNS integer LANGUAGE sql AS $$
  SELECT count(*) FILTER (WHERE bounce.recompute_recipient(a, p_command, p_counters))::integer
    FROM (SELECT DISTINCT lower(x) AS a FROM unnest(p_addresses) AS x
           WHERE x IS NOT NULL ORDER BY 1) s;
$$;
COMMENT ON FUNCTION bounce.recompute_recipients(text[], text, boolean) IS
  'bounce.recompute_recipient for each address of the array (lower-cased, in order); returns how many changed.';

-- Operator decisions.  Both create the recipients row for an address never
-- seen, so that an address can be suppressed before it ever bounces.
CREATE FUNCTION bounce.operator_set(p_address text, p_action text, p_note text)
RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE
  a text := lower(p_address);
BEGIN
  IF p_action NOT IN ('suppress', 'unsuppress') THEN
    RAISE EXCEPTION 'invalid operator action "%"', p_action;
  END IF;
  INSERT INTO bounce.recipients (address, domain, first_event_time, last_event_time,
                                 last_message_id, last_reason, last_hard_bounce)
  VALUES (a, NULLIF(substring(a FROM '@([^@]*)$'), ''), now(), now(), 0, 'undefined', false)
  ON CONFLICT (address) DO NOTHING;
  UPDATE bounce.recipients
     SET operator_action = p_action, operator_at = now(), operator_note = p_note
   WHERE address = a;
  RETURN bounce.recompute_recipient(a, 'bounced ' || p_action, false);
END $$;
COMMENT ON FUNCTION bounce.operator_set(text, text, text) IS
  'Records an operator decision (suppress or unsuppress, with a note) for an address and recomputes it; returns whether suppressed changed.';

-- Every writer of outcomes gets the policy applied in its own transaction:
-- a statement-level trigger with a transition table (one call per batch,
-- not per row).  It fires at the end of the whole statement, so with the
-- store's single INSERT ... WITH statement (messages, outcomes, recipients
-- counters) the recipients rows exist when the policy runs.
CREATE FUNCTION bounce.apply_policy_to_new_outcomes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM bounce.recompute_recipients(
    array(SELECT DISTINCT lower(recipient) FROM new_outcomes WHERE recipient IS NOT NULL));
  RETURN NULL;
END $$;
COMMENT ON FUNCTION bounce.apply_policy_to_new_outcomes() IS
  'Trigger function: recomputes the addresses of the outcomes a statement inserted.';

CREATE TRIGGER apply_policy AFTER INSERT ON bounce.recipient_outcomes
  REFERENCING NEW TABLE AS new_outcomes
  FOR EACH STATEMENT EXECUTE FUNCTION bounce.apply_policy_to_new_outcomes();
