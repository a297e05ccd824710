/* test-replies.c - the classifier scored on replies nobody wrote rules for
 *
 * Table-driven from TSV files under tests/data/:
 *  - smtp-responses.tsv: the documented replies of providers and MTAs (the
 *    project's reference table, columns provider_or_mta, reply_code,
 *    enhanced_code, text, stage, meaning, reason, hard, source_url); a row's
 *    id is its line number;
 *  - cases/<family>.tsv: held-out cases written and labelled before any
 *    rule for them (columns id, system, language, layout, reply_code,
 *    enhanced_code, command, action, text, reason, hard, class, note).
 *
 * Every row becomes real message bytes, parsed with bounce_report_parse():
 *  - "dsn": an RFC 3464 multipart/report from MAILER-DAEMON: a short
 *    human-readable part, a message/delivery-status part (Action failed for
 *    a 5xx row and delayed for a 4xx one unless the row names it; Status the
 *    row's enhanced code, or the class of its reply code as "5.0.0"/"4.0.0"
 *    the way Postfix fills it; Remote-MTA a host of the row's system;
 *    Diagnostic-Code "smtp; <reply> <enhanced> <text>"), and the returned
 *    message's headers as text/rfc822-headers;
 *  - "notice": a plain-text single-part notice in the layout of Postfix's
 *    bounce(8) ("<rcpt>: host H[IP] said: 550 5.1.1 ... (in reply to RCPT TO
 *    command)", "host H[IP] refused to talk to me: ..." for a refusal of the
 *    greeting or HELO/EHLO: src/smtp/smtp_proto.c), lines wrapped at 79
 *    columns with 4 blanks of indent (src/bounce/bounce_notify_util.c), and
 *    a quoted header block of the original;
 *  - "both": one of each; "nocode": a notice whose text carries no code at
 *    all, neither the reply nor the enhanced code anywhere, to measure what
 *    the parser infers of permanence.
 *
 * A text may hold "\n": for a coded row it separates the lines of a
 * multi-line reply, written the way Postfix quotes them ("550-5.7.1 a
 * 550-5.7.1 b 550 5.7.1 c"); for a nocode row it is a line break of the
 * notice.  Placeholders <address>, <domain>, <host>, <IP>, <n> and <limit>
 * are filled in from the row's system.  What the builder writes depends only
 * on the input columns, never on the expected reason, hard or class.
 *
 * Each file is scored separately: exact reason %, false hard, missed hard,
 * permanence known % (recipients whose status has a class 4 or 5) and, for
 * our cases, permanence right % (that class against the row's), per-reason
 * precision and recall, and the confusion pairs (expected -> got).  The
 * figures go to standard output as TAP comments; tools/accuracy prints the
 * summary lines only.  The thresholds are a table, one line per file.
 *
 * /replies/cases/inventory checks the cases themselves: ids unique, every
 * reason a name of the vocabulary, the hard label following REASONS.md's
 * rule (hard only when the address itself is dead, and never for a 4xx
 * class), and the coverage the cases promise (counts per layout, reason and
 * language), so that a case deleted or mislabelled by hand fails the suite.
 */
#include "classify-private.h"

#include <glib/gstdio.h>
#include <string.h>

/* ---- thresholds ------------------------------------------------------------ */

typedef struct {
  const char *file;             /* basename, or "cases" for all cases together */
  double min_exact;             /* exact reason %, at least */
  int max_false_hard;           /* at most */
  int max_missed_hard;          /* at most */
  double target_exact;          /* what the issue asks for (printed) */
} Threshold;

/* The issue asks of the reference table 95 % exact reason, no false hard
 * and at most 3 missed hard (the target, printed).  Each floor is a point
 * or so below what the classifier scored when it was set (the reference
 * table: 98.3 % with the rows below left out, 0 false hard, 1 missed hard),
 * and the hard-bounce limits are what it scored: a change that loses
 * ground fails the suite; raise the floors as the rules improve.  Never
 * lower one to let a change pass: fix the change, or the label (with its
 * reason in the mislabelled table).  NO_LIMIT: not checked. */
#define NO_LIMIT (-1)
static const Threshold thresholds[] = {
  { "smtp-responses.tsv", 98.3, 0, 0, 95.0 },
  /* False hard back to 2: the unseen batch's un-ver-030 (a 5.1.1 that
   * refuses the sending IP, false hard on its first run) is read as the
   * client blocked since 2026.12.07.3 (client-refused.tsv, the concept's
   * own cases).  Since 2026.12.07.4 (the concepts of closed-moved,
   * delay-expiry-words and lists-limits): 95.2 %, 1 false hard
   * (bl-inf-006), 0 missed hard; with deferrals and syntax-codes
   * (bl-inf-006 read as the syntax error it is): 95.9 %, 0, 0. */
  { "cases", 95.0, 0, 0, 90.0 },
  { "delayed.tsv", 74.0, 0, 0, 90.0 },
  { "gateways.tsv", 80.0, 0, 2, 90.0 },
  { "m365.tsv", 74.0, 0, 0, 90.0 },
  { "multiline.tsv", 99.0, 0, 0, 90.0 },
  { "permanence.tsv", 64.0, 0, 0, 90.0 },
  { "infrastructure.tsv", 89.0, 1, 0, 90.0 },
  { "intl.tsv", 97.0, 0, 0, 90.0 },
  { "mailbox.tsv", 97.0, 0, 0, 90.0 },
  { "message.tsv", 88.0, 0, 0, 90.0 },
  { "nocode.tsv", 93.0, 0, 1, 90.0 },
  { "policy.tsv", 73.0, 0, 0, 90.0 },
  { "recipient.tsv", 96.0, 0, 1, 90.0 },
  { "sender.tsv", 89.0, 0, 0, 90.0 },
  /* The blind batch: written and labelled before any run of the
   * classifier on it, the measure of mail nobody tuned for (first run:
   * 82.7 % exact, 1 false hard, 18 missed hard over the eight files). */
  /* Written and labelled by the accuracy lead before running it. */
  { "lead.tsv", 0.0, NO_LIMIT, NO_LIMIT, 90.0 },
  /* Localised Exchange, Domino and GMX notices, labelled before the rules
   * for them were written (first run in the comment of the commit). */
  { "exchange-intl.tsv", 0.0, NO_LIMIT, NO_LIMIT, 90.0 },
  /* Notices that say in their language whether they will retry. */
  { "retry-words.tsv", 0.0, NO_LIMIT, NO_LIMIT, 90.0 },
  /* Delays and permanent errors in the languages the permanence words lacked. */
  { "temporary-words.tsv", 0.0, NO_LIMIT, NO_LIMIT, 90.0 },
  /* The sending host refused by name under a recipient's code. */
  { "client-refused.tsv", 0.0, NO_LIMIT, NO_LIMIT, 90.0 },
  /* Concepts the unseen batch lacked, each in several systems' and
   * languages' words, labelled before their rules (first run in the
   * commit): closed for good, not registered, Hindi, moved without a
   * code, no MX and no A record; the causes of delays and the words of
   * expiry; list managers' templates, sizes, relay, rates, the sender's
   * address on a blocklist, MIME and bare line feeds, anti-spam engines. */
  { "closed-moved.tsv", 99.0, 0, 0, 90.0 },
  { "delay-expiry-words.tsv", 99.0, 0, 0, 90.0 },
  { "lists-limits.tsv", 99.0, 0, 0, 90.0 },
  /* Deferrals: a policy-class "try again later" without a cause, name
   * resolution failures, connections in Russian and Ukrainian, internal
   * errors noun first in five languages. */
  { "deferrals.tsv", 99.0, 0, 0, 90.0 },
  /* "Invalid domain name" under a syntax code (x.5.x) and under x.1.2. */
  { "syntax-codes.tsv", 99.0, 0, 0, 90.0 },
  /* Concepts the unseen2 batch showed missing, in our own wordings:
   * non-existence in Swedish, Finnish, Vietnamese, Persian, Bengali and
   * Thai, moves in Czech and Polish, terminated accounts, retries in seven
   * languages, sending services' suppression words, Exchange's recipient
   * restrictions, reputation services, TLS negotiation, loops back. */
  { "more-words.tsv", 99.0, 0, 0, 90.0 },
  { "blind-content.tsv", 92.0, 0, 0, 90.0 },
  { "blind-delayed.tsv", 86.0, 0, 0, 90.0 },
  { "blind-infrastructure.tsv", 91.0, 1, 0, 90.0 },
  { "blind-intl.tsv", 74.0, 0, 0, 90.0 },
  { "blind-mailbox.tsv", 94.0, 0, 0, 90.0 },
  { "blind-nocode.tsv", 71.0, 0, 8, 90.0 },
  { "blind-recipient.tsv", 96.0, 0, 0, 90.0 },
  { "blind-sender.tsv", 89.0, 0, 0, 90.0 },
  /* The second blind batch (unseen-*): regional ISPs and webmail, hosting
   * panels, appliances, list managers, delayed notices, notices without
   * codes and replies whose hard verdict is the point, written and
   * labelled before any run of the classifier on them.  First run: 86.9 %
   * exact (373 of 429 messages), 2 false hard, 11 missed hard, permanence
   * known 100 %, right 99.8 % (428 of 429).  Since 2026.12.07.4, whose
   * concept rules were written from its misses (with cases of our own
   * labelled first), the batch is no longer unseen: 96.9 % (416 of 429),
   * 0 false hard, 0 missed hard; these floors keep that. */
  { "unseen-appliances.tsv", 97.0, 0, 0, 90.0 },
  { "unseen-delayed.tsv", 95.0, 0, 0, 90.0 },
  { "unseen-nocode.tsv", 96.0, 0, 0, 90.0 },
  { "unseen-panels.tsv", 94.0, 0, 0, 90.0 },
  { "unseen-regional.tsv", 96.0, 0, 0, 90.0 },
  { "unseen-verdict.tsv", 94.0, 0, 0, 90.0 },
  /* The third blind batch (unseen2-*): the big providers' current
   * wording, sending services' notices, newer MTAs and gateways, nineteen
   * more languages, hard-verdict traps and delayed notices, written and
   * labelled before any run of the classifier on them.  First run
   * (classifier 2026.12.07.3, main 5719f94): 82.7 % exact (410 of 496
   * messages), 1 false hard (u2-vd-041), 7 missed hard, permanence known
   * 100 %, right 98.0 % (486 of 496); on 2026.12.07.4 (not written from
   * them): 82.9 % (411), 1, 7.  Scored as a whole (unseen_batches
   * below).  Since 2026.12.08.1 rules are written from its misses (with
   * cases of our own first, more-words.tsv), so it is no longer unseen:
   * 87.5 % (434), 0 false hard, 1 missed hard; the limits keep that. */
  { "unseen2-*", 86.5, 0, 1, 90.0 },
  { "unseen2-delayed.tsv", 0.0, NO_LIMIT, NO_LIMIT, 90.0 },
  { "unseen2-esp.tsv", 0.0, NO_LIMIT, NO_LIMIT, 90.0 },
  { "unseen2-gateways.tsv", 0.0, NO_LIMIT, NO_LIMIT, 90.0 },
  { "unseen2-intl.tsv", 0.0, NO_LIMIT, NO_LIMIT, 90.0 },
  { "unseen2-nocode.tsv", 0.0, NO_LIMIT, NO_LIMIT, 90.0 },
  { "unseen2-providers.tsv", 0.0, NO_LIMIT, NO_LIMIT, 90.0 },
  { "unseen2-rare.tsv", 0.0, NO_LIMIT, NO_LIMIT, 90.0 },
  { "unseen2-verdict.tsv", 0.0, NO_LIMIT, NO_LIMIT, 90.0 },
};

/* ---- rows judged mislabelled ---------------------------------------------- */

typedef struct {
  const char *id;
  const char *why;
} Mislabelled;

/* Rows of the reference table whose label we judge wrong by REASONS.md
 * (proposed by the cases' labeller and by the accuracy work, each decided
 * by its reason below).
 * They are parsed and printed but left out of the figures. */
#define TOO_MANY_RECIPIENTS \
  "too many recipients is not a protocol syntax error; bounced-reasons(7) names it and " \
  "x.5.3 under toomanyconn"
#define SENDER_QUOTA \
  "a quota of the sender's sending, not a size limit of the recipient's mailbox " \
  "(exceedlimit): speeding"
static const Mislabelled mislabelled[] = {
  { "smtp-responses.tsv:27", "X.4.4 'Unable to route' is a routing failure, not non-existence: "
    "networkerror (hostunknown with hard no contradicts REASONS.md)" },
  { "smtp-responses.tsv:34", TOO_MANY_RECIPIENTS },
  { "smtp-responses.tsv:42", "X.6.4 comes with reply 250: a success with a lossy conversion, "
    "delivered by REASONS.md (2.x.x), not a failure of the content" },
  { "smtp-responses.tsv:53", "REASONS.md gives 4.7.5 as failedstarttls's code; the registry's "
    "'Cryptographic failure' names no other cause: failedstarttls" },
  { "smtp-responses.tsv:89", TOO_MANY_RECIPIENTS },
  { "smtp-responses.tsv:90", TOO_MANY_RECIPIENTS },
  { "smtp-responses.tsv:135", SENDER_QUOTA },
  { "smtp-responses.tsv:136", SENDER_QUOTA },
  { "smtp-responses.tsv:148", "too many recipients for the sender: toomanyconn, not the "
    "recipient mailbox's size limit (exceedlimit)" },
  { "smtp-responses.tsv:176", SENDER_QUOTA },
  { "smtp-responses.tsv:202", TOO_MANY_RECIPIENTS },
  { "smtp-responses.tsv:208", "'Sender denied' refuses the sender: rejected, not userunknown" },
  { "smtp-responses.tsv:212", SENDER_QUOTA },
  { "smtp-responses.tsv:226", "RESOLVER.RST.AuthRequired: the recipient takes mail from "
    "authenticated senders only, the restriction bounced-reasons(7) files under rejected with "
    "Exchange's x.7.133-136 (SenderNotAuthenticatedFor*), not a local policy" },
  { "smtp-responses.tsv:246", "open: a recipient banned by the provider's policy is not shown "
    "to be dead: policyviolation, soft" },
  { "smtp-responses.tsv:251", "the domain takes mail, only not over IPv6 from this sender: "
    "blocked, not notaccept (a 5xx notaccept would be hard)" },
  { "smtp-responses.tsv:259", SENDER_QUOTA },
  { "smtp-responses.tsv:276", "'Access denied, bad outbound sender' at MAIL FROM refuses the "
    "sending account (blocked for outbound spam) under 5.1.8, rejected's code in REASONS.md; "
    "no rate is named: rejected, not speeding" },
  { "smtp-responses.tsv:282", "'Unrecognized command' is a protocol error of the client "
    "(REASONS.md: syntaxerror, 5.5.x and 500); the x.3.3 code's title is not what the text says" },
  { "smtp-responses.tsv:288", TOO_MANY_RECIPIENTS },
  { "smtp-responses.tsv:324", "improper use of command pipelining (RFC 2920) is the client "
    "breaking the protocol's command sequence under 503 5.5.0, syntaxerror's codes in REASONS.md" },
  { "smtp-responses.tsv:335", TOO_MANY_RECIPIENTS },
  { "smtp-responses.tsv:355", "no MX host with an address is a domain with no usable MX: "
    "hostunknown, hard (REASONS.md)" },
  { "smtp-responses.tsv:379", TOO_MANY_RECIPIENTS },
  { "smtp-responses.tsv:380", TOO_MANY_RECIPIENTS },
  { "smtp-responses.tsv:397", "hostunknown is hard by REASONS.md; all MX records pointing to "
    "non-existent hosts is no usable MX" },
  { "smtp-responses.tsv:424", "'Connected to <IP> but sender was rejected' says the remote "
    "refused the sender: rejected (REASONS.md's 'sender rejected'), not an unknown failure" },
  { "smtp-responses.tsv:433", TOO_MANY_RECIPIENTS },
  { "smtp-responses.tsv:469", TOO_MANY_RECIPIENTS },
  { "smtp-responses.tsv:496", TOO_MANY_RECIPIENTS },
  { "smtp-responses.tsv:497", TOO_MANY_RECIPIENTS },
  { "smtp-responses.tsv:517", "'Message not accepted for policy reasons' names a policy and "
    "nothing of authentication; x.7.9's registry title is SASL's weak mechanism: the words "
    "decide (REASONS.md), policyviolation" },
};

/* ---- the systems: where a row's recipient lives --------------------------- */

typedef struct {
  const char *pattern;   /* lower-case substring of the system column */
  const char *domain;    /* recipient domain */
  const char *host;      /* the receiving MX */
  const char *ip;
} SystemHost;

/* First match wins: specific names before general ones. */
static const SystemHost system_hosts[] = {
  { "workspace", "northwind-traders.com", "aspmx.l.google.com", "142.250.102.27" },
  { "google groups", "googlegroups.com", "aspmx.l.google.com", "142.250.102.26" },
  { "gmail", "gmail.com", "gmail-smtp-in.l.google.com", "142.250.27.26" },
  { "google", "gmail.com", "gmail-smtp-in.l.google.com", "142.250.27.27" },
  { "outlook.com", "outlook.com", "outlook-com.olc.protection.outlook.com", "52.101.8.44" },
  { "hotmail", "hotmail.com", "hotmail-com.olc.protection.outlook.com", "52.101.8.45" },
  { "exchange online", "contoso.com", "contoso-com.mail.protection.outlook.com", "52.101.68.10" },
  { "microsoft 365", "contoso.com", "contoso-com.mail.protection.outlook.com", "52.101.68.11" },
  { "office 365", "contoso.com", "contoso-com.mail.protection.outlook.com", "52.101.68.12" },
  { "exchange", "fabrikam.com", "mail.fabrikam.com", "203.0.113.25" },
  { "aol", "aol.com", "mx-aol.mail.gm0.yahoodns.net", "67.195.204.79" },
  { "yahoo", "yahoo.com", "mta7.am0.yahoodns.net", "67.195.204.72" },
  { "comcast", "comcast.net", "mx1a1.comcast.net", "96.114.157.80" },
  { "icloud", "icloud.com", "mx01.mail.icloud.com", "17.57.154.33" },
  { "apple", "icloud.com", "mx02.mail.icloud.com", "17.57.154.34" },
  { "web.de", "web.de", "mx-ha02.web.de", "212.227.17.8" },
  { "gmx", "gmx.de", "mx00.emig.gmx.net", "212.227.15.9" },
  { "ionos", "online.de", "mx00.ionos.de", "212.227.15.41" },
  { "1&1", "online.de", "mx00.ionos.de", "212.227.15.41" },
  { "t-online", "t-online.de", "mx00.t-online.de", "194.25.134.8" },
  { "freenet", "freenet.de", "mx.freenet.de", "195.4.92.211" },
  { "orange", "orange.fr", "smtp-in.orange.fr", "80.12.242.16" },
  { "free.fr", "free.fr", "mx1.free.fr", "212.27.48.6" },
  { "sfr", "sfr.fr", "mx1.sfr.fr", "93.17.128.5" },
  { "laposte", "laposte.net", "mx.laposte.net", "160.92.124.66" },
  { "libero", "libero.it", "smtp-in.libero.it", "213.209.1.129" },
  { "virgilio", "virgilio.it", "mx.virgilio.it", "213.209.1.130" },
  { "tim", "tim.it", "mx.tim.it", "213.209.1.131" },
  { "aruba", "aruba.it", "mx.aruba.it", "62.149.128.160" },
  { "terra", "terra.com.br", "mx.terra.com.br", "200.154.56.80" },
  { "uol", "uol.com.br", "mx.uol.com.br", "200.147.36.15" },
  { "bol", "bol.com.br", "mx.bol.com.br", "200.147.36.16" },
  { "telefonica", "telefonica.net", "mx.telefonica.net", "80.58.61.254" },
  { "movistar", "movistar.es", "mx.movistar.es", "80.58.61.250" },
  { "seznam", "seznam.cz", "mx1.seznam.cz", "77.75.78.42" },
  { "interia", "interia.pl", "mx.poczta.interia.pl", "217.74.65.23" },
  { "wp.pl", "wp.pl", "mx.wp.pl", "212.77.101.1" },
  { "onet", "onet.pl", "mx.poczta.onet.pl", "213.180.147.146" },
  { "yandex", "yandex.ru", "mx.yandex.ru", "77.88.21.249" },
  { "mail.ru", "mail.ru", "mxs.mail.ru", "94.100.180.31" },
  { "rambler", "rambler.ru", "mx.rambler.ru", "81.19.77.166" },
  { "qq", "qq.com", "mx3.qq.com", "183.3.225.42" },
  { "tencent", "qq.com", "mx3.qq.com", "183.3.225.43" },
  { "163", "163.com", "163mx01.mxmail.netease.com", "220.181.14.141" },
  { "126", "126.com", "126mx01.mxmail.netease.com", "220.181.15.111" },
  { "netease", "163.com", "163mx02.mxmail.netease.com", "220.181.14.142" },
  { "sina", "sina.com", "freemx1.sinamail.sina.com.cn", "202.108.3.242" },
  { "naver", "naver.com", "mx1.naver.com", "125.209.238.100" },
  { "daum", "daum.net", "mx1.hanmail.net", "211.231.108.46" },
  { "kakao", "kakao.com", "mx1.kakao.com", "211.231.108.47" },
  { "docomo", "docomo.ne.jp", "mfsmax.docomo.ne.jp", "203.138.181.112" },
  { "au ", "au.com", "lsean.ezweb.ne.jp", "27.86.113.2" },
  { "kddi", "au.com", "lsean.ezweb.ne.jp", "27.86.113.3" },
  { "softbank", "softbank.ne.jp", "mx.softbank.ne.jp", "126.240.66.8" },
  { "nifty", "nifty.com", "mx.nifty.com", "202.248.238.5" },
  { "biglobe", "biglobe.ne.jp", "mx.biglobe.ne.jp", "133.205.95.5" },
  { "ocn", "ocn.ne.jp", "mx.ocn.ne.jp", "153.149.230.10" },
  { "zoho", "zoho.com", "mx.zoho.com", "136.143.188.51" },
  { "mimecast", "northwind.co.uk", "eu-smtp-inbound-1.mimecast.com", "195.130.217.70" },
  { "proofpoint", "adatum.com", "mx0a-00123401.pphosted.com", "148.163.156.1" },
  { "barracuda", "tailspintoys.com", "d123456a.ess.barracudanetworks.com", "209.222.82.252" },
  { "trend micro", "litware.com", "litware-com.in.tmes.trendmicro.com", "18.208.22.104" },
  { "ironport", "woodgrove.com", "esa1.woodgrove.iphmx.com", "68.232.140.20" },
  { "cisco", "woodgrove.com", "esa2.woodgrove.iphmx.com", "68.232.140.21" },
  { "sophos", "lucerne.com", "mx-01-eu-central-1.prod.hydra.sophos.com", "85.10.240.10" },
  { "symantec", "wingtip.com", "cluster5.eu.messagelabs.com", "85.158.142.99" },
  { "messagelabs", "wingtip.com", "cluster5.eu.messagelabs.com", "85.158.142.98" },
  { "broadcom", "wingtip.com", "cluster9.us.messagelabs.com", "67.219.246.99" },
  { "forcepoint", "alpineski.com", "mx1.mailcontrol.com", "208.87.233.190" },
  { "fortimail", "relecloud.com", "fortimail.relecloud.com", "198.51.100.40" },
  { "domino", "globex.co.jp", "notes01.globex.co.jp", "198.51.100.11" },
  { "lotus", "globex.co.jp", "notes02.globex.co.jp", "198.51.100.12" },
  { "zimbra", "initech.com", "zimbra.initech.com", "198.51.100.13" },
  { "mdaemon", "umbrella.com", "mail.umbrella.com", "198.51.100.14" },
  { "kerio", "novak-stavby.cz", "mail.novak-stavby.cz", "198.51.100.15" },
  { "hmailserver", "hooli.com", "mail.hooli.com", "198.51.100.16" },
  { "icewarp", "vandelay.com", "mail.vandelay.com", "198.51.100.17" },
  { "axigen", "soylent.ro", "mail.soylent.ro", "198.51.100.18" },
  { "communigate", "massive-dynamic.com", "cgp.massive-dynamic.com", "198.51.100.19" },
  { "smartermail", "cyberdyne.com", "mail.cyberdyne.com", "198.51.100.20" },
  { "cyrus", "univ-example.fr", "imap.univ-example.fr", "198.51.100.21" },
  { "dovecot", "example.nl", "mail.example.nl", "198.51.100.22" },
  { "courier", "example.org", "mail.example.org", "198.51.100.23" },
  { "haraka", "example.io", "mx.example.io", "198.51.100.24" },
  { "qpsmtpd", "example.net", "smtp.example.net", "198.51.100.26" },
  { "postgrey", "example.com", "mx.example.com", "198.51.100.27" },
  { "greylist", "example.com", "mx.example.com", "198.51.100.27" },
  { "rspamd", "example.eu", "mx.example.eu", "198.51.100.28" },
  { "spamassassin", "example.at", "mail.example.at", "198.51.100.29" },
  { "amavis", "example.at", "mail.example.at", "198.51.100.29" },
  { "clamav", "example.ch", "mail.example.ch", "198.51.100.30" },
  { "opendmarc", "example.be", "mail.example.be", "198.51.100.31" },
  { "opendkim", "example.be", "mail.example.be", "198.51.100.31" },
  { "policyd-spf", "example.dk", "mail.example.dk", "198.51.100.32" },
  { "postfix", "example.org", "mx.example.org", "198.51.100.33" },
  { "exim", "example.org", "mx.example.org", "198.51.100.34" },
  { "sendmail", "example.org", "mail.example.org", "198.51.100.35" },
  { "qmail", "example.org", "mail.example.org", "198.51.100.36" },
  { "opensmtpd", "example.org", "mx.example.org", "198.51.100.37" },
};

static const SystemHost default_host = { "", "example.org", "mx.example.org", "192.0.2.25" };

static const SystemHost *
system_host (const char *system)
{
  g_autofree char *lower = g_utf8_strdown (system, -1);

  for (gsize i = 0; i < G_N_ELEMENTS (system_hosts); i++)
    if (strstr (lower, system_hosts[i].pattern) != NULL)
      return &system_hosts[i];
  return &default_host;
}

/* The recipient's local part: a name in the row's language, so that no
 * word of the address ("user") reads as evidence. */
static const struct { const char *language; const char *local; } local_parts[] = {
  { "ja", "taro.yamada" }, { "zh", "zhangwei" }, { "ko", "minsu.kim" },
  { "ru", "ivanov.petr" }, { "de", "j.mueller" }, { "fr", "c.dupont" },
  { "es", "jgarcia" }, { "pt", "joao.silva" }, { "it", "m.rossi" },
  { "pl", "jan.kowalski" }, { "cs", "jan.novak" }, { "nl", "j.devries" },
};

static const char *
local_part (const char *language)
{
  for (gsize i = 0; language && i < G_N_ELEMENTS (local_parts); i++)
    if (g_str_has_prefix (language, local_parts[i].language))
      return local_parts[i].local;
  return "alice.martin";
}

/* ---- rows ------------------------------------------------------------------ */

typedef enum { LAYOUT_DSN = 1, LAYOUT_NOTICE = 2, LAYOUT_BOTH = 3, LAYOUT_NOCODE = 4 } Layout;

typedef struct {
  char *id;
  char *system;
  char *language;
  Layout layout;
  char *reply;          /* NULL when blank */
  char *enhanced;
  char *command;        /* connect, helo, mail, rcpt, data, or NULL */
  char *action;
  char *text;
  char *reason;         /* expected */
  gboolean hard;
  int klass;            /* expected status class: 4, 5, or 0 when unknown */
  char *note;
  const char *why_mislabelled;
} Row;

static void
row_free (gpointer data)
{
  Row *r = data;

  g_free (r->id);
  g_free (r->system);
  g_free (r->language);
  g_free (r->reply);
  g_free (r->enhanced);
  g_free (r->command);
  g_free (r->action);
  g_free (r->text);
  g_free (r->reason);
  g_free (r->note);
  g_free (r);
}

/* A field with "\n" (backslash n) turned into a line break and the field
 * trimmed; NULL when blank. */
static char *
field_value (const char *raw)
{
  GString *out = g_string_new (NULL);

  for (const char *p = raw; *p; p++)
    {
      if (p[0] == '\\' && p[1] == 'n')
        {
          g_string_append_c (out, '\n');
          p++;
        }
      else
        g_string_append_c (out, *p);
    }
  g_strstrip (out->str);
  out->len = strlen (out->str);
  if (out->len == 0)
    {
      g_string_free (out, TRUE);
      return NULL;
    }
  return g_string_free (out, FALSE);
}

static int
column_index (char **header, const char *name)
{
  for (int i = 0; header[i]; i++)
    if (strcmp (header[i], name) == 0)
      return i;
  return -1;
}

static char *
column (char **fields, guint nfields, int index)
{
  if (index < 0 || (guint) index >= nfields)
    return NULL;
  return field_value (fields[index]);
}

/* The class a row's codes state, 0 when they state none. */
static int
code_class (const char *reply, const char *enhanced)
{
  if (enhanced && (enhanced[0] == '4' || enhanced[0] == '5'))
    return enhanced[0] - '0';
  if (reply && (reply[0] == '4' || reply[0] == '5'))
    return reply[0] - '0';
  return 0;
}

static const char *
mislabelled_why (const char *id)
{
  for (gsize i = 0; i < G_N_ELEMENTS (mislabelled); i++)
    if (strcmp (mislabelled[i].id, id) == 0)
      return mislabelled[i].why;
  return NULL;
}

/* Reads @path: the reference table when @reference, else a cases file.
 * A malformed row is a test failure naming the file and the line. */
static GPtrArray *
load_rows (const char *path, gboolean reference)
{
  g_autofree char *data = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) lines = NULL;
  g_auto(GStrv) header = NULL;
  g_autofree char *base = g_path_get_basename (path);
  GPtrArray *rows = g_ptr_array_new_with_free_func (row_free);
  int c_system, c_language, c_layout, c_reply, c_enhanced, c_command, c_action, c_text,
      c_reason, c_hard, c_class, c_note, c_id;

  if (!g_file_get_contents (path, &data, NULL, &error))
    g_error ("%s", error->message);
  lines = g_strsplit (data, "\n", -1);
  if (lines[0] == NULL)
    g_error ("%s: empty file", path);
  header = g_strsplit (lines[0], "\t", -1);
  if (reference)
    {
      c_id = -1;
      c_system = column_index (header, "provider_or_mta");
      c_command = column_index (header, "stage");
      c_language = c_layout = c_action = c_class = -1;
      c_note = column_index (header, "meaning");
    }
  else
    {
      c_id = column_index (header, "id");
      c_system = column_index (header, "system");
      c_language = column_index (header, "language");
      c_layout = column_index (header, "layout");
      c_command = column_index (header, "command");
      c_action = column_index (header, "action");
      c_class = column_index (header, "class");
      c_note = column_index (header, "note");
      if (c_id < 0 || c_language < 0 || c_layout < 0 || c_action < 0 || c_class < 0)
        g_error ("%s: the header lacks a column of the cases format", path);
    }
  c_reply = column_index (header, "reply_code");
  c_enhanced = column_index (header, "enhanced_code");
  c_text = column_index (header, "text");
  c_reason = column_index (header, "reason");
  c_hard = column_index (header, "hard");
  if (c_system < 0 || c_reply < 0 || c_enhanced < 0 || c_text < 0 || c_reason < 0
      || c_hard < 0 || c_command < 0)
    g_error ("%s: the header lacks a column", path);

  for (guint n = 1; lines[n]; n++)
    {
      g_auto(GStrv) f = NULL;
      guint nf;
      Row *r;
      g_autofree char *layout = NULL;
      g_autofree char *hard = NULL;
      g_autofree char *klass = NULL;

      if (lines[n][0] == '\0' || lines[n][0] == '#')
        continue;
      f = g_strsplit (lines[n], "\t", -1);
      nf = g_strv_length (f);
      if (nf != g_strv_length (header))
        g_error ("%s:%u: %u fields, the header has %u", path, n + 1, nf,
                 g_strv_length (header));
      r = g_new0 (Row, 1);
      g_ptr_array_add (rows, r);
      r->id = reference ? g_strdup_printf ("%s:%u", base, n + 1) : column (f, nf, c_id);
      if (r->id == NULL)
        g_error ("%s:%u: no id", path, n + 1);
      r->system = column (f, nf, c_system);
      if (r->system == NULL)
        r->system = g_strdup ("unknown");
      r->language = column (f, nf, c_language);
      r->reply = column (f, nf, c_reply);
      r->enhanced = column (f, nf, c_enhanced);
      r->command = column (f, nf, c_command);
      if (r->command && strcmp (r->command, "any") == 0)
        g_clear_pointer (&r->command, g_free);
      r->action = column (f, nf, c_action);
      r->text = column (f, nf, c_text);
      r->reason = column (f, nf, c_reason);
      r->note = column (f, nf, c_note);
      hard = column (f, nf, c_hard);
      if (r->reason == NULL || hard == NULL
          || (strcmp (hard, "yes") != 0 && strcmp (hard, "no") != 0))
        g_error ("%s:%u: reason and hard (yes or no) are required", path, n + 1);
      r->hard = strcmp (hard, "yes") == 0;
      if (r->command && !g_strv_contains ((const char *const[]) { "connect", "helo", "mail",
                                            "rcpt", "data", NULL }, r->command))
        g_error ("%s:%u: unknown command \"%s\"", path, n + 1, r->command);
      if (reference)
        {
          /* The registry's "X.1.1" stands for either class: a server sends
           * the class of its reply code, and 5 when it gives none. */
          if (r->enhanced && (r->enhanced[0] == 'X' || r->enhanced[0] == 'x'))
            r->enhanced[0] = r->reply && strchr ("245", r->reply[0]) ? r->reply[0] : '5';
          r->layout = r->command ? LAYOUT_BOTH : LAYOUT_DSN;
          r->klass = code_class (r->reply, r->enhanced);
          r->why_mislabelled = mislabelled_why (r->id);
          continue;
        }
      layout = column (f, nf, c_layout);
      klass = column (f, nf, c_class);
      if (g_strcmp0 (layout, "dsn") == 0)
        r->layout = LAYOUT_DSN;
      else if (g_strcmp0 (layout, "notice") == 0)
        r->layout = LAYOUT_NOTICE;
      else if (g_strcmp0 (layout, "both") == 0)
        r->layout = LAYOUT_BOTH;
      else if (g_strcmp0 (layout, "nocode") == 0)
        r->layout = LAYOUT_NOCODE;
      else
        g_error ("%s:%u: layout must be dsn, notice, both or nocode", path, n + 1);
      if (klass == NULL || (strcmp (klass, "4") != 0 && strcmp (klass, "5") != 0))
        g_error ("%s:%u: class must be 4 or 5", path, n + 1);
      r->klass = klass[0] - '0';
      if (r->text == NULL)
        g_error ("%s:%u: no text", path, n + 1);
      if (r->layout == LAYOUT_NOCODE && (r->reply || r->enhanced))
        g_error ("%s:%u: a nocode row carries no code", path, n + 1);
      if (r->layout != LAYOUT_NOCODE && r->reply == NULL && r->enhanced == NULL)
        g_error ("%s:%u: a row without codes has layout nocode", path, n + 1);
      if ((r->layout & LAYOUT_NOTICE) && r->layout != LAYOUT_NOCODE && r->command == NULL)
        g_error ("%s:%u: a notice names the command the reply answered", path, n + 1);
      if (r->action && !g_strv_contains ((const char *const[]) { "failed", "delayed", NULL },
                                         r->action))
        g_error ("%s:%u: action must be failed or delayed", path, n + 1);
    }
  return rows;
}

/* ---- building the messages ------------------------------------------------ */

#define SENDER "news@shop.example"
#define REPORTING_MTA "mta1.shop.example"
#define SENDER_IP "203.0.113.77"

typedef struct {
  const Row *row;
  const SystemHost *host;
  char *recipient;
} Build;

/* @text with the placeholders of the reference table filled in. */
static char *
fill_placeholders (const Build *b, const char *text)
{
  static const char *const names[] = { "<address>", "<domain>", "<host>", "<IP>", "<ip>",
                                       "<n>", "<limit>" };
  g_autofree char *bracketed = g_strdup_printf ("<%s>", b->recipient);
  const char *values[] = { bracketed, b->host->domain, b->host->host, SENDER_IP,
                           SENDER_IP, "5", "10485760" };
  GString *out = g_string_new (text);

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    g_string_replace (out, names[i], values[i], 0);
  return g_string_free (out, FALSE);
}

/* The reply as an SMTP client quotes it: each line with its reply code
 * and enhanced code, continuation lines marked with '-', joined by blanks
 * (Postfix's smtp_chat_resp() keeps the lines, and its notices translate
 * the line ends into blanks).  The codes are not repeated when the text
 * already starts with them. */
static char *
quoted_reply (const Build *b)
{
  const Row *r = b->row;
  g_autofree char *text = fill_placeholders (b, r->text ? r->text : "");
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  guint n = g_strv_length (lines);
  GString *out = g_string_new (NULL);

  if (n == 0)
    {
      g_string_append_printf (out, "%s%s%s", r->reply ? r->reply : "",
                              r->reply && r->enhanced ? " " : "",
                              r->enhanced ? r->enhanced : "");
      return g_string_free (out, FALSE);
    }
  for (guint i = 0; i < n; i++)
    {
      char *line = g_strstrip (lines[i]);
      gboolean last = i + 1 == n;

      if (out->len)
        g_string_append_c (out, ' ');
      if (r->reply && !g_str_has_prefix (line, r->reply))
        g_string_append_printf (out, "%s%c", r->reply, last ? ' ' : '-');
      if (r->enhanced && !g_str_has_prefix (line, r->enhanced)
          && !(r->reply && g_str_has_prefix (line, r->reply)))
        g_string_append_printf (out, "%s ", r->enhanced);
      g_string_append (out, line);
    }
  return g_string_free (out, FALSE);
}

/* Appends @line wrapped at 79 columns, continuation lines indented by 4,
 * as Postfix's bounce_print_wrap() does. */
static void
append_wrapped (GString *out, const char *line, guint indent)
{
  const guint width = 79;
  const char *p = line;
  guint first = 1;

  while (*p)
    {
      guint room = width - (first ? 0 : indent);
      const char *end = p;
      const char *cut = NULL;

      if (!first)
        g_string_append_printf (out, "%*s", (int) indent, "");
      /* Count characters, not bytes, so that UTF-8 text wraps like ASCII. */
      for (guint cols = 0; *end && cols < room; cols++)
        {
          if (*end == ' ')
            cut = end;
          end = g_utf8_next_char (end);
        }
      if (*end == '\0')
        cut = end;
      else if (*end == ' ')
        cut = end;
      else if (cut == NULL || cut == p)
        {
          cut = end;
          while (*cut && *cut != ' ')
            cut++;
        }
      g_string_append_len (out, p, cut - p);
      g_string_append (out, "\n");
      p = cut;
      while (*p == ' ')
        p++;
      first = 0;
    }
}

static gboolean
is_ascii (const char *s)
{
  for (; *s; s++)
    if ((guchar) *s >= 0x80)
      return FALSE;
  return TRUE;
}

static void
append_common_headers (GString *m, const Build *b, const char *subject)
{
  g_string_append_printf (m,
    "Return-Path: <>\n"
    "Received: by " REPORTING_MTA " (Postfix) id 4QmZ1x2Y3z; Mon, 7 Dec 2026 10:00:05 +0000 (UTC)\n"
    "Date: Mon, 7 Dec 2026 10:00:05 +0000 (UTC)\n"
    "From: MAILER-DAEMON@" REPORTING_MTA " (Mail Delivery System)\n"
    "Subject: %s\n"
    "To: " SENDER "\n"
    "Message-Id: <20261207100005.4QmZ1x2Y3z@" REPORTING_MTA ">\n"
    "Auto-Submitted: auto-replied\n", subject);
  (void) b;
}

static void
append_original_headers (GString *m, const Build *b)
{
  g_string_append_printf (m,
    "Received: from app1.shop.example (app1.shop.example [" SENDER_IP "])\n"
    "\tby " REPORTING_MTA " (Postfix) with ESMTP id 4QmZ1x2Y3z\n"
    "\tfor <%s>; Mon, 7 Dec 2026 09:58:00 +0000 (UTC)\n"
    "From: Shop News <" SENDER ">\n"
    "To: <%s>\n"
    "Subject: Your December offers\n"
    "Date: Mon, 7 Dec 2026 09:58:00 +0000\n"
    "Message-ID: <offer-%s@shop.example>\n"
    "X-Campaign-ID: december-2026\n", b->recipient, b->recipient, b->row->id);
}

static const char postfix_intro[] =
  "This is the mail system at host " REPORTING_MTA ".\n"
  "\n"
  "I'm sorry to have to inform you that your message could not\n"
  "be delivered to one or more recipients. It's attached below.\n"
  "\n"
  "For further assistance, please send mail to postmaster.\n"
  "\n"
  "If you do so, please include this problem report. You can\n"
  "delete your own text from the attached returned message.\n"
  "\n"
  "                   The mail system\n";

static const char postfix_delay_intro[] =
  "This is the mail system at host " REPORTING_MTA ".\n"
  "\n"
  "####################################################################\n"
  "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #\n"
  "####################################################################\n"
  "\n"
  "Your message could not be delivered for more than 3 hour(s).\n"
  "It will be retried until it is 5 day(s) old.\n"
  "\n"
  "For further assistance, please send mail to postmaster.\n"
  "\n"
  "If you do so, please include this problem report. You can\n"
  "delete your own text from the attached returned message.\n"
  "\n"
  "                   The mail system\n";

/* The action a DSN states: the row's, else from the class of its codes. */
static const char *
dsn_action (const Row *r)
{
  if (r->action)
    return r->action;
  if (code_class (r->reply, r->enhanced) == 4)
    return "delayed";
  if (r->reply && r->reply[0] == '2' && !r->enhanced)
    return "delivered";
  if (r->enhanced && r->enhanced[0] == '2')
    return "delivered";
  return "failed";
}

static char *
dsn_status (const Row *r)
{
  const char *action = dsn_action (r);

  if (r->enhanced)
    return g_strdup (r->enhanced);
  if (r->reply && strchr ("245", r->reply[0]))
    return g_strdup_printf ("%c.0.0", r->reply[0]);
  if (strcmp (action, "delayed") == 0)
    return g_strdup ("4.0.0");
  if (strcmp (action, "delivered") == 0)
    return g_strdup ("2.0.0");
  return g_strdup ("5.0.0");
}

static char *recipient_line (const Build *b);

static char *
build_dsn (const Build *b)
{
  const Row *r = b->row;
  GString *m = g_string_new (NULL);
  g_autofree char *diag = quoted_reply (b);
  g_autofree char *status = dsn_status (r);
  g_autofree char *field = g_strdup_printf ("Diagnostic-Code: smtp; %s", diag);
  const char *action = dsn_action (r);
  gboolean delayed = strcmp (action, "delayed") == 0;

  append_common_headers (m, b, delayed ? "Delayed Mail (still being retried)"
                                       : "Undelivered Mail Returned to Sender");
  g_string_append (m,
    "MIME-Version: 1.0\n"
    "Content-Type: multipart/report; report-type=delivery-status;\n"
    "\tboundary=\"4QmZ1x2Y3z.1765101605/" REPORTING_MTA "\"\n"
    "Content-Transfer-Encoding: 8bit\n"
    "\n"
    "This is a MIME-encapsulated message.\n"
    "\n"
    "--4QmZ1x2Y3z.1765101605/" REPORTING_MTA "\n"
    "Content-Description: Notification\n"
    "Content-Type: text/plain; charset=us-ascii\n"
    "\n");
  g_string_append (m, delayed ? postfix_delay_intro : postfix_intro);
  /* Postfix's notice names the recipient, the remote reply and the
   * command it answered before the delivery report. */
  if (b->row->layout != LAYOUT_NOCODE)
    {
      g_autofree char *line = recipient_line (b);
      g_string_append_c (m, '\n');
      append_wrapped (m, line, 4);
    }
  g_string_append_printf (m,
    "\n"
    "--4QmZ1x2Y3z.1765101605/" REPORTING_MTA "\n"
    "Content-Description: Delivery report\n"
    "Content-Type: message/delivery-status\n"
    "%s"
    "\n"
    "Reporting-MTA: dns; " REPORTING_MTA "\n"
    "X-Postfix-Queue-ID: 4QmZ1x2Y3z\n"
    "X-Postfix-Sender: rfc822; " SENDER "\n"
    "Arrival-Date: Mon,  7 Dec 2026 09:58:00 +0000 (UTC)\n"
    "\n"
    "Final-Recipient: rfc822; %s\n"
    "Original-Recipient: rfc822;%s\n"
    "Action: %s\n"
    "Status: %s\n"
    "Remote-MTA: dns; %s\n",
    is_ascii (diag) ? "" : "Content-Transfer-Encoding: 8bit\n",
    b->recipient, b->recipient, action, status, b->host->host);
  append_wrapped (m, field, 4);
  g_string_append (m,
    "\n"
    "--4QmZ1x2Y3z.1765101605/" REPORTING_MTA "\n"
    "Content-Description: Undelivered Message Headers\n"
    "Content-Type: text/rfc822-headers\n"
    "\n");
  append_original_headers (m, b);
  g_string_append (m, "\n--4QmZ1x2Y3z.1765101605/" REPORTING_MTA "--\n");
  return g_string_free (m, FALSE);
}

static const char *
command_words (const char *command)
{
  if (command == NULL)
    return NULL;
  if (strcmp (command, "mail") == 0)
    return "MAIL FROM command";
  if (strcmp (command, "rcpt") == 0)
    return "RCPT TO command";
  if (strcmp (command, "data") == 0)
    return "end of DATA command";
  return NULL;
}

/* The recipient's line of Postfix's notice (bounce(8), smtp_proto.c): the
 * remote reply and the command it answered; a reply of no known stage
 * names no command. */
static char *
recipient_line (const Build *b)
{
  const Row *r = b->row;
  g_autofree char *reply = quoted_reply (b);
  const char *words = command_words (r->command);

  if (g_strcmp0 (r->command, "connect") == 0 || g_strcmp0 (r->command, "helo") == 0)
    return g_strdup_printf ("<%s>: host %s[%s] refused to talk to me: %s", b->recipient,
                            b->host->host, b->host->ip, reply);
  if (words == NULL)
    return g_strdup_printf ("<%s>: host %s[%s] said: %s", b->recipient, b->host->host,
                            b->host->ip, reply);
  return g_strdup_printf ("<%s>: host %s[%s] said: %s (in reply to %s)", b->recipient,
                          b->host->host, b->host->ip, reply, words);
}

static char *
build_notice (const Build *b)
{
  const Row *r = b->row;
  GString *m = g_string_new (NULL);
  g_autofree char *line = NULL;
  const char *intro;

  if (r->layout == LAYOUT_NOCODE)
    {
      g_autofree char *text = fill_placeholders (b, r->text);

      /* The row's words are the notice; its action, when it names one,
       * chooses Postfix's failure or delay template around them. */
      if (strstr (r->text, "<address>") != NULL)
        line = g_steal_pointer (&text);
      else
        line = g_strdup_printf ("<%s>: %s", b->recipient, text);
      intro = r->action == NULL ? "This is the mail system at host " REPORTING_MTA ".\n"
              : strcmp (r->action, "delayed") == 0 ? postfix_delay_intro : postfix_intro;
    }
  else
    {
      line = recipient_line (b);
      intro = strcmp (dsn_action (r), "delayed") == 0 ? postfix_delay_intro : postfix_intro;
    }
  append_common_headers (m, b, strcmp (intro, postfix_delay_intro) == 0
                                 ? "Delayed Mail (still being retried)"
                                 : "Undelivered Mail Returned to Sender");
  if (!is_ascii (line))
    g_string_append (m, "MIME-Version: 1.0\n"
                        "Content-Type: text/plain; charset=utf-8\n"
                        "Content-Transfer-Encoding: 8bit\n");
  g_string_append (m, "\n");
  g_string_append (m, intro);
  g_string_append (m, "\n");
  {
    g_auto(GStrv) lines = g_strsplit (line, "\n", -1);

    for (guint i = 0; lines[i]; i++)
      append_wrapped (m, lines[i], 4);
  }
  g_string_append (m, "\n------ This is a copy of the message's headers. ------\n\n");
  append_original_headers (m, b);
  return g_string_free (m, FALSE);
}

/* ---- scoring --------------------------------------------------------------- */

typedef struct {
  int tp, fp, fn;
} ReasonCount;

typedef struct {
  char *name;
  int messages;
  int exact;
  int false_hard;
  int missed_hard;
  int failed_rcpts;     /* recipients that should have a status class */
  int class_known;
  int class_right;
  int class_labelled;
  int excluded;
  /* The same figures per rendering: dsn, notice, nocode. */
  int by_layout_messages[3], by_layout_exact[3], by_layout_failed[3], by_layout_known[3];
  GHashTable *reasons;     /* reason -> ReasonCount* */
  GHashTable *confusion;   /* "expected -> got" -> count */
  GString *misses;         /* one line per wrong answer */
} Score;

static Score *
score_new (const char *name)
{
  Score *s = g_new0 (Score, 1);

  s->name = g_strdup (name);
  s->reasons = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  s->confusion = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  s->misses = g_string_new (NULL);
  return s;
}

static void
score_free (Score *s)
{
  g_free (s->name);
  g_hash_table_unref (s->reasons);
  g_hash_table_unref (s->confusion);
  g_string_free (s->misses, TRUE);
  g_free (s);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Score, score_free)

static ReasonCount *
reason_count (Score *s, const char *reason)
{
  ReasonCount *c = g_hash_table_lookup (s->reasons, reason);

  if (c == NULL)
    {
      c = g_new0 (ReasonCount, 1);
      g_hash_table_insert (s->reasons, g_strdup (reason), c);
    }
  return c;
}

/* The recipient of @report that the row's message names, or NULL. */
static const BounceRecipient *
find_recipient (const BounceReport *report, const char *address)
{
  for (guint i = 0; report && i < report->recipients->len; i++)
    {
      const BounceRecipient *rc = g_ptr_array_index (report->recipients, i);

      if (rc->recipient && g_ascii_strcasecmp (rc->recipient, address) == 0)
        return rc;
    }
  return NULL;
}

static void
score_message (Score *s, const Row *r, const char *layout, const char *message)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BounceReport) report = NULL;
  const BounceRecipient *rc;
  const char *got;
  gboolean got_hard;
  int got_class = 0;
  int li;
  g_autofree char *recipient = g_strdup_printf ("%s@%s", local_part (r->language),
                                                system_host (r->system)->domain);

  /* BOUNCED_REPLIES_DUMP=DIR keeps each message as DIR/<id>.<layout>.eml,
   * for `bounced parse` and `bounced classify` by hand. */
  if (g_getenv ("BOUNCED_REPLIES_DUMP") != NULL)
    {
      g_autofree char *name = g_strdup_printf ("%s.%s.eml", r->id, layout);
      g_autofree char *path = NULL;

      g_strdelimit (name, ":/", '-');
      path = g_build_filename (g_getenv ("BOUNCED_REPLIES_DUMP"), name, NULL);
      if (!g_file_set_contents (path, message, -1, &error))
        g_error ("%s", error->message);
    }
  report = bounce_report_parse (message, strlen (message), NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (report);
  rc = find_recipient (report, recipient);
  got = rc ? rc->reason : report->kind == BOUNCE_KIND_NOT_BOUNCE ? "(not a bounce)"
                                                                   : "(no recipient)";
  got_hard = rc ? rc->hard_bounce : FALSE;
  if (rc && rc->status && (rc->status[0] == '4' || rc->status[0] == '5'))
    got_class = rc->status[0] - '0';

  if (r->why_mislabelled)
    {
      s->excluded++;
      g_print ("# excluded %s (%s): %s/%s, labelled %s/%s: %s\n", r->id, layout, got,
               got_hard ? "hard" : "soft", r->reason, r->hard ? "hard" : "soft",
               r->why_mislabelled);
      return;
    }
  s->messages++;
  li = strcmp (layout, "dsn") == 0 ? 0 : strcmp (layout, "notice") == 0 ? 1 : 2;
  s->by_layout_messages[li]++;
  if (strcmp (got, r->reason) == 0)
    s->by_layout_exact[li]++;
  if (r->klass != 0 && strcmp (r->reason, "delivered") != 0)
    {
      s->by_layout_failed[li]++;
      if (got_class)
        s->by_layout_known[li]++;
    }
  if (strcmp (got, r->reason) == 0)
    {
      s->exact++;
      reason_count (s, r->reason)->tp++;
    }
  else
    {
      g_autofree char *pair = g_strdup_printf ("%s -> %s", r->reason, got);
      gpointer n = g_hash_table_lookup (s->confusion, pair);

      reason_count (s, r->reason)->fn++;
      reason_count (s, got)->fp++;
      g_hash_table_replace (s->confusion, g_steal_pointer (&pair),
                            GINT_TO_POINTER (GPOINTER_TO_INT (n) + 1));
    }
  if (got_hard && !r->hard)
    s->false_hard++;
  if (!got_hard && r->hard)
    s->missed_hard++;
  if (strcmp (got, r->reason) != 0 || got_hard != r->hard)
    g_string_append_printf (s->misses, "# miss %s (%s, %s): expected %s/%s, got %s/%s%s%s [%s]\n",
                            r->id, layout, r->system, r->reason, r->hard ? "hard" : "soft",
                            got, got_hard ? "hard" : "soft",
                            got_hard && !r->hard ? " FALSE HARD" : "",
                            !got_hard && r->hard ? " MISSED HARD" : "",
                            rc && rc->evidence ? rc->evidence : "no evidence");
  if (r->klass != 0 && strcmp (r->reason, "delivered") != 0)
    {
      s->failed_rcpts++;
      if (got_class)
        s->class_known++;
      s->class_labelled++;
      if (got_class == r->klass)
        s->class_right++;
      else
        g_string_append_printf (s->misses, "# class %s (%s, %s): expected %d, got %s\n", r->id,
                                layout, r->system, r->klass, rc && rc->status ? rc->status
                                                                             : "no status");
    }
}

static void
score_row (Score *s, const Row *r)
{
  Build b = { .row = r, .host = system_host (r->system) };

  b.recipient = g_strdup_printf ("%s@%s", local_part (r->language), b.host->domain);
  if (r->layout & LAYOUT_DSN && r->layout != LAYOUT_NOCODE)
    {
      g_autofree char *m = build_dsn (&b);
      score_message (s, r, "dsn", m);
    }
  if (r->layout & LAYOUT_NOTICE || r->layout == LAYOUT_NOCODE)
    {
      g_autofree char *m = build_notice (&b);
      score_message (s, r, r->layout == LAYOUT_NOCODE ? "nocode" : "notice", m);
    }
  g_free (b.recipient);
}

static double
percent (int part, int whole)
{
  return whole ? 100.0 * part / whole : 0.0;
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

typedef struct {
  const char *pair;
  int count;
} Pair;

static gint
compare_pairs (gconstpointer a, gconstpointer b)
{
  const Pair *x = a, *y = b;

  if (x->count != y->count)
    return y->count - x->count;
  return strcmp (x->pair, y->pair);
}

/* Prints the figures of @s; the "summary" line is what tools/accuracy
 * keeps. */
static void
score_print (const Score *s, gboolean details)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(GArray) pairs = g_array_new (FALSE, FALSE, sizeof (Pair));
  GHashTableIter it;
  gpointer k, v;

  g_print ("# summary %s: %d messages, exact reason %.1f %% (%d), false hard %d, "
           "missed hard %d, permanence known %.1f %% (%d of %d)",
           s->name, s->messages, percent (s->exact, s->messages), s->exact, s->false_hard,
           s->missed_hard, percent (s->class_known, s->failed_rcpts), s->class_known,
           s->failed_rcpts);
  if (s->class_labelled)
    g_print (", permanence right %.1f %% (%d)", percent (s->class_right, s->class_labelled),
             s->class_right);
  if (s->excluded)
    g_print (", %d excluded as mislabelled", s->excluded);
  g_print ("\n");
  if (!details)
    return;
  {
    static const char *const layouts[] = { "dsn", "notice", "nocode" };

    const char *sep = "";

    g_print ("# %s: by layout", s->name);
    for (int i = 0; i < 3; i++)
      if (s->by_layout_messages[i])
        {
          g_print ("%s %s %d messages, exact reason %.1f %%, permanence known %.1f %%",
                   sep, layouts[i], s->by_layout_messages[i],
                   percent (s->by_layout_exact[i], s->by_layout_messages[i]),
                   percent (s->by_layout_known[i], s->by_layout_failed[i]));
          sep = ";";
        }
    g_print ("\n");
  }

  g_hash_table_iter_init (&it, s->reasons);
  while (g_hash_table_iter_next (&it, &k, NULL))
    g_ptr_array_add (names, k);
  g_ptr_array_sort (names, compare_strings);
  g_print ("# %s: reason             precision  recall    (tp fp fn)\n", s->name);
  for (guint i = 0; i < names->len; i++)
    {
      const ReasonCount *c = g_hash_table_lookup (s->reasons, names->pdata[i]);

      g_print ("# %s:   %-18s %6.1f %%  %6.1f %%  (%d %d %d)\n", s->name,
               (const char *) names->pdata[i], percent (c->tp, c->tp + c->fp),
               percent (c->tp, c->tp + c->fn), c->tp, c->fp, c->fn);
    }
  g_hash_table_iter_init (&it, s->confusion);
  while (g_hash_table_iter_next (&it, &k, &v))
    g_array_append_val (pairs, ((Pair) { k, GPOINTER_TO_INT (v) }));
  g_array_sort (pairs, compare_pairs);
  g_print ("# %s: confusion (expected -> got: count)\n", s->name);
  for (guint i = 0; i < pairs->len; i++)
    g_print ("# %s:   %s: %d\n", s->name, g_array_index (pairs, Pair, i).pair,
             g_array_index (pairs, Pair, i).count);
  g_print ("%s", s->misses->str);
}

static const Threshold *
threshold_for (const char *name)
{
  for (gsize i = 0; i < G_N_ELEMENTS (thresholds); i++)
    if (strcmp (thresholds[i].file, name) == 0)
      return &thresholds[i];
  return NULL;
}

static void
score_check (const Score *s)
{
  const Threshold *t = threshold_for (s->name);
  double exact = percent (s->exact, s->messages);

  g_assert_cmpint (s->messages, >, 0);
  if (t == NULL)
    g_error ("%s has no line in the thresholds table of test-replies.c", s->name);
  g_print ("# threshold %s: exact reason >= %.1f %% (target %.1f %%), false hard <= ",
           s->name, t->min_exact, t->target_exact);
  if (t->max_false_hard == NO_LIMIT)
    g_print ("(no limit)");
  else
    g_print ("%d", t->max_false_hard);
  g_print (", missed hard <= ");
  if (t->max_missed_hard == NO_LIMIT)
    g_print ("(no limit)\n");
  else
    g_print ("%d\n", t->max_missed_hard);
  if (exact < t->min_exact)
    g_error ("%s: exact reason %.1f %% is below the threshold %.1f %%", s->name, exact,
             t->min_exact);
  if (t->max_false_hard != NO_LIMIT && s->false_hard > t->max_false_hard)
    g_error ("%s: %d false hard bounces, at most %d allowed", s->name, s->false_hard,
             t->max_false_hard);
  if (t->max_missed_hard != NO_LIMIT && s->missed_hard > t->max_missed_hard)
    g_error ("%s: %d missed hard bounces, at most %d allowed", s->name, s->missed_hard,
             t->max_missed_hard);
}

/* ---- the tests ------------------------------------------------------------- */

static GPtrArray *
case_files (void)
{
  g_autofree char *dir = g_test_build_filename (G_TEST_DIST, "data", "cases", NULL);
  g_autoptr(GDir) d = NULL;
  g_autoptr(GError) error = NULL;
  GPtrArray *files = g_ptr_array_new_with_free_func (g_free);
  const char *name;

  d = g_dir_open (dir, 0, &error);
  g_assert_no_error (error);
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_suffix (name, ".tsv"))
      g_ptr_array_add (files, g_build_filename (dir, name, NULL));
  g_ptr_array_sort (files, compare_strings);
  return files;
}

static void
test_reference (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "data", "smtp-responses.tsv",
                                                 NULL);
  g_autoptr(GPtrArray) rows = load_rows (path, TRUE);
  g_autoptr(Score) s = score_new ("smtp-responses.tsv");

  /* A listed row that the table no longer has is a stale entry. */
  for (gsize m = 0; m < G_N_ELEMENTS (mislabelled); m++)
    {
      gboolean found = FALSE;

      for (guint i = 0; i < rows->len && !found; i++)
        found = strcmp (((const Row *) rows->pdata[i])->id, mislabelled[m].id) == 0;
      if (!found)
        g_error ("mislabelled row %s is not in the table", mislabelled[m].id);
    }
  for (guint i = 0; i < rows->len; i++)
    score_row (s, rows->pdata[i]);
  score_print (s, TRUE);
  score_check (s);
}

static void
test_cases_file (gconstpointer data)
{
  const char *path = data;
  g_autofree char *base = g_path_get_basename (path);
  g_autoptr(GPtrArray) rows = load_rows (path, FALSE);
  g_autoptr(Score) s = score_new (base);

  for (guint i = 0; i < rows->len; i++)
    score_row (s, rows->pdata[i]);
  score_print (s, TRUE);
  score_check (s);
}

/* Blind batches scored as a whole under their own line of the thresholds
 * table ("<prefix>*"), out of "cases": a batch's first run is the measure
 * of unseen mail (no limits while no rule is written from its misses);
 * once rules are, its line's limits guard them (unseen2: since
 * 2026.12.08.1). */
static const char *const unseen_batches[] = { "unseen2-" };

static const char *
unseen_batch (const char *path)
{
  g_autofree char *base = g_path_get_basename (path);

  for (gsize i = 0; i < G_N_ELEMENTS (unseen_batches); i++)
    if (g_str_has_prefix (base, unseen_batches[i]))
      return unseen_batches[i];
  return NULL;
}

static void
test_cases_all (void)
{
  g_autoptr(GPtrArray) files = case_files ();
  g_autoptr(Score) s = score_new ("cases");

  for (guint f = 0; f < files->len; f++)
    {
      g_autoptr(GPtrArray) rows = NULL;

      if (unseen_batch (files->pdata[f]) != NULL)
        continue;
      rows = load_rows (files->pdata[f], FALSE);
      for (guint i = 0; i < rows->len; i++)
        score_row (s, rows->pdata[i]);
    }
  score_print (s, FALSE);
  score_check (s);
}

static void
test_cases_batch (gconstpointer data)
{
  const char *prefix = data;
  g_autoptr(GPtrArray) files = case_files ();
  g_autofree char *name = g_strdup_printf ("%s*", prefix);
  g_autoptr(Score) s = score_new (name);

  for (guint f = 0; f < files->len; f++)
    {
      g_autoptr(GPtrArray) rows = NULL;

      if (g_strcmp0 (unseen_batch (files->pdata[f]), prefix) != 0)
        continue;
      rows = load_rows (files->pdata[f], FALSE);
      for (guint i = 0; i < rows->len; i++)
        score_row (s, rows->pdata[i]);
    }
  score_print (s, FALSE);
  score_check (s);
}

/* The reasons a remote server can give, each of which the cases word at
 * least three times, from three different systems. */
static const char *const server_reasons[] = {
  "userunknown", "hostunknown", "hasmoved", "notaccept", "mailboxfull", "suspend",
  "exceedlimit", "mesgtoobig", "filtered", "rejected", "blocked", "badreputation",
  "requireptr", "authfailure", "norelaying", "securityerror", "failedstarttls", "speeding",
  "toomanyconn", "spamdetected", "virusdetected", "contenterror", "notcompliantrfc",
  "policyviolation", "syntaxerror", "systemerror", "systemfull", "networkerror", "expired",
  "mailererror",
};

/* Whether REASONS.md calls @reason with class @klass a dead address. */
static gboolean
rule_hard (const char *reason, int klass)
{
  if (klass != 5)
    return FALSE;
  return g_strv_contains ((const char *const[]) { "userunknown", "hostunknown", "hasmoved",
                                                  "notaccept", NULL }, reason);
}

static void
test_cases_inventory (void)
{
  g_autoptr(GPtrArray) files = case_files ();
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GHashTable) systems = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                         (GDestroyNotify) g_hash_table_unref);
  int total = 0, nocode = 0, nocode_foreign = 0, sender_side_5xx = 0;
  static const char *const never_hard_groups[] = {
    "rejected", "blocked", "badreputation", "requireptr", "authfailure", "norelaying",
    "securityerror", "failedstarttls", "speeding", "toomanyconn", "spamdetected",
    "virusdetected", "contenterror", "notcompliantrfc", "policyviolation", "filtered", NULL,
  };

  for (guint f = 0; f < files->len; f++)
    {
      g_autoptr(GPtrArray) rows = load_rows (files->pdata[f], FALSE);

      for (guint i = 0; i < rows->len; i++)
        {
          const Row *r = rows->pdata[i];
          GHashTable *set;

          if (!g_hash_table_add (ids, g_strdup (r->id)))
            g_error ("case id %s is used twice", r->id);
          if (!classify_reason_known (r->reason))
            g_error ("case %s: \"%s\" is not a reason of the vocabulary", r->id, r->reason);
          if (r->hard != rule_hard (r->reason, r->klass))
            g_error ("case %s: %s of class %d is %s by REASONS.md, labelled %s", r->id,
                     r->reason, r->klass, rule_hard (r->reason, r->klass) ? "hard" : "soft",
                     r->hard ? "hard" : "soft");
          if (r->language == NULL)
            g_error ("case %s: no language", r->id);
          total++;
          if (r->layout == LAYOUT_NOCODE)
            {
              nocode++;
              if (!g_str_has_prefix (r->language, "en"))
                nocode_foreign++;
            }
          if (r->klass == 5 && g_strv_contains (never_hard_groups, r->reason))
            sender_side_5xx++;
          set = g_hash_table_lookup (systems, r->reason);
          if (set == NULL)
            {
              set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
              g_hash_table_insert (systems, g_strdup (r->reason), set);
            }
          g_hash_table_add (set, g_utf8_strdown (r->system, -1));
        }
    }
  g_print ("# cases: %d rows, %d nocode (%d not in English), %d sender-side, content or "
           "policy refusals of class 5\n", total, nocode, nocode_foreign, sender_side_5xx);
  g_assert_cmpint (total, >=, 300);
  g_assert_cmpint (nocode, >=, 60);
  g_assert_cmpint (nocode_foreign, >=, 40);
  g_assert_cmpint (sender_side_5xx, >=, 50);
  for (gsize i = 0; i < G_N_ELEMENTS (server_reasons); i++)
    {
      GHashTable *set = g_hash_table_lookup (systems, server_reasons[i]);
      guint n = set ? g_hash_table_size (set) : 0;

      if (n < 3)
        g_error ("the cases word %s from %u systems, at least 3 needed", server_reasons[i], n);
    }
}

int
main (int argc, char **argv)
{
  g_autoptr(GPtrArray) files = NULL;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/replies/reference", test_reference);
  files = case_files ();
  for (guint i = 0; i < files->len; i++)
    {
      g_autofree char *base = g_path_get_basename (files->pdata[i]);
      g_autofree char *path = NULL;

      base[strlen (base) - 4] = '\0';
      path = g_strdup_printf ("/replies/cases/%s", base);
      g_test_add_data_func (path, files->pdata[i], test_cases_file);
    }
  g_test_add_func ("/replies/cases/all", test_cases_all);
  for (gsize i = 0; i < G_N_ELEMENTS (unseen_batches); i++)
    {
      g_autofree char *path = g_strdup_printf ("/replies/cases/batch/%s", unseen_batches[i]);

      g_test_add_data_func (path, unseen_batches[i], test_cases_batch);
    }
  g_test_add_func ("/replies/cases/inventory", test_cases_inventory);
  return g_test_run ();
}
