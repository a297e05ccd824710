-- 001_schema.sql - schema bounce: messages, recipient outcomes, recipients,
-- send counts, roles.
--
-- Applied by `bounced migrate` (and by ingest/watch at start) inside one
-- transaction that holds the migration advisory lock, after which the
-- version is recorded in bounce.schema_migrations.  A migration is never
-- edited once released: later changes are new numbered files.
--
-- Invariants:
--  1. One messages row per distinct content (sha256 unique): ingesting a
--     file twice, or by two workers at once, is a no-op the second time.
--  2. recipient_outcomes rows are written only together with their new
--     messages row, in the same transaction, so a message has either all of
--     its outcomes or none.
--  3. recipients holds, per lower-cased address, counters that equal the
--     corresponding counts over recipient_outcomes.
--  4. Absent is NULL, never ''.
--
-- Scale: recipient_outcomes is range-partitioned by event time (month
-- partitions are added with bounce.add_outcome_month(); rows of months
-- without a partition land in the default partition).  No column depends on
-- a single node: keys are natural (content hash, address) or per-message,
-- and the outcomes carry their recipient domain, the distribution column for
-- a later Citus setup.

CREATE SCHEMA IF NOT EXISTS bounce;
COMMENT ON SCHEMA bounce IS
  'Returned mail turned into rows by bounced: ingested messages, one outcome per recipient, per-address state and send counts.';

-- ---- reasons --------------------------------------------------------------

CREATE TABLE bounce.reasons (
  reason      text PRIMARY KEY,
  grp         text NOT NULL,
  description text NOT NULL
);
COMMENT ON TABLE bounce.reasons IS
  'The reason vocabulary of bounced (bounced-reasons(7)): one row per reason with its group.';
COMMENT ON COLUMN bounce.reasons.reason IS 'Reason name as stored in recipient_outcomes.reason.';
COMMENT ON COLUMN bounce.reasons.grp IS
  'Group of the reason: recipient, mailbox, message, recipient-policy, sender, content, infrastructure, unknown, provider, not-a-bounce, complaint.  Outcomes of the mailbox, infrastructure and unknown groups that are not hard bounces count as soft bounces (bounced-reasons(7), suppression policy).';
COMMENT ON COLUMN bounce.reasons.description IS 'What the reason means, in one sentence.';

INSERT INTO bounce.reasons (reason, grp, description) VALUES
  ('userunknown',     'recipient',        'the mailbox does not exist at the destination'),
  ('hostunknown',     'recipient',        'the recipient''s domain does not exist or has no usable MX'),
  ('hasmoved',        'recipient',        'the address moved; the MTA names a new one'),
  ('notaccept',       'recipient',        'the destination accepts no mail at all'),
  ('mailboxfull',     'mailbox',          'the mailbox is over quota'),
  ('suspend',         'mailbox',          'the mailbox exists but is disabled, inactive or suspended'),
  ('exceedlimit',     'mailbox',          'the message exceeds a size limit of the recipient''s mailbox'),
  ('mesgtoobig',      'message',          'the message exceeds a size limit of the system'),
  ('filtered',        'recipient-policy', 'rejected by a recipient-side filter after the address was accepted'),
  ('rejected',        'sender',           'the sender (envelope from) was refused'),
  ('blocked',         'sender',           'the sending host or IP was refused'),
  ('badreputation',   'sender',           'refused for poor reputation of the sender'),
  ('requireptr',      'sender',           'the sending IP has no (matching) reverse DNS'),
  ('authfailure',     'sender',           'SPF, DKIM or DMARC checks failed'),
  ('norelaying',      'sender',           'relaying was denied'),
  ('securityerror',   'sender',           'authentication or encryption required or failed'),
  ('failedstarttls',  'sender',           'the TLS handshake failed'),
  ('speeding',        'sender',           'too many messages too fast; rate limited'),
  ('toomanyconn',     'sender',           'too many connections from the sending host'),
  ('spamdetected',    'content',          'the content was judged to be spam'),
  ('virusdetected',   'content',          'the content carried malware'),
  ('contenterror',    'content',          'the content is malformed or of a disallowed type'),
  ('notcompliantrfc', 'content',          'the message violates a mail RFC'),
  ('policyviolation', 'recipient-policy', 'refused by a stated local policy'),
  ('syntaxerror',     'infrastructure',   'the MTA reported a protocol syntax error'),
  ('systemerror',     'infrastructure',   'the receiving system failed'),
  ('systemfull',      'infrastructure',   'the receiving system is out of storage'),
  ('networkerror',    'infrastructure',   'DNS lookup or routing failed, connection refused or timed out'),
  ('expired',         'infrastructure',   'delivery was retried until the queue lifetime ran out'),
  ('mailererror',     'infrastructure',   'a local delivery program failed'),
  ('onhold',          'unknown',          'a failure was seen but its cause could not be told'),
  ('undefined',       'unknown',          'no reason could be derived at all'),
  ('suppressed',      'provider',         'the sending service refused: the address is on its suppression list'),
  ('delivered',       'not-a-bounce',     'delivery succeeded'),
  ('vacation',        'not-a-bounce',     'an automatic reply, not a failure'),
  ('feedback',        'complaint',        'a complaint or feedback report');

-- ---- messages -------------------------------------------------------------

-- Keys compared byte-wise (COLLATE "C"): a hash and an address have no
-- linguistic order, and byte comparison keeps every index probe cheap.
CREATE TABLE bounce.messages (
  id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  sha256               text COLLATE "C" NOT NULL UNIQUE CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  source               text NOT NULL,
  size                 bigint NOT NULL CHECK (size >= 0),
  kind                 text NOT NULL CHECK (kind IN ('dsn', 'legacy-bounce', 'auto-reply',
                                                     'feedback', 'not-bounce', 'error')),
  format               text,
  reporting_mta        text,
  dsn_gateway          text,
  received_from_mta    text,
  original_envelope_id text,
  arrival_date         timestamptz,
  message_from         text,
  message_subject      text,
  message_date         timestamptz,
  original_message_id  text,
  original_from        text,
  original_to          text,
  original_subject     text,
  original_date        text,
  original_list_id     text,
  campaign             text,
  extensions           jsonb,
  parser_version       text NOT NULL,
  classifier_version   text NOT NULL,
  error                text,
  ingested_at          timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE bounce.messages IS
  'One row per ingested message file (per distinct content: sha256 is unique, so ingest is idempotent), including messages that are not bounces or could not be parsed.';
COMMENT ON COLUMN bounce.messages.id IS 'Surrogate key, referenced by recipient_outcomes.message_id.';
COMMENT ON COLUMN bounce.messages.sha256 IS 'Hex SHA-256 of the raw message bytes: the idempotency key.';
COMMENT ON COLUMN bounce.messages.source IS 'Path of the file when it was first ingested (informational: files move).';
COMMENT ON COLUMN bounce.messages.size IS 'Size of the raw message in bytes.';
COMMENT ON COLUMN bounce.messages.kind IS 'dsn, legacy-bounce, auto-reply, feedback, not-bounce or error (unparseable).';
COMMENT ON COLUMN bounce.messages.format IS 'Decoder that recognised the message (rfc3464, postfix, qmail, ...); NULL for not-bounce and error.';
COMMENT ON COLUMN bounce.messages.reporting_mta IS 'Reporting-MTA of the DSN (RFC 3464 2.2.2), type prefix removed.';
COMMENT ON COLUMN bounce.messages.dsn_gateway IS 'DSN-Gateway (RFC 3464 2.2.3).';
COMMENT ON COLUMN bounce.messages.received_from_mta IS 'Received-From-MTA (RFC 3464 2.2.4).';
COMMENT ON COLUMN bounce.messages.original_envelope_id IS 'Original-Envelope-Id (RFC 3464 2.2.1), the ENVID the sender gave.';
COMMENT ON COLUMN bounce.messages.arrival_date IS 'Arrival-Date (RFC 3464 2.2.5): when the reporting MTA received the original message.';
COMMENT ON COLUMN bounce.messages.message_from IS 'From header of the bounce itself.';
COMMENT ON COLUMN bounce.messages.message_subject IS 'Subject header of the bounce itself, decoded.';
COMMENT ON COLUMN bounce.messages.message_date IS 'Date header of the bounce itself; NULL when absent or unreadable.';
COMMENT ON COLUMN bounce.messages.original_message_id IS 'Message-ID of the returned (original) message.';
COMMENT ON COLUMN bounce.messages.original_from IS 'From header of the returned message.';
COMMENT ON COLUMN bounce.messages.original_to IS 'To header of the returned message.';
COMMENT ON COLUMN bounce.messages.original_subject IS 'Subject of the returned message, decoded.';
COMMENT ON COLUMN bounce.messages.original_date IS 'Date header of the returned message, as written.';
COMMENT ON COLUMN bounce.messages.original_list_id IS 'List-Id header of the returned message.';
COMMENT ON COLUMN bounce.messages.campaign IS 'Campaign of the returned message (the configured campaign header, X-Campaign-ID by default).';
COMMENT ON COLUMN bounce.messages.extensions IS 'Per-message X- fields of the DSN as a JSON object; NULL when there are none.';
COMMENT ON COLUMN bounce.messages.parser_version IS 'Version of bounced that parsed the message.';
COMMENT ON COLUMN bounce.messages.classifier_version IS 'Version of the classifier (rules and decision order) that chose the reasons.';
COMMENT ON COLUMN bounce.messages.error IS 'Why the message could not be read or parsed (kind error); NULL otherwise.';
COMMENT ON COLUMN bounce.messages.ingested_at IS 'When the message was stored (time of the writing transaction).';

-- Every index costs each ingested row; these serve the lookups that have
-- no other path: parse failures (few rows), and joining bounces to the
-- sender's own log by Message-ID.
CREATE INDEX messages_failures_idx ON bounce.messages (ingested_at) WHERE kind = 'error';
CREATE INDEX messages_original_message_id_idx ON bounce.messages (original_message_id)
  WHERE original_message_id IS NOT NULL;

-- ---- recipient_outcomes ---------------------------------------------------

-- Partitioned by event time so that retention drops whole months; the
-- primary key therefore includes event_time (PostgreSQL requires the
-- partition key in every unique constraint).  Uniqueness of (message_id,
-- ordinal) alone is guaranteed by invariant 2, not by the key.
CREATE TABLE bounce.recipient_outcomes (
  message_id         bigint NOT NULL REFERENCES bounce.messages (id) ON DELETE CASCADE,
  ordinal            integer NOT NULL CHECK (ordinal >= 0),
  event_time         timestamptz NOT NULL,
  recipient          text,
  recipient_domain   text,
  original_recipient text,
  action             text,
  status             text,
  reply_code         text,
  diagnostic_type    text,
  diagnostic         text,
  remote_mta         text,
  last_attempt       timestamptz,
  will_retry_until   timestamptz,
  final_log_id       text,
  feedback_type      text,
  reason             text NOT NULL,
  hard_bounce        boolean NOT NULL,
  evidence           text,
  extensions         jsonb,
  kind               text NOT NULL,
  campaign           text,
  PRIMARY KEY (message_id, ordinal, event_time)
) PARTITION BY RANGE (event_time);
COMMENT ON TABLE bounce.recipient_outcomes IS
  'One row per recipient per message, with every per-recipient field bounced reports.  Range-partitioned by event_time (month partitions via bounce.add_outcome_month, otherwise the default partition).';
COMMENT ON COLUMN bounce.recipient_outcomes.message_id IS 'The message that reported the outcome (bounce.messages.id).';
COMMENT ON COLUMN bounce.recipient_outcomes.ordinal IS 'Position of the recipient in the report, from 0.';
COMMENT ON COLUMN bounce.recipient_outcomes.event_time IS
  'When it happened: Last-Attempt-Date of the recipient, else Arrival-Date of the report, else the Date of the bounce, else the ingest time.';
COMMENT ON COLUMN bounce.recipient_outcomes.recipient IS 'The recipient address as reported (Final-Recipient, bare).';
COMMENT ON COLUMN bounce.recipient_outcomes.recipient_domain IS 'Lower-cased domain of the recipient (the part after the last @).';
COMMENT ON COLUMN bounce.recipient_outcomes.original_recipient IS 'Original-Recipient (RFC 3464 2.3.1), bare.';
COMMENT ON COLUMN bounce.recipient_outcomes.action IS 'Action (RFC 3464 2.3.3): failed, delayed, delivered, relayed or expanded.';
COMMENT ON COLUMN bounce.recipient_outcomes.status IS 'Enhanced status code (RFC 3463) c.sss.ddd.';
COMMENT ON COLUMN bounce.recipient_outcomes.reply_code IS 'SMTP reply code (RFC 5321 4.2), e.g. 550.';
COMMENT ON COLUMN bounce.recipient_outcomes.diagnostic_type IS 'Type of the Diagnostic-Code (smtp, x-unix, ...), lower case.';
COMMENT ON COLUMN bounce.recipient_outcomes.diagnostic IS 'Diagnostic text, unfolded, whitespace collapsed.';
COMMENT ON COLUMN bounce.recipient_outcomes.remote_mta IS 'Remote-MTA (RFC 3464 2.3.5): the server that gave the diagnostic.';
COMMENT ON COLUMN bounce.recipient_outcomes.last_attempt IS 'Last-Attempt-Date (RFC 3464 2.3.7).';
COMMENT ON COLUMN bounce.recipient_outcomes.will_retry_until IS 'Will-Retry-Until (RFC 3464 2.3.8), for delayed outcomes.';
COMMENT ON COLUMN bounce.recipient_outcomes.final_log_id IS 'Final-Log-ID (RFC 3464 2.3.9).';
COMMENT ON COLUMN bounce.recipient_outcomes.feedback_type IS 'Feedback-Type of a feedback report (RFC 5965), e.g. abuse.';
COMMENT ON COLUMN bounce.recipient_outcomes.reason IS 'Why delivery did not happen, from the vocabulary in bounce.reasons.';
COMMENT ON COLUMN bounce.recipient_outcomes.hard_bounce IS 'Whether the address itself is dead (bounced-reasons(7)).';
COMMENT ON COLUMN bounce.recipient_outcomes.evidence IS 'What decided the reason, e.g. diagnostic:rule-name or status:5.1.1.';
COMMENT ON COLUMN bounce.recipient_outcomes.extensions IS 'X- fields of the recipient block as a JSON object; NULL when none.';
COMMENT ON COLUMN bounce.recipient_outcomes.kind IS 'Kind of the reporting message (copied from messages so that rate queries need no join).';
COMMENT ON COLUMN bounce.recipient_outcomes.campaign IS 'Campaign of the returned message (copied from messages for per-campaign rates).';

CREATE TABLE bounce.recipient_outcomes_default PARTITION OF bounce.recipient_outcomes DEFAULT;
COMMENT ON TABLE bounce.recipient_outcomes_default IS
  'Outcomes of months that have no partition of their own (see bounce.add_outcome_month).';

-- Indexes on the partitioned table are created on every partition.  The
-- analyst queries (rates and reason breakdowns per day, domain and
-- campaign) read a range of event time: month partitions and a BRIN index
-- on event_time serve them (rows arrive roughly in time order, so BRIN
-- stays selective at a fraction of a B-tree's cost per insert).  One
-- domain's or one address's history has a B-tree each.
CREATE INDEX recipient_outcomes_time_brin
  ON bounce.recipient_outcomes USING brin (event_time);
CREATE INDEX recipient_outcomes_domain_time_idx
  ON bounce.recipient_outcomes (recipient_domain, event_time);
CREATE INDEX recipient_outcomes_recipient_time_idx
  ON bounce.recipient_outcomes (lower(recipient), event_time);

-- Creates the partition of recipient_outcomes for the month of @month
-- (moving that month's rows out of the default partition) unless it exists.
-- Run it ahead of time, e.g. monthly from cron, as the owner of the schema.
CREATE FUNCTION bounce.add_outcome_month(month date) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
  lo timestamptz := date_trunc('month', month::timestamp) AT TIME ZONE 'UTC';
  hi timestamptz := (date_trunc('month', month::timestamp) + interval '1 month') AT TIME ZONE 'UTC';
  name text := 'recipient_outcomes_' || to_char(month, 'YYYY_MM');
BEGIN
  IF to_regclass(format('bounce.%I', name)) IS NOT NULL THEN
    RETURN name;
  END IF;
  -- The default partition must not hold rows of the new range when the
  -- partition is attached; lock it so that no writer adds one meanwhile.
  LOCK TABLE bounce.recipient_outcomes_default IN SHARE ROW EXCLUSIVE MODE;
  EXECUTE format('CREATE TABLE bounce.%I (LIKE bounce.recipient_outcomes INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', name);
  EXECUTE format('WITH moved AS (DELETE FROM bounce.recipient_outcomes_default
                   WHERE event_time >= %L AND event_time < %L RETURNING *)
                  INSERT INTO bounce.%I SELECT * FROM moved', lo, hi, name);
  EXECUTE format('ALTER TABLE bounce.recipient_outcomes ATTACH PARTITION bounce.%I FOR VALUES FROM (%L) TO (%L)',
                 name, lo, hi);
  EXECUTE format('COMMENT ON TABLE bounce.%I IS %L', name,
                 'Outcomes of ' || to_char(month, 'YYYY-MM') || ' (UTC).');
  RETURN name;
END $$;
COMMENT ON FUNCTION bounce.add_outcome_month(date) IS
  'Creates the recipient_outcomes partition of the month containing the argument (UTC), moving its rows out of the default partition; returns the partition name.';

-- ---- recipients -----------------------------------------------------------

CREATE TABLE bounce.recipients (
  address           text COLLATE "C" PRIMARY KEY,
  domain            text,
  outcomes          bigint NOT NULL DEFAULT 0,
  hard_bounces      bigint NOT NULL DEFAULT 0,
  soft_bounces      bigint NOT NULL DEFAULT 0,
  complaints        bigint NOT NULL DEFAULT 0,
  delivered         bigint NOT NULL DEFAULT 0,
  first_event_time  timestamptz NOT NULL,
  last_event_time   timestamptz NOT NULL,
  last_message_id   bigint NOT NULL,
  last_reason       text NOT NULL,
  last_status       text,
  last_hard_bounce  boolean NOT NULL,
  last_delivered_at timestamptz,
  updated_at        timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE bounce.recipients IS
  'One row per recipient address seen in an outcome: counters over its outcomes and its latest outcome.  Kept in step with recipient_outcomes by the writer, in the same transaction.';
COMMENT ON COLUMN bounce.recipients.address IS
  'The address, lower-cased (RFC 5321 2.4 lets local parts be case-sensitive, but no mail system in practice treats them so).';
COMMENT ON COLUMN bounce.recipients.domain IS 'Lower-cased domain of the address.';
COMMENT ON COLUMN bounce.recipients.outcomes IS 'Number of outcomes for the address.';
COMMENT ON COLUMN bounce.recipients.hard_bounces IS 'Outcomes with hard_bounce true.';
COMMENT ON COLUMN bounce.recipients.soft_bounces IS
  'Outcomes that are not hard bounces and whose reason is of the mailbox, infrastructure or unknown group (the groups the suppression policy counts as soft bounces).';
COMMENT ON COLUMN bounce.recipients.complaints IS 'Outcomes with reason feedback (complaints).';
COMMENT ON COLUMN bounce.recipients.delivered IS 'Outcomes with reason delivered.';
COMMENT ON COLUMN bounce.recipients.first_event_time IS 'Event time of the earliest outcome.';
COMMENT ON COLUMN bounce.recipients.last_event_time IS 'Event time of the latest outcome (latest by event time, then message id).';
COMMENT ON COLUMN bounce.recipients.last_message_id IS 'Message of the latest outcome.';
COMMENT ON COLUMN bounce.recipients.last_reason IS 'Reason of the latest outcome.';
COMMENT ON COLUMN bounce.recipients.last_status IS 'Enhanced status code of the latest outcome.';
COMMENT ON COLUMN bounce.recipients.last_hard_bounce IS 'hard_bounce of the latest outcome.';
COMMENT ON COLUMN bounce.recipients.last_delivered_at IS 'Event time of the latest delivered outcome, NULL if none.';
COMMENT ON COLUMN bounce.recipients.updated_at IS 'When the row last changed.';

CREATE INDEX recipients_domain_idx ON bounce.recipients (domain);
CREATE INDEX recipients_last_event_idx ON bounce.recipients (last_event_time);

-- ---- send_counts ----------------------------------------------------------

CREATE TABLE bounce.send_counts (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  day              date NOT NULL,
  campaign         text,
  recipient_domain text NOT NULL,
  sent             bigint NOT NULL CHECK (sent >= 0),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  -- A day without a campaign is one row too (NULL campaign, PostgreSQL 15).
  UNIQUE NULLS NOT DISTINCT (day, campaign, recipient_domain)
);
COMMENT ON TABLE bounce.send_counts IS
  'What was sent, per day, campaign and recipient domain: the denominator of bounce rates.  Filled by the mailer or by bounced sends import.';
COMMENT ON COLUMN bounce.send_counts.id IS 'Surrogate key.';
COMMENT ON COLUMN bounce.send_counts.day IS 'Day of sending (UTC).';
COMMENT ON COLUMN bounce.send_counts.campaign IS 'Campaign, as in the campaign header of the sent mail; NULL for mail without one.';
COMMENT ON COLUMN bounce.send_counts.recipient_domain IS 'Lower-cased recipient domain.';
COMMENT ON COLUMN bounce.send_counts.sent IS 'Number of messages (recipients) sent.';
COMMENT ON COLUMN bounce.send_counts.updated_at IS 'When the count was last written.';

-- ---- views ----------------------------------------------------------------

CREATE VIEW bounce.parse_failures AS
  SELECT id, sha256, source, size, error, parser_version, ingested_at
    FROM bounce.messages
   WHERE kind = 'error';
COMMENT ON VIEW bounce.parse_failures IS 'Messages that could not be read or parsed, with the error.';
COMMENT ON COLUMN bounce.parse_failures.id IS 'bounce.messages.id.';
COMMENT ON COLUMN bounce.parse_failures.sha256 IS 'Hex SHA-256 of the raw bytes.';
COMMENT ON COLUMN bounce.parse_failures.source IS 'Path when ingested.';
COMMENT ON COLUMN bounce.parse_failures.size IS 'Size in bytes.';
COMMENT ON COLUMN bounce.parse_failures.error IS 'Why it could not be parsed.';
COMMENT ON COLUMN bounce.parse_failures.parser_version IS 'Version of bounced that tried.';
COMMENT ON COLUMN bounce.parse_failures.ingested_at IS 'When it was stored.';

CREATE VIEW bounce.outcomes AS
  SELECT o.*, r.grp AS reason_group, m.sha256, m.source, m.format, m.reporting_mta,
         m.original_message_id, m.original_subject, m.classifier_version
    FROM bounce.recipient_outcomes o
    JOIN bounce.messages m ON m.id = o.message_id
    LEFT JOIN bounce.reasons r ON r.reason = o.reason;
COMMENT ON VIEW bounce.outcomes IS 'recipient_outcomes with the reason group and the main fields of their message.';
-- The columns of recipient_outcomes mean the same in the view.
DO $$
DECLARE
  c record;
BEGIN
  FOR c IN SELECT a.attname, col_description(a.attrelid, a.attnum) AS text
             FROM pg_attribute a
            WHERE a.attrelid = 'bounce.recipient_outcomes'::regclass
              AND a.attnum > 0 AND NOT a.attisdropped
  LOOP
    EXECUTE format('COMMENT ON COLUMN bounce.outcomes.%I IS %L', c.attname, c.text);
  END LOOP;
END $$;
COMMENT ON COLUMN bounce.outcomes.reason_group IS 'Group of the reason (bounce.reasons.grp).';
COMMENT ON COLUMN bounce.outcomes.sha256 IS 'Hex SHA-256 of the reporting message.';
COMMENT ON COLUMN bounce.outcomes.source IS 'Path of the reporting message when ingested.';
COMMENT ON COLUMN bounce.outcomes.format IS 'Decoder that read the reporting message.';
COMMENT ON COLUMN bounce.outcomes.reporting_mta IS 'Reporting-MTA of the reporting message.';
COMMENT ON COLUMN bounce.outcomes.original_message_id IS 'Message-ID of the returned message.';
COMMENT ON COLUMN bounce.outcomes.original_subject IS 'Subject of the returned message.';
COMMENT ON COLUMN bounce.outcomes.classifier_version IS 'Classifier version that chose the reason.';

-- ---- roles ----------------------------------------------------------------

-- Group roles (NOLOGIN): grant them to login roles.  Roles are global to the
-- cluster, so they are created only if missing, and only when the migrating
-- role may create roles; without that right the grants are skipped and an
-- administrator creates the roles and runs the GRANTs below.
DO $$
DECLARE
  may boolean;
BEGIN
  SELECT rolsuper OR rolcreaterole INTO may FROM pg_roles WHERE rolname = current_user;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bounced_ingest') AND may THEN
    CREATE ROLE bounced_ingest NOLOGIN;
    COMMENT ON ROLE bounced_ingest IS 'bounced workers: read and write the bounce schema, nothing else.';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bounced_reader') AND may THEN
    CREATE ROLE bounced_reader NOLOGIN;
    COMMENT ON ROLE bounced_reader IS 'Analysts: read-only access to the bounce schema.';
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bounced_ingest') THEN
    GRANT USAGE ON SCHEMA bounce TO bounced_ingest;
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA bounce TO bounced_ingest;
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA bounce TO bounced_ingest;
    ALTER DEFAULT PRIVILEGES IN SCHEMA bounce
      GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO bounced_ingest;
    ALTER DEFAULT PRIVILEGES IN SCHEMA bounce
      GRANT USAGE, SELECT ON SEQUENCES TO bounced_ingest;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bounced_reader') THEN
    GRANT USAGE ON SCHEMA bounce TO bounced_reader;
    GRANT SELECT ON ALL TABLES IN SCHEMA bounce TO bounced_reader;
    ALTER DEFAULT PRIVILEGES IN SCHEMA bounce GRANT SELECT ON TABLES TO bounced_reader;
  END IF;
END $$;
