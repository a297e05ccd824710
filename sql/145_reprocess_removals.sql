-- 145_reprocess_removals.sql - what bounced reprocess removes, through two
-- functions of the schema's owner.
--
-- Why: bounced reprocess brings stored outcomes up to the current parser,
-- and that removes rows: an outcome the new parse no longer gives (the
-- sender an older parser took for a recipient), and then the recipients row
-- of an address no outcome names any more.  The nightly reprocess runs as
-- the worker (bounced_ingest), which may insert and update but never delete
-- (162_ingest_privileges.sql).  These functions do those two deletions and
-- nothing else; bounced_ingest may call them, nobody else but the owner.
--
-- What they give the worker beyond its grants:
--   remove_outcomes     deleting the outcome rows it names: no more than it
--                       can do already by updating them (it may rewrite any
--                       column of an outcome); the suppression log, the
--                       policy and the migrations stay out of its reach.
--   forget_recipients   deleting a recipients row only when nothing is lost:
--                       no outcome names the address, no counted outcome is
--                       left (retention), no operator decided about it, and
--                       it was never suppressed (a mailer reading
--                       suppression_changes() must see a lift).
--
-- Both are PL/pgSQL so that their bodies are bound when first run: a fresh
-- database applies this file before 150-174 (recipients.changed_at is
-- 171's).

CREATE FUNCTION bounce.remove_outcomes(p_message_ids bigint[], p_ordinals integer[],
                                       p_event_times timestamptz[])
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  n bigint;
BEGIN
  DELETE FROM bounce.recipient_outcomes o
   USING unnest(p_message_ids, p_ordinals, p_event_times) AS k(message_id, ordinal, event_time)
   WHERE o.message_id = k.message_id AND o.ordinal = k.ordinal AND o.event_time = k.event_time;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;
COMMENT ON FUNCTION bounce.remove_outcomes(bigint[], integer[], timestamptz[]) IS
  'Deletes the outcomes of the given keys (message_id, ordinal, event_time: arrays of one length), for bounced reprocess; returns how many.';

CREATE FUNCTION bounce.forget_recipients(p_addresses text[])
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  n bigint;
BEGIN
  DELETE FROM bounce.recipients r
   WHERE r.address IN (SELECT a COLLATE "C" FROM unnest(p_addresses) AS a)
     AND r.outcomes <= 0 AND r.operator_action IS NULL AND NOT r.suppressed
     AND r.changed_at IS NULL
     AND NOT EXISTS (SELECT 1 FROM bounce.recipient_outcomes o
                      WHERE lower(o.recipient) = (r.address COLLATE "default"));
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;
COMMENT ON FUNCTION bounce.forget_recipients(text[]) IS
  'Deletes the recipients rows of the given addresses that nothing keeps (no outcome, no counted outcome, no operator decision, never suppressed), for bounced reprocess; returns how many.';

REVOKE EXECUTE ON FUNCTION bounce.remove_outcomes(bigint[], integer[], timestamptz[]) FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION bounce.forget_recipients(text[]) FROM PUBLIC;
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bounced_ingest') THEN
    GRANT EXECUTE ON FUNCTION bounce.remove_outcomes(bigint[], integer[], timestamptz[])
      TO bounced_ingest;
    GRANT EXECUTE ON FUNCTION bounce.forget_recipients(text[]) TO bounced_ingest;
  END IF;
END $$;
