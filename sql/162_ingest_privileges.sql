-- 162_ingest_privileges.sql - bounced_ingest may do what ingest needs, and
-- no more.
--
-- Why: the first migrations granted bounced_ingest SELECT, INSERT, UPDATE
-- and DELETE on every table of the schema, so a worker (or whoever holds
-- its password) could change the suppression policy, and erase the audit:
-- the suppression log, the record of migrations, the reason vocabulary.
--
-- Now, for bounced_ingest:
--   read         every table and view of the schema;
--   insert and update
--                messages, recipient_outcomes, recipients, send_counts
--                (ingest, reprocess, suppress/unsuppress, sends import);
--   insert only  suppression_log (the audit: no update, no delete);
--   nothing else: no DELETE or TRUNCATE anywhere; policy (bounced recompute),
--                schema_migrations, reasons and providers are changed only
--                by the migrating role, which owns them.
-- Tables added by later migrations get SELECT by default; a migration whose
-- table the worker writes grants that and says why.  tests/test-privileges.py
-- lists every privilege bounced_ingest holds and fails on any it does not
-- expect, and ingests as a member of bounced_ingest to show the grants are
-- enough.
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bounced_ingest') THEN
    RETURN;
  END IF;
  REVOKE ALL ON ALL TABLES IN SCHEMA bounce FROM bounced_ingest;
  REVOKE ALL ON ALL SEQUENCES IN SCHEMA bounce FROM bounced_ingest;
  GRANT USAGE ON SCHEMA bounce TO bounced_ingest;
  GRANT SELECT ON ALL TABLES IN SCHEMA bounce TO bounced_ingest;
  GRANT INSERT, UPDATE ON bounce.messages, bounce.recipient_outcomes, bounce.recipients,
    bounce.send_counts TO bounced_ingest;
  GRANT INSERT ON bounce.suppression_log TO bounced_ingest;
  GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA bounce TO bounced_ingest;
  -- Tables and views made by later migrations: readable, nothing more
  -- until the migration grants it (tests/test-privileges.py insists).
  ALTER DEFAULT PRIVILEGES IN SCHEMA bounce
    REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON TABLES FROM bounced_ingest;
  ALTER DEFAULT PRIVILEGES IN SCHEMA bounce GRANT SELECT ON TABLES TO bounced_ingest;
  IF (SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user) THEN
    COMMENT ON ROLE bounced_ingest IS
      'bounced workers: read the bounce schema; insert and update messages, outcomes, recipients and send counts; insert into the suppression log; nothing else.';
  END IF;
END $$;
