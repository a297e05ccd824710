-- 170_rates.sql - one definition of a rate, and rates that cover the days
-- and domains of their own numerator.
--
-- Before: the daily views repeated `round(x / NULLIF(sends, 0), 6)` nine
-- times and gave NULL for a day with known sends and no bounces (the
-- bounce side of the FULL JOIN was missing, so 0 / 300 became NULL and
-- averages over days went up); sums over days and domains were computed
-- with an inline FILTER, repeated in each view and report query.
--
-- Now:
--   bounce.rate(n, sends)          the rate of one row: NULL exactly when
--                                  sends are unknown (NULL) or 0, else
--                                  n / sends rounded to 6 decimals (0
--                                  when nothing bounced);
--   bounce.covered_rate(n, sends)  the rate of a sum of rows: the n of the
--                                  rows whose sends are known over the sum
--                                  of those sends, so that numerator and
--                                  denominator always cover the same days
--                                  and domains (rows with unknown sends
--                                  count in neither);
--   bounce.covered_sum(n, sends)   that numerator alone, shown beside the
--                                  full count (the coverage of the rate);
--   bounce.daily_cells             bounces and sends per UTC day, campaign
--                                  and recipient domain, the one place
--                                  where bounce events meet send counts;
-- and the three daily views group daily_cells with bounce.rate().
--
-- The key of a daily view decides what "sends known" means: a day and
-- domain has known sends when any send count row names that day and
-- domain (whatever its campaign), a day and campaign when any row names
-- that day and campaign.

CREATE FUNCTION bounce.rate(n numeric, sends numeric) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN sends IS NULL OR sends = 0 THEN NULL
              ELSE round(COALESCE(n, 0) / sends, 6) END
$$;
COMMENT ON FUNCTION bounce.rate(numeric, numeric) IS
  'The rate of one row: n over sends, rounded to 6 decimals; NULL when sends are unknown (NULL) or 0, 0 when n is 0 or NULL and sends are known.';

-- State: {n of rows with known sends, their sends}.
CREATE FUNCTION bounce.covered_rate_step(state numeric[], n numeric, sends numeric)
RETURNS numeric[] LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN sends IS NULL THEN state
              ELSE ARRAY[state[1] + COALESCE(n, 0), state[2] + sends] END
$$;
COMMENT ON FUNCTION bounce.covered_rate_step(numeric[], numeric, numeric) IS
  'Transition function of bounce.covered_rate: adds a row''s n and sends when its sends are known.';

CREATE FUNCTION bounce.covered_rate_final(state numeric[]) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT bounce.rate(state[1], NULLIF(state[2], 0))
$$;
COMMENT ON FUNCTION bounce.covered_rate_final(numeric[]) IS
  'Final function of bounce.covered_rate.';

CREATE AGGREGATE bounce.covered_rate(numeric, numeric) (
  SFUNC = bounce.covered_rate_step,
  STYPE = numeric[],
  INITCOND = '{0,0}',
  FINALFUNC = bounce.covered_rate_final,
  PARALLEL = SAFE
);
COMMENT ON AGGREGATE bounce.covered_rate(numeric, numeric) IS
  'The rate of a sum of rows: sum of n over sum of sends, both over the rows whose sends are known only; NULL when no row has known sends (or they add up to 0).';

-- The numerator of covered_rate on its own: what the rate counts, shown
-- beside the full count so that a partial rate is never read as the whole.
CREATE FUNCTION bounce.covered_sum_final(state numeric[]) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT state[1]::bigint
$$;
COMMENT ON FUNCTION bounce.covered_sum_final(numeric[]) IS
  'Final function of bounce.covered_sum.';

CREATE AGGREGATE bounce.covered_sum(numeric, numeric) (
  SFUNC = bounce.covered_rate_step,
  STYPE = numeric[],
  INITCOND = '{0,0}',
  FINALFUNC = bounce.covered_sum_final,
  PARALLEL = SAFE
);
COMMENT ON AGGREGATE bounce.covered_sum(numeric, numeric) IS
  'Sum of n over the rows whose sends are known (0 when none): the numerator of bounce.covered_rate.';

-- ---- the cells every rate is made of ------------------------------------

CREATE VIEW bounce.daily_cells AS
  SELECT day, campaign, recipient_domain,
         sum(sends)::bigint AS sends, sum(hard)::bigint AS hard, sum(soft)::bigint AS soft,
         sum(complaints)::bigint AS complaints
    FROM (SELECT day, campaign, recipient_domain, NULL::bigint AS sends,
                 count(*) FILTER (WHERE class = 'hard') AS hard,
                 count(*) FILTER (WHERE class = 'soft') AS soft,
                 count(*) FILTER (WHERE class = 'complaint') AS complaints
            FROM bounce.bounce_events
           GROUP BY 1, 2, 3
          UNION ALL
          SELECT day, campaign, recipient_domain, sent, 0, 0, 0
            FROM bounce.send_counts) c
   GROUP BY 1, 2, 3;
COMMENT ON VIEW bounce.daily_cells IS
  'Per UTC day, campaign and recipient domain: sends (NULL when no send count names the cell) and hard, soft and complaint counts (bounce.bounce_events).  The daily rate views group these cells.';
COMMENT ON COLUMN bounce.daily_cells.day IS 'UTC day (of the event time; of sending for send counts).';
COMMENT ON COLUMN bounce.daily_cells.campaign IS 'Campaign; NULL for mail without one.';
COMMENT ON COLUMN bounce.daily_cells.recipient_domain IS 'Lower-case recipient domain; NULL for outcomes without a recipient.';
COMMENT ON COLUMN bounce.daily_cells.sends IS 'Messages sent (send_counts); NULL when unknown.';
COMMENT ON COLUMN bounce.daily_cells.hard IS 'Hard bounces.';
COMMENT ON COLUMN bounce.daily_cells.soft IS 'Soft bounces (every other failure but complaints; delays excluded).';
COMMENT ON COLUMN bounce.daily_cells.complaints IS 'Complaints (reason feedback).';

-- ---- the daily views, same columns as before --------------------------------

CREATE OR REPLACE VIEW bounce.daily_domain_rates AS
  SELECT day, recipient_domain, sum(sends)::bigint AS sends,
         sum(hard)::bigint AS hard, sum(soft)::bigint AS soft,
         sum(complaints)::bigint AS complaints,
         sum(hard + soft + complaints)::bigint AS bounces,
         bounce.rate(sum(hard), sum(sends)) AS hard_rate,
         bounce.rate(sum(soft), sum(sends)) AS soft_rate,
         bounce.rate(sum(complaints), sum(sends)) AS complaint_rate
    FROM bounce.daily_cells
   WHERE recipient_domain IS NOT NULL
   GROUP BY 1, 2;
COMMENT ON VIEW bounce.daily_domain_rates IS
  'Per UTC day and recipient domain: sends (NULL when unknown), hard, soft and complaint counts, and each over sends (bounce.rate: NULL when sends are unknown or 0, else 0 or more).';
COMMENT ON COLUMN bounce.daily_domain_rates.hard_rate IS 'hard over sends; NULL when sends are unknown or 0, 0 when sends are known and nothing bounced hard.';
COMMENT ON COLUMN bounce.daily_domain_rates.soft_rate IS 'soft over sends; NULL when sends are unknown or 0, 0 when sends are known and nothing bounced soft.';
COMMENT ON COLUMN bounce.daily_domain_rates.complaint_rate IS 'complaints over sends; NULL when sends are unknown or 0, 0 when sends are known and there was no complaint.';

CREATE OR REPLACE VIEW bounce.daily_campaign_rates AS
  SELECT day, campaign, sum(sends)::bigint AS sends,
         sum(hard)::bigint AS hard, sum(soft)::bigint AS soft,
         sum(complaints)::bigint AS complaints,
         sum(hard + soft + complaints)::bigint AS bounces,
         bounce.rate(sum(hard), sum(sends)) AS hard_rate,
         bounce.rate(sum(soft), sum(sends)) AS soft_rate,
         bounce.rate(sum(complaints), sum(sends)) AS complaint_rate
    FROM bounce.daily_cells
   GROUP BY 1, 2;
COMMENT ON VIEW bounce.daily_campaign_rates IS
  'Per UTC day and campaign (NULL: mail without a campaign): sends, hard, soft and complaint counts and rates, as daily_domain_rates.';
COMMENT ON COLUMN bounce.daily_campaign_rates.hard_rate IS 'hard over sends; NULL when sends are unknown or 0, 0 when sends are known and nothing bounced hard.';
COMMENT ON COLUMN bounce.daily_campaign_rates.soft_rate IS 'soft over sends; NULL when sends are unknown or 0, 0 when sends are known and nothing bounced soft.';
COMMENT ON COLUMN bounce.daily_campaign_rates.complaint_rate IS 'complaints over sends; NULL when sends are unknown or 0, 0 when sends are known and there was no complaint.';

-- Providers add up their domains: the rates with bounce.covered_rate, so
-- that a domain whose sends are unknown that day counts in neither side.
CREATE OR REPLACE VIEW bounce.daily_provider_rates AS
  SELECT r.day, COALESCE(p.provider, 'other') AS provider,
         sum(r.sends)::bigint AS sends,
         sum(r.hard)::bigint AS hard, sum(r.soft)::bigint AS soft,
         sum(r.complaints)::bigint AS complaints, sum(r.bounces)::bigint AS bounces,
         count(*) AS domains,
         bounce.covered_rate(r.hard, r.sends) AS hard_rate,
         bounce.covered_rate(r.soft, r.sends) AS soft_rate,
         bounce.covered_rate(r.complaints, r.sends) AS complaint_rate,
         count(*) FILTER (WHERE r.sends IS NOT NULL) AS domains_with_sends,
         bounce.covered_sum(r.bounces, r.sends) AS covered_bounces
    FROM bounce.daily_domain_rates r
    LEFT JOIN bounce.domain_providers p ON p.domain = r.recipient_domain
   GROUP BY 1, 2;
COMMENT ON COLUMN bounce.daily_provider_rates.domains_with_sends IS
  'Of those domains, the ones with known sends that day: the rates cover these only.';
COMMENT ON COLUMN bounce.daily_provider_rates.covered_bounces IS
  'hard + soft + complaints of the domains with known sends: the bounces the rates count.';

CREATE OR REPLACE VIEW bounce.top_failing_domains AS
  SELECT recipient_domain, COALESCE(p.provider, 'other') AS provider,
         sum(sends)::bigint AS sends, sum(hard)::bigint AS hard, sum(soft)::bigint AS soft,
         sum(complaints)::bigint AS complaints, sum(bounces)::bigint AS bounces,
         bounce.covered_rate(hard, sends) AS hard_rate,
         bounce.covered_rate(bounces, sends) AS bounce_rate,
         count(*) FILTER (WHERE bounces > 0) AS days,
         count(*) FILTER (WHERE sends IS NOT NULL) AS days_with_sends,
         bounce.covered_sum(bounces, sends) AS covered_bounces
    FROM bounce.daily_domain_rates r
    LEFT JOIN bounce.domain_providers p ON p.domain = r.recipient_domain
   WHERE r.day >= (now() AT TIME ZONE 'UTC')::date - 30
   GROUP BY 1, 2
  HAVING sum(bounces) > 0
   ORDER BY bounces DESC, recipient_domain;
COMMENT ON COLUMN bounce.top_failing_domains.days IS 'Days of the 30 with bounces.';
COMMENT ON COLUMN bounce.top_failing_domains.days_with_sends IS 'Days of the 30 with known sends: the rates cover these only.';
COMMENT ON COLUMN bounce.top_failing_domains.covered_bounces IS
  'Bounces on days with known sends: the numerator of bounce_rate.';

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bounced_reader') THEN
    GRANT SELECT ON bounce.daily_cells TO bounced_reader;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bounced_ingest') THEN
    GRANT SELECT ON bounce.daily_cells TO bounced_ingest;
  END IF;
END $$;
