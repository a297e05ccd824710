-- 171_suppression_export.sql - when an address's suppression last changed,
-- the changes since a time for mailers, and a role that reads only that.
--
-- recipients.changed_at is the transaction time of the last change of
-- `suppressed`.  Triggers keep it, whoever writes the row (the policy
-- trigger, bounced recompute, an operator command, or any later writer of
-- recipients), and their WHEN clauses make an unchanged row cost nothing.
--
-- A mailer keeps its copy of the list in step with either
--   SELECT address FROM bounce.suppression_list             (the whole list)
-- or
--   SELECT * FROM bounce.suppression_changes(since)         (what changed)
-- where each address changed at or after `since` comes once, with its
-- current state: added (suppressed now) or lifted (not suppressed now).
-- Applying a change twice is harmless, so windows may overlap: a
-- transaction that began before a read and committed after it carries a
-- changed_at before that read, hence the advice (bounced(1)) to ask from a
-- few minutes before the previous read.

ALTER TABLE bounce.recipients ADD COLUMN changed_at timestamptz;
COMMENT ON COLUMN bounce.recipients.changed_at IS
  'When suppressed last changed (transaction time); NULL when the address was never suppressed.';

UPDATE bounce.recipients r SET changed_at = l.at
  FROM (SELECT address, max(logged_at) AS at FROM bounce.suppression_log GROUP BY 1) l
 WHERE l.address = r.address;

CREATE INDEX recipients_changed_at_idx ON bounce.recipients (changed_at)
  WHERE changed_at IS NOT NULL;

CREATE FUNCTION bounce.note_suppression_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.changed_at := now();
  RETURN NEW;
END $$;
COMMENT ON FUNCTION bounce.note_suppression_change() IS
  'Trigger function: sets recipients.changed_at when suppressed changes.';

CREATE TRIGGER suppression_changed BEFORE UPDATE ON bounce.recipients
  FOR EACH ROW WHEN (OLD.suppressed IS DISTINCT FROM NEW.suppressed)
  EXECUTE FUNCTION bounce.note_suppression_change();
CREATE TRIGGER suppression_inserted BEFORE INSERT ON bounce.recipients
  FOR EACH ROW WHEN (NEW.suppressed)
  EXECUTE FUNCTION bounce.note_suppression_change();

-- The list a mailer reads, now with changed_at (a column added at the end).
CREATE OR REPLACE VIEW bounce.suppression_list AS
  SELECT address, domain, suppressed_at, suppressed_reason AS reason,
         CASE WHEN operator_action = 'suppress' THEN 'operator' ELSE 'policy' END AS source,
         suppressed_message_id AS message_id, last_event_time, changed_at
    FROM bounce.recipients
   WHERE suppressed;
COMMENT ON COLUMN bounce.suppression_list.changed_at IS 'When the address was (last) suppressed, transaction time.';

-- What changed at or after p_since.  SECURITY DEFINER: the mailer role
-- reads bounce.recipients through this function only.
CREATE FUNCTION bounce.suppression_changes(p_since timestamptz)
RETURNS TABLE (address text, change text, domain text, suppressed_at timestamptz,
               reason text, source text, changed_at timestamptz)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
  SELECT r.address::text,
         CASE WHEN r.suppressed THEN 'added' ELSE 'lifted' END,
         r.domain,
         CASE WHEN r.suppressed THEN r.suppressed_at END,
         CASE WHEN r.suppressed THEN r.suppressed_reason
              ELSE (SELECT l.reason FROM bounce.suppression_log l
                     WHERE l.address = r.address AND l.change = 'unsuppressed'
                     ORDER BY l.logged_at DESC, l.id DESC LIMIT 1) END,
         CASE WHEN r.suppressed THEN
                CASE WHEN r.operator_action = 'suppress' THEN 'operator' ELSE 'policy' END
              WHEN r.operator_action = 'unsuppress' THEN 'operator' ELSE 'policy' END,
         r.changed_at
    FROM bounce.recipients r
   WHERE r.changed_at >= p_since
   ORDER BY r.changed_at, r.address
$$;
COMMENT ON FUNCTION bounce.suppression_changes(timestamptz) IS
  'Addresses whose suppression changed at or after the argument, each once with its state now: added (suppressed) or lifted; with when and why.';
REVOKE EXECUTE ON FUNCTION bounce.suppression_changes(timestamptz) FROM PUBLIC;

-- ---- the mailer's role -----------------------------------------------------

DO $$
DECLARE
  may boolean;
BEGIN
  SELECT rolsuper OR rolcreaterole INTO may FROM pg_roles WHERE rolname = current_user;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bounced_mailer') AND may THEN
    CREATE ROLE bounced_mailer NOLOGIN;
    COMMENT ON ROLE bounced_mailer IS
      'Mailers: read bounce.suppression_list and bounce.suppression_changes(), nothing else.';
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bounced_mailer') THEN
    GRANT USAGE ON SCHEMA bounce TO bounced_mailer;
    GRANT SELECT ON bounce.suppression_list TO bounced_mailer;
    GRANT EXECUTE ON FUNCTION bounce.suppression_changes(timestamptz) TO bounced_mailer;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bounced_reader') THEN
    GRANT EXECUTE ON FUNCTION bounce.suppression_changes(timestamptz) TO bounced_reader;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bounced_ingest') THEN
    GRANT EXECUTE ON FUNCTION bounce.suppression_changes(timestamptz) TO bounced_ingest;
  END IF;
END $$;
