-- 140_status_source.sql: where a recipient's status came from.
--
-- Every failed or delayed recipient now has a status: the report's own when
-- it gave one, else one the classifier inferred (bounced-reasons(7),
-- "PERMANENCE"): its class from the SMTP reply code, from the notice's words
-- ("permanent error", "will retry") or Action, or from the reason, and its
-- subject and detail the reason's registered code.  status_source says which;
-- NULL means the report gave the status.  Rows stored before this migration
-- keep NULL there; `bounced reprocess` brings them up to date.

ALTER TABLE bounce.recipient_outcomes
  ADD COLUMN status_source text
    CHECK (status_source IN ('reply-code', 'notice', 'reason'));

COMMENT ON COLUMN bounce.recipient_outcomes.status_source IS
  'NULL when the report gave status; otherwise the status is inferred and its class came from the reply code (reply-code), the notice''s words or Action (notice) or the reason (reason).';
COMMENT ON COLUMN bounce.recipient_outcomes.status IS
  'Enhanced status code (RFC 3463) c.sss.ddd: the report''s own, or inferred when status_source is set.';
