#!/usr/bin/env python3
"""Analytics against a real PostgreSQL: suppression policy (REASONS.md,
"Suppression policy") through ingest, recompute after a threshold change,
operator suppress/unsuppress, send count import, rate views and providers,
reprocessing, reports, and every query of sql/examples.sql.

Bounces are written here (RFC 3464 reports with chosen recipients, codes and
dates), delivered into a fresh Maildir and ingested into a fresh database,
so that each expected answer follows from the policy, not from a sample.
"""
import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ingest_helpers as h  # noqa: E402

t = h.Tap()

DIAG = {
    "5.1.1": "550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown in virtual mailbox table",
    "4.2.2": "452 4.2.2 <{rcpt}>: Mailbox full",
    "5.2.2": "552 5.2.2 <{rcpt}>: Mailbox full, quota exceeded",
    "5.7.1": "550 5.7.1 Service unavailable; client host [192.0.2.1] blocked using zen.spamhaus.org",
    "2.0.0": "250 2.0.0 OK queued",
}

_ids = [0]


def dsn(rcpt, status, day, hour=10, action="failed", campaign="spring",
        remote="mx.example.org", month="Nov", to="ops@sender.example"):
    """An RFC 3464 report about one recipient; each call a distinct
    original message (its own Message-ID)."""
    _ids[0] += 1
    date = "%02d %s 2026 %02d:00:00 +0000" % (day, month, hour)
    diag = DIAG[status].format(rcpt=rcpt)
    return ("From: MAILER-DAEMON@mx.sender.example\n"
            "To: %s\n"
            "Subject: Delivery Status Notification\n"
            "Date: %s\n"
            "MIME-Version: 1.0\n"
            "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n"
            "--b\nContent-Type: text/plain\n\nReport.\n\n"
            "--b\nContent-Type: message/delivery-status\n\n"
            "Reporting-MTA: dns; mx.sender.example\nArrival-Date: %s\n\n"
            "Final-Recipient: rfc822; %s\nAction: %s\nStatus: %s\n"
            "Remote-MTA: dns; %s\nDiagnostic-Code: smtp; %s\nLast-Attempt-Date: %s\n\n"
            "--b\nContent-Type: text/rfc822-headers\n\n"
            "Message-ID: <m%d@sender.example>\n%s"
            "From: news@sender.example\nTo: %s\nSubject: News\n\n--b--\n"
            % (to, date, date, rcpt, action, status, remote, diag, date, _ids[0],
               "X-Campaign-ID: %s\n" % campaign if campaign else "", rcpt)).encode()


def arf(rcpt, day, feedback_type="abuse"):
    _ids[0] += 1
    return ("From: fbl@isp.example\nTo: fbl@sender.example\nSubject: complaint\n"
            "Date: %02d Nov 2026 12:00:00 +0000\nMIME-Version: 1.0\n"
            "Content-Type: multipart/report; report-type=feedback-report; boundary=\"f\"\n\n"
            "--f\nContent-Type: text/plain\n\nA complaint.\n\n"
            "--f\nContent-Type: message/feedback-report\n\n"
            "Feedback-Type: %s\nUser-Agent: test/1.0\nVersion: 1\n"
            "Original-Rcpt-To: %s\nArrival-Date: %02d Nov 2026 11:00:00 +0000\n\n"
            "--f\nContent-Type: text/rfc822-headers\n\n"
            "Message-ID: <c%d@sender.example>\nX-Campaign-ID: autumn\nFrom: news@sender.example\n"
            "To: %s\nSubject: News\n\n--f--\n"
            % (day, feedback_type, rcpt, day, _ids[0], rcpt)).encode()


class Env:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="bounced-analytics-")
        self.db = h.Database("analytics")
        self.maildir = h.make_maildir(self.tmp)
        self.config = os.path.join(self.tmp, "bounced.conf")
        self.write_config()

    def write_config(self, **keys):
        with open(self.config, "w") as f:
            f.write("[bounced]\n")
            for k, v in keys.items():
                f.write("%s=%s\n" % (k.replace("_", "-"), v))

    def run(self, *args, stdin=None):
        cmd = [h.BOUNCED, args[0], "--config", self.config, "--db", self.db.conninfo()]
        cmd += list(args[1:])
        return subprocess.run(cmd, capture_output=True, text=True, input=stdin,
                              env=dict(os.environ, BOUNCED_CONFIG=self.config))

    def ingest(self, *messages):
        for m in messages:
            h.deliver(self.maildir, m)
        return self.run("ingest", "-q", self.maildir)

    def q(self, sql):
        return self.db.query(sql).strip()

    def state(self, address):
        return self.q("SELECT suppressed, soft_streak FROM bounce.recipients WHERE address = '%s'"
                      % address)

    def close(self):
        self.db.close()
        subprocess.run(["rm", "-rf", self.tmp])


e = Env()
try:
    # ---- policy through ingest ------------------------------------------
    r = e.ingest(
        dsn("hard@example.org", "5.1.1", 3),
        # three soft outcomes from distinct messages over 15 days: suppressed
        dsn("soft@example.org", "4.2.2", 1), dsn("soft@example.org", "5.2.2", 8),
        dsn("soft@example.org", "4.2.2", 16),
        # three over 9 days: not yet (the span must exceed 14 days)
        dsn("short@example.org", "4.2.2", 1), dsn("short@example.org", "4.2.2", 5),
        dsn("short@example.org", "4.2.2", 10),
        # a delivered outcome in between starts the count again
        dsn("reset@example.org", "4.2.2", 1), dsn("reset@example.org", "4.2.2", 8),
        dsn("reset@example.org", "2.0.0", 10, action="delivered"),
        dsn("reset@example.org", "4.2.2", 17),
        # sender-side refusals never suppress, however many
        *[dsn("blocked@example.org", "5.7.1", d) for d in (1, 5, 10, 15, 20)],
        # a delay notice is not a bounce
        dsn("delayed@example.org", "4.2.2", 1, action="delayed"),
        dsn("delayed@example.org", "4.2.2", 9, action="delayed"),
        dsn("delayed@example.org", "4.2.2", 19, action="delayed"),
        arf("angry@example.org", 12),
        arf("curious@example.org", 12, feedback_type="not-spam"),
        # providers: by name, and a company domain by its mail servers
        dsn("gone@gmail.com", "5.1.1", 20, remote="gmail-smtp-in.l.google.com"),
        dsn("ceo@acme.example", "5.1.1", 20, remote="aspmx.l.google.com", campaign="autumn"),
        dsn("full@outlook.com", "4.2.2", 20, remote="outlook-com.olc.protection.outlook.com"),
    )
    t.ok(r.returncode == 0, "ingest of the policy messages", r.stderr)
    t.ok(e.state("hard@example.org") == "t|0", "hard bounce suppresses at once",
         e.state("hard@example.org"))
    t.ok(e.state("soft@example.org").startswith("t|"),
         "3 soft outcomes over more than 14 days suppress", e.state("soft@example.org"))
    t.ok(e.state("short@example.org") == "f|3", "3 soft outcomes within 14 days do not",
         e.state("short@example.org"))
    t.ok(e.state("reset@example.org") == "f|1", "a delivered outcome resets the soft count",
         e.state("reset@example.org"))
    t.ok(e.state("blocked@example.org") == "f|0", "sender-side refusals never suppress",
         e.state("blocked@example.org"))
    t.ok(e.state("delayed@example.org") == "f|0", "delay notices never count",
         e.state("delayed@example.org"))
    t.ok(e.state("angry@example.org") == "t|0", "an abuse complaint suppresses",
         e.state("angry@example.org"))
    t.ok(e.state("curious@example.org") == "f|0", "a not-spam feedback report does not",
         e.state("curious@example.org"))
    log = e.q("SELECT l.change, l.reason, m.original_message_id IS NOT NULL, l.operator_command"
              " FROM bounce.suppression_log l JOIN bounce.messages m ON m.id = l.message_id"
              " WHERE l.address = 'hard@example.org'")
    t.ok(log == "suppressed|hard bounce: userunknown|t|", "the log names the causing outcome", log)
    lst = e.q("SELECT string_agg(address || ':' || source, ',' ORDER BY address)"
              " FROM bounce.suppression_list")
    t.ok(lst == "angry@example.org:policy,ceo@acme.example:policy,gone@gmail.com:policy,"
               "hard@example.org:policy,soft@example.org:policy",
         "suppression_list holds exactly the suppressed addresses", lst)
    r = e.ingest(*[])
    again = e.q("SELECT count(*) FROM bounce.suppression_log")
    t.ok(r.returncode == 0 and again == "5", "a second ingest logs nothing new", again)

    # ---- recompute after a threshold change ------------------------------
    e.write_config(soft_bounce_days=7)
    r = e.run("recompute", "-q")
    t.ok(r.returncode == 0 and "policy version 2 (new)" in r.stdout and
         "1 address changed" in r.stdout, "recompute with soft-bounce-days=7", r.stdout + r.stderr)
    t.ok(e.state("short@example.org").startswith("t|"), "the new threshold applies to the past",
         e.state("short@example.org"))
    log = e.q("SELECT operator_command, policy_version FROM bounce.suppression_log"
              " WHERE address = 'short@example.org'")
    t.ok(log == "bounced recompute|2", "the change is logged with the command and version", log)
    e.write_config()
    r = e.run("recompute", "-q")
    t.ok(r.returncode == 0 and "policy version 3 (new)" in r.stdout,
         "back to the defaults", r.stdout + r.stderr)
    t.ok(e.state("short@example.org") == "f|3", "and the address is active again",
         e.state("short@example.org"))
    r = e.run("recompute", "-q")
    t.ok("policy version 3:" in r.stdout and "0 addresses changed" in r.stdout,
         "recompute with unchanged thresholds changes nothing", r.stdout)
    versions = e.q("SELECT count(DISTINCT policy_version) || ':' || min(policy_version)"
                   " FROM bounce.recipients")
    t.ok(versions == "1:3", "every address carries the policy version", versions)

    # ---- operator decisions ----------------------------------------------
    r = e.run("suppress", "New@Example.org", "--reason", "asked by phone")
    t.ok(r.returncode == 0 and "suppressed" in r.stdout, "suppress an address never seen",
         r.stdout + r.stderr)
    row = e.q("SELECT source, reason FROM bounce.suppression_list WHERE address = 'new@example.org'")
    t.ok(row == "operator|operator: asked by phone", "operator suppression listed", row)
    r = e.run("unsuppress", "hard@example.org")
    t.ok(r.returncode == 2, "unsuppress without --reason is refused", r.stderr)
    r = e.run("unsuppress", "hard@example.org", "--reason", "mailbox recreated")
    t.ok(r.returncode == 0 and e.state("hard@example.org") == "f|0", "unsuppress",
         r.stdout + r.stderr)
    r = e.run("recompute", "-q")
    t.ok(e.state("hard@example.org") == "f|0" and e.state("new@example.org").startswith("t"),
         "operator decisions survive recompute",
         e.state("hard@example.org") + " " + e.state("new@example.org"))
    r = e.ingest(dsn("hard@example.org", "5.1.1", 20, month="Dec", hour=0))
    t.ok(e.state("hard@example.org") == "t|0", "a hard bounce after unsuppress suppresses again",
         e.state("hard@example.org"))
    log = e.q("SELECT string_agg(change || '/' || coalesce(operator_command, 'ingest'), ','"
              " ORDER BY id) FROM bounce.suppression_log WHERE address = 'hard@example.org'")
    t.ok(log == "suppressed/ingest,unsuppressed/bounced unsuppress,suppressed/ingest",
         "the log tells the whole story", log)
    r = e.run("suppress", "not-an-address")
    t.ok(r.returncode == 2, "suppress refuses what is not an address", r.stderr)

    # ---- send counts ------------------------------------------------------
    csv = os.path.join(e.tmp, "sends.csv")
    with open(csv, "w") as f:
        f.write("day,campaign,recipient_domain,count\n"
                "2026-11-20,spring,example.org,1000\n"
                "2026-11-20,autumn,acme.example,50\n"
                "2026-11-20,spring,gmail.com,400\n"
                "2026-11-20,spring,gmail.com,1\n"
                "2026-11-20,spring,Example.net,x\n")
    r = e.run("sends", "import", csv)
    t.ok(r.returncode == 1 and ":5: duplicate of line 4" in r.stderr and ":6: invalid count"
         in r.stderr and e.q("SELECT count(*) FROM bounce.send_counts") == "0",
         "bad rows are named by line and nothing is imported", r.stderr)
    with open(csv, "w") as f:
        f.write("day,campaign,recipient_domain,count\n"
                "2026-11-20,spring,example.org,1000\n"
                "2026-11-20,autumn,acme.example,50\n"
                "2026-11-20,spring,gmail.com,400\n"
                "2026-11-20,,example.org,100\n")
    r = e.run("sends", "import", csv)
    t.ok(r.returncode == 0 and "4 new, 0 replaced" in r.stdout, "import", r.stdout + r.stderr)
    r = e.run("sends", "import", csv)
    total = e.q("SELECT sum(sent) FROM bounce.send_counts")
    t.ok(r.returncode == 0 and "0 new, 4 replaced" in r.stdout and total == "1550",
         "re-import replaces, it does not add", r.stdout + total)

    # ---- rate views -------------------------------------------------------
    row = e.q("SELECT sends, hard, soft, complaints, hard_rate FROM bounce.daily_domain_rates"
              " WHERE day = '2026-11-20' AND recipient_domain = 'example.org'")
    # 20 Nov at example.org: blocked (soft); 1100 sent.
    t.ok(row == "1100|0|1|0|0.000000", "daily domain rate over sends", row)
    row = e.q("SELECT sends, hard, hard_rate FROM bounce.daily_domain_rates"
              " WHERE day = '2026-11-20' AND recipient_domain = 'outlook.com'")
    t.ok(row == "|0|", "no sends known: counts alone, rates NULL", row)
    row = e.q("SELECT sends, hard, hard_rate FROM bounce.daily_campaign_rates"
              " WHERE day = '2026-11-20' AND campaign = 'autumn'")
    t.ok(row == "50|1|0.020000", "daily campaign rate", row)
    prov = e.q("SELECT string_agg(domain || '=' || provider || '/' || matched_by, ','"
               " ORDER BY domain) FROM bounce.domain_providers"
               " WHERE domain IN ('gmail.com', 'acme.example', 'outlook.com', 'example.org')")
    t.ok(prov == "acme.example=Google/mx,example.org=other/none,gmail.com=Google/domain,"
                 "outlook.com=Microsoft/domain", "providers by domain and by mail server", prov)
    row = e.q("SELECT sends, hard, hard_rate FROM bounce.daily_provider_rates"
              " WHERE day = '2026-11-20' AND provider = 'Google'")
    t.ok(row == "450|2|0.004444", "daily provider rate adds its domains up", row)
    e.q("INSERT INTO bounce.providers (kind, suffix, provider) VALUES ('domain', 'example.org', 'Example Mail')")
    row = e.q("SELECT provider FROM bounce.domain_providers WHERE domain = 'example.org'")
    t.ok(row == "Example Mail", "users extend the provider table", row)
    e.q("DELETE FROM bounce.providers WHERE source = 'local'")
    row = e.q("SELECT reason_group || ':' || outcomes FROM bounce.reason_breakdown"
              " WHERE day = '2026-11-20' AND reason = 'blocked'")
    t.ok(row == "sender:1", "reason breakdown", row)

    # ---- reprocess --------------------------------------------------------
    e.q("UPDATE bounce.recipient_outcomes SET reason = 'mailboxfull', hard_bounce = false"
        " WHERE lower(recipient) = 'gone@gmail.com'")
    e.run("recompute", "-q")
    t.ok(e.state("gone@gmail.com") == "f|1", "a stale classification unsuppressed the address",
         e.state("gone@gmail.com"))
    before = e.q("SELECT count(*) FROM bounce.suppression_log")
    r = e.run("reprocess", "--dry-run", "--progress=log", e.maildir)
    t.ok(r.returncode == 0 and "outcomes: 0 added, 0 removed, 1 changed" in r.stdout
         and "mailboxfull -> userunknown (hard)" in r.stdout
         and '~ gone@gmail.com reason: "mailboxfull" -> "userunknown"' in r.stdout,
         "dry run shows old -> new and the change itself", r.stdout + r.stderr)
    t.ok(e.state("gone@gmail.com") == "f|1" and
         e.q("SELECT count(*) FROM bounce.suppression_log") == before,
         "dry run changes nothing", e.state("gone@gmail.com"))
    t.ok(re.search(r"reprocess \(dry run\): \d+ of \d+ \(100%\)", r.stderr) is not None,
         "plain progress lines when not on a terminal", r.stderr)
    r = e.run("reprocess", "-q", e.maildir)
    t.ok(r.returncode == 0 and "outcomes: 0 added, 0 removed, 1 changed" in r.stdout
         and "1 suppressed" in r.stdout,
         "reprocess updates the outcome and the address", r.stdout + r.stderr)
    t.ok(e.state("gone@gmail.com") == "t|0", "the address is suppressed again",
         e.state("gone@gmail.com"))
    cnt = e.q("SELECT hard_bounces || '/' || soft_bounces FROM bounce.recipients"
              " WHERE address = 'gone@gmail.com'")
    t.ok(cnt == "1/0", "its counters follow the new reason", cnt)
    r = e.run("reprocess", "-q", e.maildir)
    t.ok(r.returncode == 0 and "messages: 0 changed" in r.stdout
         and "outcomes: 0 added, 0 removed, 0 changed" in r.stdout,
         "a second run changes nothing", r.stdout)
    # Files last modified in 2020, --since 2021: every one is skipped.
    for d, _, files in os.walk(e.maildir):
        for fn in files:
            os.utime(os.path.join(d, fn), (1577836800, 1577836800))
    r = e.run("reprocess", "-q", "--since", "2021-01-01", e.maildir)
    t.ok(r.returncode == 0 and "0 stored before" in r.stdout, "--since skips older files",
         r.stdout)
    r = e.run("reprocess", "-q", "--since", "2999-01-01", e.maildir)
    t.ok(r.returncode == 2 and 'bounced reprocess: invalid value of --since: "2999-01-01" is '
         'in the future' in r.stderr, "--since in the future is refused", r.stderr)
    stray = os.path.join(e.tmp, "stray.eml")
    with open(stray, "wb") as f:
        f.write(dsn("never@example.org", "5.1.1", 21))
    r = e.run("reprocess", "-q", stray)
    t.ok(r.returncode == 0 and "1 never ingested" in r.stdout and
         e.q("SELECT count(*) FROM bounce.recipients WHERE address = 'never@example.org'") == "0",
         "a message never ingested is left alone", r.stdout)
    # The parser options are those of parse and ingest (parser-options.c).
    r = e.run("reprocess", "-q", "--max-message-size=100", "--max-field-length=64",
              "--campaign-header=X-Campaign-ID", "--rules=/dev/null", stray)
    t.ok(r.returncode == 1 and "1 unreadable" in r.stdout and "could not read" in r.stderr,
         "reprocess takes the parser limits", r.stdout + r.stderr)
    r = e.run("reprocess", "-q", "--max-recipients=0", stray)
    t.ok(r.returncode == 2 and "limits must be positive" in r.stderr,
         "reprocess refuses a limit of 0 like parse and ingest", r.stdout + r.stderr)

    # ---- report -----------------------------------------------------------
    r = e.run("report", "--format=json")
    rep = json.loads(r.stdout) if r.returncode == 0 else {}
    t.ok(rep.get("sends") == 1550 and rep.get("complaints") == 2, "JSON report totals",
         r.stdout[:2000] + r.stderr)
    domains = {d["name"]: d for d in rep.get("top_domains", [])}
    t.ok(domains.get("gmail.com", {}).get("hard") == 1 and
         abs(domains["gmail.com"]["hard_rate"] - 1 / 400) < 1e-9 and
         domains.get("outlook.com", {}).get("hard_rate") is None,
         "top domains with rates where sends are known", json.dumps(rep.get("top_domains")))
    t.ok(rep.get("suppressed_added", 0) >= 6, "suppressions counted",
         str(rep.get("suppressed_added")))
    r = e.run("report", "--since", "2026-11-15", "--format=json")
    rep15 = json.loads(r.stdout) if r.returncode == 0 else {}
    t.ok(rep15.get("days", [""])[0] >= "2026-11-15" and rep15.get("soft", 99) < rep.get("soft", 0),
         "--since narrows the period", r.stdout[:500])
    r = e.run("report")
    t.ok(r.returncode == 0 and "Top failing domains" in r.stdout and "gmail.com" in r.stdout,
         "table report", r.stdout + r.stderr)
    html = os.path.join(e.tmp, "report.html")
    r = e.run("report", "--format=html", "-o", html)
    page = open(html).read() if r.returncode == 0 else ""
    t.ok(page.startswith("<!DOCTYPE html>") and page.count("<svg ") == 3 and
         "<script" not in page and "Google" in page, "HTML report", r.stderr)
    shot = subprocess.run([sys.executable, os.path.join(h.SRCDIR, "tests", "render-html.py"),
                           html, "100"], capture_output=True, text=True)
    if shot.returncode == 77:
        print("ok %d - # SKIP chromium is not installed" % (t.n + 1), flush=True)
        t.n += 1
    else:
        t.ok(shot.returncode == 0, "the stored report renders in headless Chromium, no console error",
             shot.stdout + shot.stderr)
    r = e.run("report", "--format=pdf")
    t.ok(r.returncode == 2, "unknown format refused", r.stderr)

    # ---- campaign from a VERP return path -------------------------------
    e.write_config(verp_pattern="bounces+{campaign}.{id}@sender.example")
    r = e.ingest(dsn("v1@example.com", "5.1.1", 21, campaign=None,
                     to="bounces+winter.77@sender.example"),
                 dsn("v2@example.com", "5.1.1", 21, campaign="header-wins",
                     to="bounces+winter.78@sender.example"),
                 dsn("v3@example.com", "5.1.1", 21, campaign=None, to="ops@sender.example"))
    camp = e.q("SELECT string_agg(recipient || '=' || coalesce(campaign, 'NULL'), ','"
               " ORDER BY recipient) FROM bounce.recipient_outcomes"
               " WHERE recipient LIKE 'v_@example.com'")
    t.ok(r.returncode == 0 and camp == "v1@example.com=winter,v2@example.com=header-wins,"
                                        "v3@example.com=NULL",
         "campaign from the return path when the header names none", camp + r.stderr)
    r = e.run("ingest", "--verp-pattern", "bounces+{user}@x", e.maildir)
    t.ok(r.returncode == 2 and "unknown placeholder" in r.stderr, "a bad pattern is refused",
         r.stderr)
    e.write_config()

    # ---- sql/examples.sql -------------------------------------------------
    with open(os.path.join(h.SRCDIR, "sql", "examples.sql")) as f:
        text = f.read()
    queries = re.findall(r"^-- name: (\S+)\n(.*?;)\s*$", text, re.S | re.M)
    answers = {}
    for name, sql in queries:
        try:
            answers[name] = e.q(sql)
        except RuntimeError as err:
            answers[name] = "ERROR " + str(err)
    t.ok(len(queries) >= 10, "examples.sql has at least 10 questions", str(len(queries)))
    expect = {
        # example.org's hard bounce (3 Nov) fell on a day without sends
        "hard-bounce-rate-by-domain": lambda a: a == "gmail.com|400|1|1|0.25\nexample.org|1100|1|0|0.00",
        "suppressed-this-week": lambda a: "hard bounce|" in a and "operator|1" in a,
        "sender-side-problems": lambda a: a == "sender|blocked|5|1",
        # both feedback reports (abuse and not-spam) are complaints; they came
        # on a day without known sends, so they count but make no rate
        "campaign-complaints": lambda a: a == "autumn|50|2|0|0.000",
        "provider-daily-bounces": lambda a: "2026-11-20|Google|2|0|0|450" in a.splitlines(),
        "near-suppression": lambda a: a.startswith("reset@example.org") is False and
                                      "short@example.org" not in a,
        "unknown-reasons": lambda a: a == "",
        "parse-failures-by-error": lambda a: a == "",
        "workspace-domains": lambda a: a == "acme.example|Google",
        "repeat-hard-bouncers": lambda a: a == "",
        "time-to-bounce": lambda a: a.startswith("dsn|") and a.count("\n") == 0,
        "reason-share-by-day": lambda a: "2026-11-20|sender|1|" in a,
    }
    for name, sql in queries:
        check = expect.get(name)
        t.ok(check is not None and check(answers[name]),
             "example %s" % name, answers[name])
finally:
    e.close()
t.done()
