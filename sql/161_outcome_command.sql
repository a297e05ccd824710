-- 161_outcome_command.sql - the SMTP command a reply answered, stored.
--
-- Why: bounced parse prints "command" for each recipient (RCPT, DATA, MAIL,
-- EHLO, HELO, CONNECT: the command the remote server's reply answered, as
-- the notice's text names it), and the classifier uses it, but the database
-- had no column for it, so what the database kept was less than what parse
-- printed.  (Repeated X- fields, which jsonb reduced to their last value,
-- are now arrays in extensions, as parse prints them: no schema change.)
ALTER TABLE bounce.recipient_outcomes ADD COLUMN command text;

COMMENT ON COLUMN bounce.recipient_outcomes.command IS
  'SMTP command the remote reply answered (RFC 5321 4.1.1: RCPT, DATA, MAIL, EHLO, HELO; CONNECT for the greeting) as the notice''s text names it; NULL when it does not.';
COMMENT ON COLUMN bounce.recipient_outcomes.extensions IS
  'X- fields of the recipient block as a JSON object; a field given more than once is an array of its values, in order; NULL when there are none.';
COMMENT ON COLUMN bounce.messages.extensions IS
  'Per-message X- fields of the DSN as a JSON object; a field given more than once is an array of its values, in order; NULL when there are none.';
