-- 110_providers.sql - mailbox providers: which recipient domains belong to
-- whom, by domain name or by the host names of their mail servers.
--
-- A recipient domain belongs to a provider when
--   1. a 'domain' row names it exactly (gmail.com -> Google), or else
--   2. the remote MTAs that answered for it (Remote-MTA, RFC 3464 2.3.5) end
--      in an 'mx' row's suffix (aspmx.l.google.com -> Google: a company
--      domain on Google Workspace); the provider most of its outcomes name
--      wins, or else
--   3. it is 'other'.
-- Users extend the table with their own rows (source 'local'); the seed
-- rows have source 'seed'.

CREATE TABLE bounce.providers (
  kind     text NOT NULL CHECK (kind IN ('domain', 'mx')),
  suffix   text NOT NULL CHECK (suffix = lower(suffix) AND suffix !~ '^\.|\.$'),
  provider text NOT NULL,
  source   text NOT NULL DEFAULT 'local',
  PRIMARY KEY (kind, suffix)
);
COMMENT ON TABLE bounce.providers IS
  'Mailbox providers: a recipient domain (kind domain, exact) or a mail server host name suffix (kind mx) and the provider it belongs to.  Add rows to extend the grouping.';
COMMENT ON COLUMN bounce.providers.kind IS
  'domain: the recipient domain itself; mx: a suffix of the host names of the domain''s mail servers (as seen in Remote-MTA).';
COMMENT ON COLUMN bounce.providers.suffix IS 'Lower-case domain (kind domain) or host name suffix (kind mx), without leading or trailing dot.';
COMMENT ON COLUMN bounce.providers.provider IS 'Provider name shown in reports (Google, Microsoft, ...).';
COMMENT ON COLUMN bounce.providers.source IS 'seed for the rows bounced ships, local for rows users add.';

INSERT INTO bounce.providers (kind, suffix, provider, source) VALUES
  ('domain', 'gmail.com', 'Google', 'seed'),
  ('domain', 'googlemail.com', 'Google', 'seed'),
  ('mx', 'google.com', 'Google', 'seed'),
  ('mx', 'googlemail.com', 'Google', 'seed'),
  ('domain', 'outlook.com', 'Microsoft', 'seed'),
  ('domain', 'hotmail.com', 'Microsoft', 'seed'),
  ('domain', 'hotmail.co.uk', 'Microsoft', 'seed'),
  ('domain', 'hotmail.fr', 'Microsoft', 'seed'),
  ('domain', 'hotmail.de', 'Microsoft', 'seed'),
  ('domain', 'hotmail.it', 'Microsoft', 'seed'),
  ('domain', 'hotmail.es', 'Microsoft', 'seed'),
  ('domain', 'live.com', 'Microsoft', 'seed'),
  ('domain', 'live.co.uk', 'Microsoft', 'seed'),
  ('domain', 'live.fr', 'Microsoft', 'seed'),
  ('domain', 'msn.com', 'Microsoft', 'seed'),
  ('domain', 'passport.com', 'Microsoft', 'seed'),
  ('mx', 'outlook.com', 'Microsoft', 'seed'),
  ('mx', 'hotmail.com', 'Microsoft', 'seed'),
  ('mx', 'outlook.office365.com', 'Microsoft', 'seed'),
  ('domain', 'yahoo.com', 'Yahoo', 'seed'),
  ('domain', 'yahoo.co.uk', 'Yahoo', 'seed'),
  ('domain', 'yahoo.fr', 'Yahoo', 'seed'),
  ('domain', 'yahoo.de', 'Yahoo', 'seed'),
  ('domain', 'ymail.com', 'Yahoo', 'seed'),
  ('domain', 'rocketmail.com', 'Yahoo', 'seed'),
  ('domain', 'aol.com', 'Yahoo', 'seed'),
  ('domain', 'aim.com', 'Yahoo', 'seed'),
  ('mx', 'yahoodns.net', 'Yahoo', 'seed'),
  ('domain', 'icloud.com', 'Apple', 'seed'),
  ('domain', 'me.com', 'Apple', 'seed'),
  ('domain', 'mac.com', 'Apple', 'seed'),
  ('mx', 'mail.icloud.com', 'Apple', 'seed'),
  ('domain', 'gmx.de', 'GMX / WEB.DE', 'seed'),
  ('domain', 'gmx.net', 'GMX / WEB.DE', 'seed'),
  ('domain', 'gmx.com', 'GMX / WEB.DE', 'seed'),
  ('domain', 'gmx.at', 'GMX / WEB.DE', 'seed'),
  ('domain', 'web.de', 'GMX / WEB.DE', 'seed'),
  ('mx', 'gmx.net', 'GMX / WEB.DE', 'seed'),
  ('mx', 'web.de', 'GMX / WEB.DE', 'seed'),
  ('domain', 't-online.de', 'Telekom', 'seed'),
  ('mx', 't-online.de', 'Telekom', 'seed'),
  ('domain', 'orange.fr', 'Orange', 'seed'),
  ('domain', 'wanadoo.fr', 'Orange', 'seed'),
  ('mx', 'orange.fr', 'Orange', 'seed'),
  ('domain', 'free.fr', 'Free', 'seed'),
  ('domain', 'laposte.net', 'La Poste', 'seed'),
  ('domain', 'comcast.net', 'Comcast', 'seed'),
  ('mx', 'comcast.net', 'Comcast', 'seed'),
  ('domain', 'att.net', 'AT&T', 'seed'),
  ('domain', 'sbcglobal.net', 'AT&T', 'seed'),
  ('domain', 'verizon.net', 'Yahoo', 'seed'),
  ('domain', 'mail.ru', 'Mail.ru', 'seed'),
  ('domain', 'bk.ru', 'Mail.ru', 'seed'),
  ('domain', 'inbox.ru', 'Mail.ru', 'seed'),
  ('domain', 'list.ru', 'Mail.ru', 'seed'),
  ('mx', 'mail.ru', 'Mail.ru', 'seed'),
  ('domain', 'yandex.ru', 'Yandex', 'seed'),
  ('domain', 'yandex.com', 'Yandex', 'seed'),
  ('domain', 'ya.ru', 'Yandex', 'seed'),
  ('mx', 'yandex.ru', 'Yandex', 'seed'),
  ('mx', 'yandex.net', 'Yandex', 'seed'),
  ('domain', 'qq.com', 'Tencent', 'seed'),
  ('domain', 'foxmail.com', 'Tencent', 'seed'),
  ('mx', 'qq.com', 'Tencent', 'seed'),
  ('domain', '163.com', 'NetEase', 'seed'),
  ('domain', '126.com', 'NetEase', 'seed'),
  ('mx', 'netease.com', 'NetEase', 'seed'),
  ('mx', '163.com', 'NetEase', 'seed'),
  ('domain', 'proton.me', 'Proton', 'seed'),
  ('domain', 'protonmail.com', 'Proton', 'seed'),
  ('mx', 'protonmail.ch', 'Proton', 'seed'),
  ('domain', 'zoho.com', 'Zoho', 'seed'),
  ('mx', 'zoho.com', 'Zoho', 'seed'),
  ('mx', 'zoho.eu', 'Zoho', 'seed'),
  ('domain', 'fastmail.com', 'Fastmail', 'seed'),
  ('mx', 'messagingengine.com', 'Fastmail', 'seed'),
  ('mx', 'mimecast.com', 'Mimecast', 'seed'),
  ('mx', 'pphosted.com', 'Proofpoint', 'seed'),
  ('mx', 'ppe-hosted.com', 'Proofpoint', 'seed'),
  ('mx', 'barracudanetworks.com', 'Barracuda', 'seed');

-- The provider of a mail server host name: the longest 'mx' suffix that is
-- the host itself or a parent of it (label boundary: "xgoogle.com" is not
-- under "google.com").
CREATE FUNCTION bounce.provider_of_host(p_host text) RETURNS text
LANGUAGE sql STABLE AS $$
  SELECT p.provider
    FROM bounce.providers p
   WHERE p.kind = 'mx'
     AND (lower(rtrim(p_host, '.')) = p.suffix
          OR right(lower(rtrim(p_host, '.')), length(p.suffix) + 1) = '.' || p.suffix)
   ORDER BY length(p.suffix) DESC
   LIMIT 1;
$$;
COMMENT ON FUNCTION bounce.provider_of_host(text) IS
  'Provider of a mail server host name by the longest matching mx suffix in bounce.providers, or NULL.';

-- Every recipient domain seen in outcomes or send counts, with its provider
-- and how it was found (domain, mx or none).
CREATE VIEW bounce.domain_providers AS
  WITH domains AS (
    SELECT DISTINCT recipient_domain AS domain FROM bounce.recipient_outcomes
     WHERE recipient_domain IS NOT NULL
    UNION
    SELECT DISTINCT recipient_domain FROM bounce.send_counts
  ), by_host AS (
    SELECT recipient_domain AS domain, bounce.provider_of_host(remote_mta) AS provider,
           count(*) AS n
      FROM bounce.recipient_outcomes
     WHERE remote_mta IS NOT NULL AND recipient_domain IS NOT NULL
     GROUP BY 1, 2
  ), best_host AS (
    SELECT DISTINCT ON (domain) domain, provider
      FROM by_host WHERE provider IS NOT NULL
     ORDER BY domain, n DESC, provider
  )
  SELECT d.domain,
         COALESCE(p.provider, h.provider, 'other') AS provider,
         CASE WHEN p.provider IS NOT NULL THEN 'domain'
              WHEN h.provider IS NOT NULL THEN 'mx'
              ELSE 'none' END AS matched_by
    FROM domains d
    LEFT JOIN bounce.providers p ON p.kind = 'domain' AND p.suffix = d.domain
    LEFT JOIN best_host h ON h.domain = d.domain;
COMMENT ON VIEW bounce.domain_providers IS
  'Each recipient domain with its mailbox provider (by bounce.providers: exact domain, else the mail servers that answered for it, else other).';
COMMENT ON COLUMN bounce.domain_providers.domain IS 'Lower-case recipient domain.';
COMMENT ON COLUMN bounce.domain_providers.provider IS 'Provider name, or other.';
COMMENT ON COLUMN bounce.domain_providers.matched_by IS 'domain (exact row), mx (remote MTA host suffix) or none.';
