-- 176_incident_hours.sql - sender-side incidents within the day: a rise of
-- refusals that lasts hours, not days, is found the same day.
--
-- The rule of 173, per UTC hour instead of per day, against the same hour
-- of the days before (mail has a daily rhythm: 09:00 is compared with the
-- mornings, not with the nights):
--
--   outcomes in the hour >= 20  AND  outcomes >= 5 x the median of the
--   count of the same hour of the 14 days before (hours without any
--   counting as 0)
--
-- bounce.incident_hours lists the hours that meet it.  bounce.incidents
-- now also joins consecutive such hours into an incident (unit 'hour'),
-- unless a day incident of the same provider and reason group covers
-- that day already; the new columns unit, first_at and last_at say which
-- kind it is and when it began and ended (the end of its last hour or
-- day).  An hour incident is open, like a day one, while its last day is
-- today or yesterday (UTC).

CREATE VIEW bounce.incident_hours AS
  WITH e AS (
    SELECT date_trunc('hour', o.event_time AT TIME ZONE 'UTC') AS hour,
           COALESCE(dp.provider, 'other') AS provider, r.grp AS reason_group
      FROM bounce.recipient_outcomes o
      JOIN bounce.reasons r ON r.reason = o.reason
      LEFT JOIN bounce.domain_providers dp ON dp.domain = o.recipient_domain
     WHERE o.reason IN ('blocked', 'badreputation', 'requireptr', 'authfailure',
                        'spamdetected', 'policyviolation')
       AND o.action IS DISTINCT FROM 'delayed'
  ), c AS (
    SELECT provider, reason_group, hour, count(*) AS outcomes FROM e GROUP BY 1, 2, 3
  ), b AS (
    -- (the baseline only of the hours that can qualify: at least 20)
    SELECT c.*,
           (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY COALESCE(p.outcomes, 0))
              FROM generate_series(1, 14) g
              LEFT JOIN c p ON p.provider = c.provider AND p.reason_group = c.reason_group
                           AND p.hour = c.hour - g * interval '1 day') AS baseline
      FROM c
     WHERE c.outcomes >= 20
  )
  SELECT provider, reason_group, hour AT TIME ZONE 'UTC' AS hour, outcomes,
         baseline::numeric AS baseline,
         round(outcomes / NULLIF(baseline::numeric, 0), 1) AS ratio
    FROM b
   WHERE outcomes >= 5 * baseline;
COMMENT ON VIEW bounce.incident_hours IS
  'Hours in which sender-side refusals at one provider rose to 20 or more and to 5 times or more the median of the same hour of the 14 days before (bounced(1), INCIDENTS).';
COMMENT ON COLUMN bounce.incident_hours.provider IS 'Mailbox provider (bounce.domain_providers), or other.';
COMMENT ON COLUMN bounce.incident_hours.reason_group IS 'sender, content or recipient-policy.';
COMMENT ON COLUMN bounce.incident_hours.hour IS 'Start of the hour (UTC).';
COMMENT ON COLUMN bounce.incident_hours.outcomes IS 'Refusals of the group at the provider in that hour.';
COMMENT ON COLUMN bounce.incident_hours.baseline IS 'Median of the same count in the same hour of the 14 days before (0 for hours without).';
COMMENT ON COLUMN bounce.incident_hours.ratio IS 'outcomes over baseline; NULL when the baseline is 0.';

CREATE OR REPLACE VIEW bounce.incidents AS
  WITH d AS (
    SELECT *, day - (row_number() OVER (PARTITION BY provider, reason_group ORDER BY day))::int
              AS island
      FROM bounce.incident_days
  ), days AS (
    SELECT provider, reason_group, min(day) AS first_day, max(day) AS last_day,
           sum(outcomes)::bigint AS outcomes, max(outcomes) AS peak,
           (array_agg(baseline ORDER BY day))[1] AS baseline
      FROM d
     GROUP BY provider, reason_group, island
  ), h AS (
    SELECT x.*, x.hour - (row_number() OVER (PARTITION BY x.provider, x.reason_group
                                             ORDER BY x.hour)) * interval '1 hour' AS island
      FROM bounce.incident_hours x
     WHERE NOT EXISTS (SELECT 1 FROM bounce.incident_days y
                        WHERE y.provider = x.provider AND y.reason_group = x.reason_group
                          AND y.day = (x.hour AT TIME ZONE 'UTC')::date)
  ), hours AS (
    SELECT provider, reason_group, min(hour) AS first_at, max(hour) + interval '1 hour' AS last_at,
           sum(outcomes)::bigint AS outcomes, max(outcomes) AS peak,
           (array_agg(baseline ORDER BY hour))[1] AS baseline
      FROM h
     GROUP BY provider, reason_group, island
  )
  SELECT provider, reason_group, first_day, last_day, outcomes, peak, baseline,
         last_day >= (now() AT TIME ZONE 'UTC')::date - 1 AS open,
         'day'::text AS unit,
         first_day::timestamp AT TIME ZONE 'UTC' AS first_at,
         (last_day + 1)::timestamp AT TIME ZONE 'UTC' AS last_at
    FROM days
  UNION ALL
  SELECT provider, reason_group, (first_at AT TIME ZONE 'UTC')::date,
         ((last_at - interval '1 hour') AT TIME ZONE 'UTC')::date, outcomes, peak, baseline,
         ((last_at - interval '1 hour') AT TIME ZONE 'UTC')::date
           >= (now() AT TIME ZONE 'UTC')::date - 1,
         'hour', first_at, last_at
    FROM hours;
COMMENT ON VIEW bounce.incidents IS
  'Sender-side incidents: runs of consecutive bounce.incident_days per provider and reason group (unit day), and runs of consecutive bounce.incident_hours on days that are no incident day of theirs (unit hour); open while the last day is today or yesterday (UTC).';
COMMENT ON COLUMN bounce.incidents.peak IS 'The most refusals of one of its days (or hours, for an hour incident).';
COMMENT ON COLUMN bounce.incidents.baseline IS 'The median count of the 14 days before it began (of the same hour, for an hour incident).';
COMMENT ON COLUMN bounce.incidents.unit IS 'day or hour: what the rule counted.';
COMMENT ON COLUMN bounce.incidents.first_at IS 'When it began: the start of its first day or hour.';
COMMENT ON COLUMN bounce.incidents.last_at IS 'When it ended: the end of its last day or hour.';
