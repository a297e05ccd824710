-- 151_recipients_index.sql - one index fewer to keep up on every batch
--
-- Why: each batch upserts the recipients row of every address it names,
-- and the upsert changes last_event_time (an indexed column), so no update
-- of a row is a heap-only one: every index of bounce.recipients gets a new
-- entry for every address of every batch.  recipients_policy_version_idx
-- (100_policy.sql) serves no query: the policy reads a row by its address
-- (the fold, recompute_recipient), and bounced recompute walks every
-- address.  The others stay: the primary key, the suppression list
-- (recipients_suppressed_idx), the changes a mailer asks for
-- (recipients_changed_at_idx) and the analysts' domain and last-event ones.

DROP INDEX IF EXISTS bounce.recipients_policy_version_idx;
