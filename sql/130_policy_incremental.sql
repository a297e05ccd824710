-- 130_policy_incremental.sql: apply the policy after a batch only to the
-- addresses whose state the batch can change.
--
-- Why: recompute_recipient() walks an address's whole history.  Run for every
-- address of every batch, an address that keeps bouncing (a dead mailbox a
-- mailer keeps sending to) costs more with each batch, and ingest slows down
-- as the history grows.  Once an address is suppressed under the current
-- policy version, no new outcome can lift that (only an operator command or a
-- policy change can, and those recompute it themselves: bounced unsuppress,
-- bounced recompute), so the trigger leaves such addresses alone.
--
-- Deliberate difference: an outcome arriving late with an event time before
-- the suppression does not move suppressed_at earlier; bounced recompute
-- does, if wanted.

CREATE OR REPLACE FUNCTION bounce.apply_policy_to_new_outcomes() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM bounce.recompute_recipients(
    array(SELECT DISTINCT lower(n.recipient)
            FROM new_outcomes n
            LEFT JOIN bounce.recipients r ON r.address = lower(n.recipient)
           WHERE n.recipient IS NOT NULL
             AND NOT (COALESCE(r.suppressed, false)
                      AND r.policy_version = (SELECT version FROM bounce.policy))));
  RETURN NULL;
END $$;
COMMENT ON FUNCTION bounce.apply_policy_to_new_outcomes() IS
  'Trigger function: recomputes the addresses of the outcomes a statement inserted, '
  'except those already suppressed under the current policy version, which no new '
  'outcome can change.';
