-- examples.sql - questions analysts ask, answered in SQL over schema bounce.
--
-- Each query starts with a line "-- name: NAME" and a line "-- Q: ..." and
-- ends with a semicolon; tests/test-analytics.py runs every one of them on
-- a database it fills and checks the answers.  Days are UTC.  Run them
-- all with `psql -f sql/examples.sql`, or copy the one you need; none takes
-- a parameter.

-- name: hard-bounce-rate-by-domain
-- Q: Which recipient domains had the highest hard bounce rate over the last
--    30 days, among those with at least 100 messages sent?  (The rate counts
--    the hard bounces of the days with known sends, hard_counted, over those
--    sends: bounce.covered_rate.)
SELECT recipient_domain, sum(sends) AS sends, sum(hard) AS hard,
       bounce.covered_sum(hard, sends) AS hard_counted,
       round(100 * bounce.covered_rate(hard, sends), 2) AS hard_pct
  FROM bounce.daily_domain_rates
 WHERE day >= (SELECT max(day) FROM bounce.daily_domain_rates) - 30
 GROUP BY recipient_domain
HAVING sum(sends) >= 100
 ORDER BY hard_pct DESC, recipient_domain;

-- name: suppressed-this-week
-- Q: How many addresses were suppressed in the last 7 days, and why?
SELECT regexp_replace(reason, ':.*', '') AS cause, count(DISTINCT address) AS addresses
  FROM bounce.suppression_log
 WHERE change = 'suppressed' AND logged_at >= now() - interval '7 days'
 GROUP BY 1
 ORDER BY 2 DESC, 1;

-- name: sender-side-problems
-- Q: Which failures were our own fault (sender, content or policy groups),
--    by reason, and how many distinct recipient domains did each touch?
SELECT r.grp AS reason_group, o.reason, count(*) AS outcomes,
       count(DISTINCT o.recipient_domain) AS domains
  FROM bounce.recipient_outcomes o
  JOIN bounce.reasons r USING (reason)
 WHERE r.grp IN ('sender', 'content', 'recipient-policy')
 GROUP BY 1, 2
 ORDER BY 3 DESC, 2;

-- name: campaign-complaints
-- Q: Which campaigns drew complaints, and what is their complaint rate?
--    The rate covers only the days with known sends: complaints_counted of
--    the complaints, over the sends of those days (NULL when no day of the
--    campaign has sends).
SELECT campaign, sum(sends) AS sends, sum(complaints) AS complaints,
       bounce.covered_sum(complaints, sends) AS complaints_counted,
       round(100 * bounce.covered_rate(complaints, sends), 3) AS complaint_pct
  FROM bounce.daily_campaign_rates
 GROUP BY campaign
HAVING sum(complaints) > 0
 ORDER BY complaints DESC, campaign NULLS LAST;

-- name: provider-daily-bounces
-- Q: How many hard and soft bounces did each mailbox provider return per day?
SELECT day, provider, hard, soft, complaints, sends
  FROM bounce.daily_provider_rates
 ORDER BY day, provider;

-- name: near-suppression
-- Q: Which addresses are one soft bounce away from suppression under the
--    policy in force?
SELECT r.address, r.soft_streak, r.soft_streak_since
  FROM bounce.recipients r, bounce.policy p
 WHERE NOT r.suppressed AND r.soft_streak = p.soft_count - 1
 ORDER BY r.address;

-- name: unknown-reasons
-- Q: Which outcomes could the classifier not explain (onhold, undefined),
--    with their diagnostic, so that rules can be written for them?
SELECT o.reason, o.status, o.diagnostic, count(*) AS outcomes
  FROM bounce.recipient_outcomes o
 WHERE o.reason IN ('onhold', 'undefined')
 GROUP BY 1, 2, 3
 ORDER BY 4 DESC, 3;

-- name: parse-failures-by-error
-- Q: What are the commonest reasons messages could not be parsed?
SELECT error, count(*) AS messages, max(ingested_at) AS latest
  FROM bounce.parse_failures
 GROUP BY error
 ORDER BY 2 DESC, 1;

-- name: workspace-domains
-- Q: Which company domains are hosted by a big provider (found by their
--    mail servers, not by their name)?
SELECT domain, provider
  FROM bounce.domain_providers
 WHERE matched_by = 'mx'
 ORDER BY provider, domain;

-- name: repeat-hard-bouncers
-- Q: Which suppressed addresses did we keep mailing: hard bounces that
--    arrived after the address was already suppressed?
SELECT r.address, r.suppressed_at, count(*) AS bounces_after
  FROM bounce.recipients r
  JOIN bounce.recipient_outcomes o
    ON lower(o.recipient) = r.address AND o.hard_bounce AND o.event_time > r.suppressed_at
 WHERE r.suppressed
 GROUP BY 1, 2
 ORDER BY 3 DESC, 1;

-- name: time-to-bounce
-- Q: How long after sending do bounces arrive (DSN arrival to our ingest),
--    per reporting kind, as median and 95th percentile?
SELECT m.kind,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY m.ingested_at - m.arrival_date) AS median,
       percentile_cont(0.95) WITHIN GROUP (ORDER BY m.ingested_at - m.arrival_date) AS p95,
       count(*) AS messages
  FROM bounce.messages m
 WHERE m.arrival_date IS NOT NULL
 GROUP BY m.kind
 ORDER BY m.kind;

-- name: reason-share-by-day
-- Q: What share of each day's bounces did each reason group have?
SELECT day, reason_group, sum(outcomes) AS outcomes,
       round(100.0 * sum(outcomes) / sum(sum(outcomes)) OVER (PARTITION BY day), 1) AS pct
  FROM bounce.reason_breakdown
 WHERE reason_group NOT IN ('not-a-bounce')
 GROUP BY day, reason_group
 ORDER BY day, outcomes DESC, reason_group;
