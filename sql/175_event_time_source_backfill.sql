-- 175_event_time_source_backfill.sql - event_time_source for the outcomes
-- stored before migration 172 recorded it.
--
-- Before 172, ingest dated an outcome with the first of: the recipient's
-- Last-Attempt-Date, the report's Arrival-Date, the bounce's Date header,
-- the ingest time; those values are still in the rows (last_attempt,
-- messages.arrival_date, message_date, ingested_at).  So the source is
-- derived where the event time equals one of them, in that order; a row
-- whose event time equals none of them (changed by hand, or by a version
-- that dated otherwise) says 'unknown', rather than a guess.  Rows stored
-- since 172 have their source already and are left alone.

DO $$
DECLARE
  c text;
BEGIN
  -- The CHECK of 172 (named by PostgreSQL), widened to allow 'unknown'.
  FOR c IN
    SELECT conname FROM pg_constraint
     WHERE conrelid = 'bounce.recipient_outcomes'::regclass AND contype = 'c'
       AND pg_get_constraintdef(oid) LIKE '%event_time_source%'
  LOOP
    EXECUTE format('ALTER TABLE bounce.recipient_outcomes DROP CONSTRAINT %I', c);
  END LOOP;
END $$;

ALTER TABLE bounce.recipient_outcomes ADD CONSTRAINT recipient_outcomes_event_time_source_check
  CHECK (event_time_source IN ('last-attempt', 'arrival-date', 'message-date',
                               'maildir-name', 'file-mtime', 'ingest', 'unknown'));

UPDATE bounce.recipient_outcomes o
   SET event_time_source =
       CASE WHEN o.event_time = o.last_attempt THEN 'last-attempt'
            WHEN o.event_time = m.arrival_date THEN 'arrival-date'
            WHEN o.event_time = m.message_date THEN 'message-date'
            WHEN o.event_time = m.ingested_at THEN 'ingest'
            ELSE 'unknown' END
  FROM bounce.messages m
 WHERE m.id = o.message_id AND o.event_time_source IS NULL;

COMMENT ON COLUMN bounce.recipient_outcomes.event_time_source IS
  'What event_time was taken from: last-attempt, arrival-date, message-date, maildir-name (the delivery time in the Maildir file name), file-mtime, or ingest; for rows stored before bounced recorded it (migration 172), derived by migration 175 where the event time equals one of those values, else unknown.';
