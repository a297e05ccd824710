-- 172_event_time.sql - where an outcome's event time comes from, and the
-- delivery time of the file as the last witness before the ingest time.
--
-- An undated notice used to be dated at ingest, so that back-filling an
-- archive made a false spike on the day of the back-fill.  The order is
-- now: the recipient's Last-Attempt-Date, the report's Arrival-Date, the
-- bounce's Date header, the delivery time of the Maildir file (the leading
-- seconds of its name, "TIME.MUSECPPID.HOST", else its modification time),
-- and only then the ingest time.  event_time_source says which decided.
-- Rows stored before this migration have NULL there (not recorded).

ALTER TABLE bounce.recipient_outcomes ADD COLUMN event_time_source text
  CHECK (event_time_source IN ('last-attempt', 'arrival-date', 'message-date',
                               'maildir-name', 'file-mtime', 'ingest'));
COMMENT ON COLUMN bounce.recipient_outcomes.event_time_source IS
  'What event_time was taken from: last-attempt, arrival-date, message-date, maildir-name (the delivery time in the Maildir file name), file-mtime, or ingest; NULL for rows stored before bounced recorded it.';
COMMENT ON COLUMN bounce.recipient_outcomes.event_time IS
  'When it happened: Last-Attempt-Date of the recipient, else Arrival-Date of the report, else the Date of the bounce, else the delivery time of its file (Maildir name, else modification time), else the ingest time (see event_time_source).';

ALTER TABLE bounce.messages ADD COLUMN delivered_at timestamptz;
COMMENT ON COLUMN bounce.messages.delivered_at IS
  'When the file was delivered to the Maildir: the time its name carries, else its modification time; NULL when unknown.';
COMMENT ON COLUMN bounce.messages.source IS
  'Where the file is: its final place after the Maildir moved it (cur/ with the S flag, a done or failed folder), updated again by bounced reprocess.';
