-- 120_views.sql - views for analysts: bounce rates per day by recipient
-- domain, campaign and mailbox provider; reason breakdown; top failing
-- domains; the suppression list a mailer reads.
--
-- Definitions shared by every rate view:
--   day        the UTC day of the outcome's event time, or of the sending
--              for send_counts;
--   hard       outcomes with hard_bounce (the address is dead);
--   complaint  outcomes with reason feedback;
--   soft       every other failure: not hard, not a complaint, not
--              delivered, not vacation, and not a delay notice (action
--              delayed: the MTA is still trying);
--   sends      the sum of send_counts for the row's key, NULL when none is
--              known; rates are NULL then (counts alone), never 0.  Where
--              rows are added up (providers, periods), a rate counts only
--              the bounces of rows whose sends are known, over those sends.

CREATE VIEW bounce.bounce_events AS
  SELECT o.message_id, o.ordinal, o.event_time,
         (o.event_time AT TIME ZONE 'UTC')::date AS day,
         lower(o.recipient) AS address, o.recipient_domain, o.campaign, o.reason,
         r.grp AS reason_group, o.hard_bounce, o.status, o.remote_mta,
         CASE WHEN o.hard_bounce THEN 'hard'
              WHEN o.reason = 'feedback' THEN 'complaint'
              ELSE 'soft' END AS class
    FROM bounce.recipient_outcomes o
    LEFT JOIN bounce.reasons r ON r.reason = o.reason
   WHERE o.reason NOT IN ('delivered', 'vacation')
     AND o.action IS DISTINCT FROM 'delayed';
COMMENT ON VIEW bounce.bounce_events IS
  'The outcomes that count in bounce rates (not delivered, not vacation, not delay notices), each with its class: hard, soft or complaint, and its UTC day.';
COMMENT ON COLUMN bounce.bounce_events.message_id IS 'The message (bounce.messages.id).';
COMMENT ON COLUMN bounce.bounce_events.ordinal IS 'Position of the recipient in the report.';
COMMENT ON COLUMN bounce.bounce_events.event_time IS 'When it happened (recipient_outcomes.event_time).';
COMMENT ON COLUMN bounce.bounce_events.recipient_domain IS 'Lower-case recipient domain.';
COMMENT ON COLUMN bounce.bounce_events.campaign IS 'Campaign of the returned message.';
COMMENT ON COLUMN bounce.bounce_events.reason IS 'Reason (bounce.reasons).';
COMMENT ON COLUMN bounce.bounce_events.reason_group IS 'Group of the reason.';
COMMENT ON COLUMN bounce.bounce_events.hard_bounce IS 'Whether the address is dead.';
COMMENT ON COLUMN bounce.bounce_events.status IS 'Enhanced status code.';
COMMENT ON COLUMN bounce.bounce_events.remote_mta IS 'Remote-MTA that answered.';
COMMENT ON COLUMN bounce.bounce_events.class IS 'hard (hard_bounce), complaint (feedback) or soft (any other failure).';
COMMENT ON COLUMN bounce.bounce_events.day IS 'UTC day of the event time.';
COMMENT ON COLUMN bounce.bounce_events.address IS 'Lower-cased recipient address.';

-- ---- daily rates -----------------------------------------------------------

CREATE VIEW bounce.daily_domain_rates AS
  WITH b AS (
    SELECT day, recipient_domain AS domain,
           count(*) FILTER (WHERE class = 'hard') AS hard,
           count(*) FILTER (WHERE class = 'soft') AS soft,
           count(*) FILTER (WHERE class = 'complaint') AS complaints
      FROM bounce.bounce_events
     WHERE recipient_domain IS NOT NULL
     GROUP BY 1, 2
  ), s AS (
    SELECT day, recipient_domain AS domain, sum(sent)::bigint AS sends
      FROM bounce.send_counts GROUP BY 1, 2
  )
  SELECT COALESCE(b.day, s.day) AS day, COALESCE(b.domain, s.domain) AS recipient_domain,
         s.sends, COALESCE(b.hard, 0) AS hard, COALESCE(b.soft, 0) AS soft,
         COALESCE(b.complaints, 0) AS complaints,
         COALESCE(b.hard + b.soft + b.complaints, 0) AS bounces,
         round(b.hard::numeric / NULLIF(s.sends, 0), 6) AS hard_rate,
         round(b.soft::numeric / NULLIF(s.sends, 0), 6) AS soft_rate,
         round(b.complaints::numeric / NULLIF(s.sends, 0), 6) AS complaint_rate
    FROM b FULL JOIN s ON s.day = b.day AND s.domain = b.domain;
COMMENT ON VIEW bounce.daily_domain_rates IS
  'Per UTC day and recipient domain: sends (NULL when unknown), hard, soft and complaint counts, and each over sends (NULL when sends are unknown or 0).';

COMMENT ON COLUMN bounce.daily_domain_rates.day IS 'UTC day.';
COMMENT ON COLUMN bounce.daily_domain_rates.recipient_domain IS 'Lower-case recipient domain.';
COMMENT ON COLUMN bounce.daily_domain_rates.sends IS 'Messages sent (send_counts), NULL when unknown.';
COMMENT ON COLUMN bounce.daily_domain_rates.hard IS 'Hard bounces (hard_bounce).';
COMMENT ON COLUMN bounce.daily_domain_rates.soft IS 'Soft bounces (every other failure but complaints; delays excluded).';
COMMENT ON COLUMN bounce.daily_domain_rates.complaints IS 'Complaints (reason feedback).';
COMMENT ON COLUMN bounce.daily_domain_rates.bounces IS 'hard + soft + complaints.';
COMMENT ON COLUMN bounce.daily_domain_rates.hard_rate IS 'hard over sends; NULL when sends are unknown or 0.';
COMMENT ON COLUMN bounce.daily_domain_rates.soft_rate IS 'soft over sends; NULL when sends are unknown or 0.';
COMMENT ON COLUMN bounce.daily_domain_rates.complaint_rate IS 'complaints over sends; NULL when sends are unknown or 0.';

CREATE VIEW bounce.daily_campaign_rates AS
  WITH b AS (
    SELECT day, COALESCE(campaign, '') AS ckey,
           count(*) FILTER (WHERE class = 'hard') AS hard,
           count(*) FILTER (WHERE class = 'soft') AS soft,
           count(*) FILTER (WHERE class = 'complaint') AS complaints
      FROM bounce.bounce_events GROUP BY 1, 2
  ), s AS (
    SELECT day, COALESCE(campaign, '') AS ckey, sum(sent)::bigint AS sends
      FROM bounce.send_counts GROUP BY 1, 2
  )
  SELECT COALESCE(b.day, s.day) AS day, NULLIF(COALESCE(b.ckey, s.ckey), '') AS campaign,
         s.sends, COALESCE(b.hard, 0) AS hard, COALESCE(b.soft, 0) AS soft,
         COALESCE(b.complaints, 0) AS complaints,
         COALESCE(b.hard + b.soft + b.complaints, 0) AS bounces,
         round(b.hard::numeric / NULLIF(s.sends, 0), 6) AS hard_rate,
         round(b.soft::numeric / NULLIF(s.sends, 0), 6) AS soft_rate,
         round(b.complaints::numeric / NULLIF(s.sends, 0), 6) AS complaint_rate
    FROM b FULL JOIN s ON s.day = b.day AND s.ckey = b.ckey;
COMMENT ON VIEW bounce.daily_campaign_rates IS
  'Per UTC day and campaign (NULL: mail without a campaign): sends, hard, soft and complaint counts and rates, as daily_domain_rates.';

COMMENT ON COLUMN bounce.daily_campaign_rates.day IS 'UTC day.';
COMMENT ON COLUMN bounce.daily_campaign_rates.campaign IS 'Campaign; NULL for mail without one.';
COMMENT ON COLUMN bounce.daily_campaign_rates.sends IS 'Messages sent (send_counts), NULL when unknown.';
COMMENT ON COLUMN bounce.daily_campaign_rates.hard IS 'Hard bounces (hard_bounce).';
COMMENT ON COLUMN bounce.daily_campaign_rates.soft IS 'Soft bounces (every other failure but complaints; delays excluded).';
COMMENT ON COLUMN bounce.daily_campaign_rates.complaints IS 'Complaints (reason feedback).';
COMMENT ON COLUMN bounce.daily_campaign_rates.bounces IS 'hard + soft + complaints.';
COMMENT ON COLUMN bounce.daily_campaign_rates.hard_rate IS 'hard over sends; NULL when sends are unknown or 0.';
COMMENT ON COLUMN bounce.daily_campaign_rates.soft_rate IS 'soft over sends; NULL when sends are unknown or 0.';
COMMENT ON COLUMN bounce.daily_campaign_rates.complaint_rate IS 'complaints over sends; NULL when sends are unknown or 0.';

CREATE VIEW bounce.daily_provider_rates AS
  SELECT r.day, COALESCE(p.provider, 'other') AS provider,
         sum(r.sends)::bigint AS sends,
         sum(r.hard)::bigint AS hard, sum(r.soft)::bigint AS soft,
         sum(r.complaints)::bigint AS complaints, sum(r.bounces)::bigint AS bounces,
         count(*) AS domains,
         round((sum(r.hard) FILTER (WHERE r.sends IS NOT NULL))::numeric
               / NULLIF(sum(r.sends), 0), 6) AS hard_rate,
         round((sum(r.soft) FILTER (WHERE r.sends IS NOT NULL))::numeric
               / NULLIF(sum(r.sends), 0), 6) AS soft_rate,
         round((sum(r.complaints) FILTER (WHERE r.sends IS NOT NULL))::numeric
               / NULLIF(sum(r.sends), 0), 6) AS complaint_rate
    FROM bounce.daily_domain_rates r
    LEFT JOIN bounce.domain_providers p ON p.domain = r.recipient_domain
   GROUP BY 1, 2;
COMMENT ON VIEW bounce.daily_provider_rates IS
  'Per UTC day and mailbox provider (bounce.domain_providers): the daily_domain_rates of its domains added up.  Rates count only the bounces of domains whose sends are known that day, over those sends.';

COMMENT ON COLUMN bounce.daily_provider_rates.day IS 'UTC day.';
COMMENT ON COLUMN bounce.daily_provider_rates.provider IS 'Mailbox provider (bounce.domain_providers), or other.';
COMMENT ON COLUMN bounce.daily_provider_rates.domains IS 'Recipient domains of the provider with a row that day.';
COMMENT ON COLUMN bounce.daily_provider_rates.sends IS 'Messages sent (send_counts), NULL when unknown.';
COMMENT ON COLUMN bounce.daily_provider_rates.hard IS 'Hard bounces (hard_bounce).';
COMMENT ON COLUMN bounce.daily_provider_rates.soft IS 'Soft bounces (every other failure but complaints; delays excluded).';
COMMENT ON COLUMN bounce.daily_provider_rates.complaints IS 'Complaints (reason feedback).';
COMMENT ON COLUMN bounce.daily_provider_rates.bounces IS 'hard + soft + complaints.';
COMMENT ON COLUMN bounce.daily_provider_rates.hard_rate IS 'hard of the domains with known sends over their sends; NULL when sends are unknown or 0.';
COMMENT ON COLUMN bounce.daily_provider_rates.soft_rate IS 'soft of the domains with known sends over their sends; NULL when sends are unknown or 0.';
COMMENT ON COLUMN bounce.daily_provider_rates.complaint_rate IS 'complaints of the domains with known sends over their sends; NULL when sends are unknown or 0.';

-- ---- breakdowns ------------------------------------------------------------

CREATE VIEW bounce.reason_breakdown AS
  SELECT (o.event_time AT TIME ZONE 'UTC')::date AS day, r.grp AS reason_group, o.reason,
         o.hard_bounce, count(*) AS outcomes, count(DISTINCT lower(o.recipient)) AS addresses,
         count(DISTINCT o.recipient_domain) AS domains
    FROM bounce.recipient_outcomes o
    LEFT JOIN bounce.reasons r ON r.reason = o.reason
   GROUP BY 1, 2, 3, 4;
COMMENT ON VIEW bounce.reason_breakdown IS
  'Per UTC day, reason group, reason and hard_bounce: outcomes, distinct addresses and distinct domains (all outcomes, vacation and delivered included, so that they can be compared).';

COMMENT ON COLUMN bounce.reason_breakdown.day IS 'UTC day.';
COMMENT ON COLUMN bounce.reason_breakdown.reason_group IS 'Group of the reason.';
COMMENT ON COLUMN bounce.reason_breakdown.reason IS 'Reason.';
COMMENT ON COLUMN bounce.reason_breakdown.hard_bounce IS 'Whether the outcomes are hard bounces.';
COMMENT ON COLUMN bounce.reason_breakdown.outcomes IS 'Number of outcomes.';
COMMENT ON COLUMN bounce.reason_breakdown.addresses IS 'Distinct addresses (lower case).';
COMMENT ON COLUMN bounce.reason_breakdown.domains IS 'Distinct recipient domains.';

CREATE VIEW bounce.top_failing_domains AS
  SELECT recipient_domain, COALESCE(p.provider, 'other') AS provider,
         sum(sends)::bigint AS sends, sum(hard)::bigint AS hard, sum(soft)::bigint AS soft,
         sum(complaints)::bigint AS complaints, sum(bounces)::bigint AS bounces,
         round((sum(hard) FILTER (WHERE sends IS NOT NULL))::numeric
               / NULLIF(sum(sends), 0), 6) AS hard_rate,
         round((sum(bounces) FILTER (WHERE sends IS NOT NULL))::numeric
               / NULLIF(sum(sends), 0), 6) AS bounce_rate
    FROM bounce.daily_domain_rates r
    LEFT JOIN bounce.domain_providers p ON p.domain = r.recipient_domain
   WHERE r.day >= (now() AT TIME ZONE 'UTC')::date - 30
   GROUP BY 1, 2
  HAVING sum(bounces) > 0
   ORDER BY bounces DESC, recipient_domain;
COMMENT ON VIEW bounce.top_failing_domains IS
  'Recipient domains with bounces in the last 30 days (UTC), most bounces first, with sends and rates where known (rates count the bounces of days with known sends only).';

COMMENT ON COLUMN bounce.top_failing_domains.recipient_domain IS 'Lower-case recipient domain.';
COMMENT ON COLUMN bounce.top_failing_domains.provider IS 'Its mailbox provider.';
COMMENT ON COLUMN bounce.top_failing_domains.sends IS 'Messages sent in the 30 days, NULL when unknown.';
COMMENT ON COLUMN bounce.top_failing_domains.hard IS 'Hard bounces.';
COMMENT ON COLUMN bounce.top_failing_domains.soft IS 'Soft bounces.';
COMMENT ON COLUMN bounce.top_failing_domains.complaints IS 'Complaints.';
COMMENT ON COLUMN bounce.top_failing_domains.bounces IS 'hard + soft + complaints.';
COMMENT ON COLUMN bounce.top_failing_domains.hard_rate IS 'Hard bounces of days with known sends over those sends.';
COMMENT ON COLUMN bounce.top_failing_domains.bounce_rate IS 'All bounces of days with known sends over those sends.';

CREATE VIEW bounce.parse_failures_daily AS
  SELECT (ingested_at AT TIME ZONE 'UTC')::date AS day, count(*) AS failures,
         count(DISTINCT error) AS distinct_errors
    FROM bounce.messages WHERE kind = 'error'
   GROUP BY 1;
COMMENT ON VIEW bounce.parse_failures_daily IS
  'Messages that could not be parsed, per UTC day of ingestion (details in bounce.parse_failures).';

COMMENT ON COLUMN bounce.parse_failures_daily.day IS 'UTC day of ingestion.';
COMMENT ON COLUMN bounce.parse_failures_daily.failures IS 'Messages that could not be parsed.';
COMMENT ON COLUMN bounce.parse_failures_daily.distinct_errors IS 'Distinct error texts among them.';

-- ---- suppression list ------------------------------------------------------

CREATE VIEW bounce.suppression_list AS
  SELECT address, domain, suppressed_at, suppressed_reason AS reason,
         CASE WHEN operator_action = 'suppress' THEN 'operator' ELSE 'policy' END AS source,
         suppressed_message_id AS message_id, last_event_time
    FROM bounce.recipients
   WHERE suppressed;
COMMENT ON VIEW bounce.suppression_list IS
  'Addresses a mailer must not send to: one row per suppressed address (lower case), with when and why.';
COMMENT ON COLUMN bounce.suppression_list.address IS 'The address, lower case.';
COMMENT ON COLUMN bounce.suppression_list.domain IS 'Its domain.';
COMMENT ON COLUMN bounce.suppression_list.suppressed_at IS 'Event time of the deciding outcome, or time of the operator command.';
COMMENT ON COLUMN bounce.suppression_list.reason IS 'Why, in words.';
COMMENT ON COLUMN bounce.suppression_list.source IS 'policy (an outcome decided) or operator (bounced suppress).';
COMMENT ON COLUMN bounce.suppression_list.message_id IS 'The message of the deciding outcome, NULL for operator decisions.';
COMMENT ON COLUMN bounce.suppression_list.last_event_time IS 'Event time of the latest outcome of the address.';

-- The analyst role reads the new views too (001 granted only what existed).
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bounced_reader') THEN
    GRANT SELECT ON ALL TABLES IN SCHEMA bounce TO bounced_reader;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bounced_ingest') THEN
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA bounce TO bounced_ingest;
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA bounce TO bounced_ingest;
  END IF;
END $$;
