-- 160_times_as_written.sql - times in UTC, and each one as it was written.
--
-- Why: RFC 5322 (3.3) lets a zone offset be any +hhmm up to +9959, and MTAs
-- write +1600 and more; PostgreSQL's timestamptz input takes offsets up to
-- 15:59 only, so such a Date, Arrival-Date or Last-Attempt-Date failed the
-- COPY of its whole batch (SQLSTATE 22009) and the bounce was stored as an
-- error.  The parser now gives every time in UTC; what the message said is
-- kept beside it, also when it could not be read at all.
ALTER TABLE bounce.messages
  ADD COLUMN arrival_date_text text,
  ADD COLUMN message_date_text text;
ALTER TABLE bounce.recipient_outcomes
  ADD COLUMN last_attempt_text text,
  ADD COLUMN will_retry_until_text text;

COMMENT ON COLUMN bounce.messages.arrival_date IS
  'Arrival-Date (RFC 3464 2.2.5): when the reporting MTA received the original message; NULL when absent or unreadable (arrival_date_text has what was written).';
COMMENT ON COLUMN bounce.messages.arrival_date_text IS
  'Arrival-Date as written in the report, whatever its zone offset; NULL when absent.';
COMMENT ON COLUMN bounce.messages.message_date_text IS
  'Date header of the bounce itself as written; NULL when absent.';
COMMENT ON COLUMN bounce.recipient_outcomes.last_attempt_text IS
  'Last-Attempt-Date as written in the report; NULL when absent.';
COMMENT ON COLUMN bounce.recipient_outcomes.will_retry_until_text IS
  'Will-Retry-Until as written in the report; NULL when absent.';
