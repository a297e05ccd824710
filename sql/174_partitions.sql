-- 174_partitions.sql - month partitions of recipient_outcomes that exist
-- before their rows arrive, and retention by dropping whole months.
--
-- 001 created the partitioned table, its default partition and
-- bounce.add_outcome_month(), but nothing called it, so every row landed in
-- the default partition and retention could not drop a month.  Now
-- bounce.prepare_outcome_months() (run by `bounced migrate` and at the start
-- of ingest and watch) creates the partitions of the current and the next
-- month and moves every row of the default partition into a partition of
-- its month; bounce.drop_outcome_months() detaches and drops the months
-- before a day (`bounced retention`).

-- Creates the partitions of the month of p_now and of the next one, and
-- one for each month that still has rows in the default partition (moving
-- them).  SECURITY DEFINER, so that a worker logged in as bounced_ingest
-- can run it while the partitions belong to the schema's owner; one caller
-- at a time (an advisory lock), so that two workers starting together do
-- not race.  Returns the partitions it created.
CREATE FUNCTION bounce.prepare_outcome_months(p_now timestamptz DEFAULT now())
RETURNS SETOF text LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
DECLARE
  m date;
  this_month date := date_trunc('month', p_now AT TIME ZONE 'UTC')::date;
BEGIN
  PERFORM pg_advisory_xact_lock(27707097871508837);
  FOR m IN
    SELECT this_month UNION SELECT (this_month + interval '1 month')::date
    UNION SELECT DISTINCT date_trunc('month', event_time AT TIME ZONE 'UTC')::date
            FROM bounce.recipient_outcomes_default
    ORDER BY 1
  LOOP
    -- (once a month has its partition, its rows go there, never to the
    -- default partition)
    IF to_regclass(format('bounce.%I', 'recipient_outcomes_' || to_char(m, 'YYYY_MM'))) IS NULL THEN
      RETURN NEXT bounce.add_outcome_month(m);
    END IF;
  END LOOP;
END $$;
COMMENT ON FUNCTION bounce.prepare_outcome_months(timestamptz) IS
  'Creates the recipient_outcomes partitions of the current and next month (UTC) and of every month with rows in the default partition, moving those rows; returns the partitions created.';
REVOKE EXECUTE ON FUNCTION bounce.prepare_outcome_months(timestamptz) FROM PUBLIC;
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bounced_ingest') THEN
    GRANT EXECUTE ON FUNCTION bounce.prepare_outcome_months(timestamptz) TO bounced_ingest;
  END IF;
END $$;

-- The month partitions of recipient_outcomes, from their names (the form
-- bounce.add_outcome_month gives them).
CREATE VIEW bounce.outcome_months AS
  SELECT c.relname::text AS partition,
         to_date(substring(c.relname FROM '(\d{4}_\d{2})$'), 'YYYY_MM') AS month
    FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
   WHERE i.inhparent = 'bounce.recipient_outcomes'::regclass
     AND c.relname ~ '^recipient_outcomes_\d{4}_\d{2}$';
COMMENT ON VIEW bounce.outcome_months IS 'The month partitions of recipient_outcomes.';
COMMENT ON COLUMN bounce.outcome_months.partition IS 'Table name (schema bounce).';
COMMENT ON COLUMN bounce.outcome_months.month IS 'First day of its month (UTC).';

-- The months wholly before p_before, each with its number of outcomes;
-- with p_drop they are detached and dropped, one at a time.  The messages,
-- the per-address counters and the suppression state are kept: they
-- summarise the history that is dropped.
CREATE FUNCTION bounce.drop_outcome_months(p_before date, p_drop boolean DEFAULT false)
RETURNS TABLE (partition text, month date, outcomes bigint, dropped boolean)
LANGUAGE plpgsql AS $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT m.partition, m.month FROM bounce.outcome_months m
            WHERE (m.month + interval '1 month')::date <= p_before ORDER BY m.month
  LOOP
    partition := r.partition;
    month := r.month;
    EXECUTE format('SELECT count(*) FROM bounce.%I', r.partition) INTO outcomes;
    dropped := p_drop;
    IF p_drop THEN
      EXECUTE format('ALTER TABLE bounce.recipient_outcomes DETACH PARTITION bounce.%I', r.partition);
      EXECUTE format('DROP TABLE bounce.%I', r.partition);
    END IF;
    RETURN NEXT;
  END LOOP;
END $$;
COMMENT ON FUNCTION bounce.drop_outcome_months(date, boolean) IS
  'The recipient_outcomes month partitions wholly before the day, with their row counts; with true, detaches and drops them.';

DO $$ BEGIN PERFORM bounce.prepare_outcome_months(); END $$;
