-- 173_incidents.sql - sender-side incidents: a sudden rise of refusals that
-- say the sender is at fault (blocked, badreputation, requireptr,
-- authfailure, spamdetected, policyviolation) at one mailbox provider.
--
-- Such a rise is an incident of the sender (a blocklisting, a broken DKIM
-- key, a campaign judged as spam), not a problem of the recipients, and
-- the outcomes in it never count toward suppression (the policy never
-- counts these reasons: bounced-reasons(7)).
--
-- The rule, per UTC day, mailbox provider (bounce.domain_providers) and
-- reason group (sender, content, recipient-policy):
--
--   outcomes that day >= 20  AND  outcomes >= 5 x the median of the same
--   count over the 14 days before (days without any counting as 0)
--
-- bounce.incident_days lists the days that meet it; bounce.incidents joins
-- consecutive such days into one incident, open while its last day is
-- today or yesterday (UTC).  Delay notices do not count.

CREATE VIEW bounce.incident_days AS
  WITH e AS (
    SELECT (o.event_time AT TIME ZONE 'UTC')::date AS day,
           COALESCE(dp.provider, 'other') AS provider, r.grp AS reason_group
      FROM bounce.recipient_outcomes o
      JOIN bounce.reasons r ON r.reason = o.reason
      LEFT JOIN bounce.domain_providers dp ON dp.domain = o.recipient_domain
     WHERE o.reason IN ('blocked', 'badreputation', 'requireptr', 'authfailure',
                        'spamdetected', 'policyviolation')
       AND o.action IS DISTINCT FROM 'delayed'
  ), c AS (
    SELECT provider, reason_group, day, count(*) AS outcomes FROM e GROUP BY 1, 2, 3
  ), b AS (
    SELECT c.*,
           (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY COALESCE(p.outcomes, 0))
              FROM generate_series(c.day - 14, c.day - 1, interval '1 day') g
              LEFT JOIN c p ON p.provider = c.provider AND p.reason_group = c.reason_group
                           AND p.day = g::date) AS baseline
      FROM c
  )
  SELECT provider, reason_group, day, outcomes, baseline::numeric AS baseline,
         round(outcomes / NULLIF(baseline::numeric, 0), 1) AS ratio
    FROM b
   WHERE outcomes >= 20 AND outcomes >= 5 * baseline;
COMMENT ON VIEW bounce.incident_days IS
  'Days on which sender-side refusals at one provider rose to 20 or more and to 5 times or more the median of the 14 days before (bounced(1), INCIDENTS).';
COMMENT ON COLUMN bounce.incident_days.provider IS 'Mailbox provider (bounce.domain_providers), or other.';
COMMENT ON COLUMN bounce.incident_days.reason_group IS 'sender, content or recipient-policy.';
COMMENT ON COLUMN bounce.incident_days.day IS 'UTC day.';
COMMENT ON COLUMN bounce.incident_days.outcomes IS 'Refusals of the group at the provider that day.';
COMMENT ON COLUMN bounce.incident_days.baseline IS 'Median of the same count over the 14 days before (0 for days without).';
COMMENT ON COLUMN bounce.incident_days.ratio IS 'outcomes over baseline; NULL when the baseline is 0.';

CREATE VIEW bounce.incidents AS
  WITH d AS (
    SELECT *, day - (row_number() OVER (PARTITION BY provider, reason_group ORDER BY day))::int
              AS island
      FROM bounce.incident_days
  )
  SELECT provider, reason_group, min(day) AS first_day, max(day) AS last_day,
         sum(outcomes)::bigint AS outcomes, max(outcomes) AS peak,
         (array_agg(baseline ORDER BY day))[1] AS baseline,
         max(day) >= (now() AT TIME ZONE 'UTC')::date - 1 AS open
    FROM d
   GROUP BY provider, reason_group, island;
COMMENT ON VIEW bounce.incidents IS
  'Sender-side incidents: runs of consecutive bounce.incident_days per provider and reason group; open while the last day is today or yesterday (UTC).';
COMMENT ON COLUMN bounce.incidents.provider IS 'Mailbox provider, or other.';
COMMENT ON COLUMN bounce.incidents.reason_group IS 'sender, content or recipient-policy.';
COMMENT ON COLUMN bounce.incidents.first_day IS 'First UTC day of the incident.';
COMMENT ON COLUMN bounce.incidents.last_day IS 'Last UTC day of the incident.';
COMMENT ON COLUMN bounce.incidents.outcomes IS 'Refusals over the incident''s days.';
COMMENT ON COLUMN bounce.incidents.peak IS 'The most refusals of one of its days.';
COMMENT ON COLUMN bounce.incidents.baseline IS 'The median daily count of the 14 days before it began.';
COMMENT ON COLUMN bounce.incidents.open IS 'Whether its last day is today or yesterday (UTC).';
