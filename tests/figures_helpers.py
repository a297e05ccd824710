"""Helpers of the figure tests (tests/test-rates.py, test-suppression.py,
...): rows written straight into a fresh database, and the figures computed
from those rows here, in Python, independently of the SQL that the views and
`bounced report` use.

Outcomes are inserted with their message (one message per outcome unless
the caller groups them), so that everything downstream (the policy trigger,
the views, the report) sees ordinary rows.
"""
import datetime
import decimal
import hashlib
import json
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ingest_helpers as h  # noqa: E402

# reason -> (group, hard_bounce); a subset of bounce.reasons spanning every
# class of the rate views.
REASONS = {
    "userunknown": ("recipient", True),
    "hostunknown": ("recipient", True),
    "mailboxfull": ("mailbox", False),
    "expired": ("infrastructure", False),
    "blocked": ("sender", False),
    "badreputation": ("sender", False),
    "authfailure": ("sender", False),
    "spamdetected": ("content", False),
    "policyviolation": ("recipient-policy", False),
    "feedback": ("complaint", False),
    "delivered": ("not-a-bounce", False),
    "vacation": ("not-a-bounce", False),
}

PROVIDER_OF_DOMAIN = {"gmail.com": "Google", "googlemail.com": "Google",
                      "outlook.com": "Microsoft", "hotmail.com": "Microsoft",
                      "yahoo.com": "Yahoo", "aol.com": "Yahoo"}

SIX = decimal.Decimal("0.000001")


def sql_text(v):
    if v is None:
        return "NULL"
    return "'" + str(v).replace("'", "''") + "'"


def rate(n, sends):
    """bounce.rate: n / sends rounded half away from zero to 6 decimals,
    None when sends are unknown or 0."""
    if sends is None or sends == 0:
        return None
    return (decimal.Decimal(n or 0) / decimal.Decimal(sends)).quantize(
        SIX, rounding=decimal.ROUND_HALF_UP)


def dec(text):
    """A numeric column as psql prints it (empty for NULL)."""
    return None if text == "" else decimal.Decimal(text)


class Outcome:
    """One recipient outcome; @when is an aware datetime (UTC)."""

    def __init__(self, address, reason, when, campaign=None, action=None, hard=None,
                 feedback_type=None, remote_mta=None, diagnostic=None, status=None):
        self.address = address
        self.domain = address.rsplit("@", 1)[1].lower() if "@" in address else None
        self.reason = reason
        self.when = when
        self.campaign = campaign
        self.action = action or ("delivered" if reason == "delivered" else "failed")
        self.hard = REASONS[reason][1] if hard is None else hard
        self.feedback_type = feedback_type or ("abuse" if reason == "feedback" else None)
        self.remote_mta = remote_mta
        self.diagnostic = diagnostic
        self.status = status

    @property
    def day(self):
        return self.when.astimezone(datetime.timezone.utc).date()

    @property
    def counted(self):
        """Whether it is a bounce event (the rate views count it)."""
        return self.reason not in ("delivered", "vacation") and self.action != "delayed"

    @property
    def klass(self):
        if self.hard:
            return "hard"
        if self.reason == "feedback":
            return "complaint"
        return "soft"


_serial = [0]


def insert_outcomes(db, outcomes, per_message=1, chunk=200):
    """Writes @outcomes into db, @per_message recipients per message (the
    message's kind follows its first outcome).  Each chunk is one statement,
    so that the policy trigger runs once per chunk, as for a batch."""
    for start in range(0, len(outcomes), chunk):
        part = outcomes[start:start + chunk]
        groups = [part[i:i + per_message] for i in range(0, len(part), per_message)]
        msgs, outs = [], []
        for g in groups:
            _serial[0] += 1
            sha = hashlib.sha256(("figures-%d-%d" % (os.getpid(), _serial[0])).encode()).hexdigest()
            kind = "feedback" if g[0].reason == "feedback" else (
                "auto-reply" if g[0].reason == "vacation" else "dsn")
            msgs.append("(%s, %s, 100, %s, 'test', 'test', %s)" % (
                sql_text(sha), sql_text("test/%d" % _serial[0]), sql_text(kind),
                sql_text(g[0].campaign)))
            for i, o in enumerate(g):
                outs.append("(%s, %d, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)" % (
                    sql_text(sha), i, sql_text(o.when.isoformat()), sql_text(o.address),
                    sql_text(o.domain), sql_text(o.action), sql_text(o.reason),
                    "true" if o.hard else "false", sql_text(o.feedback_type), sql_text(kind),
                    sql_text(o.campaign), sql_text(o.remote_mta), sql_text(o.diagnostic),
                    sql_text(o.status)))
        # As the store writes a batch: messages, outcomes and the recipients
        # rows in one statement, so that the policy trigger (which fires at
        # its end) finds the recipients.
        db.query(
            "WITH m AS (INSERT INTO bounce.messages (sha256, source, size, kind, parser_version,"
            " classifier_version, campaign) VALUES %s RETURNING id, sha256),"
            " o AS (INSERT INTO bounce.recipient_outcomes (message_id, ordinal, event_time, recipient,"
            " recipient_domain, action, reason, hard_bounce, feedback_type, kind, campaign,"
            " remote_mta, diagnostic, status)"
            " SELECT m.id, v.ordinal, v.t::timestamptz, v.r, v.d, v.a, v.reason, v.hard, v.ft,"
            " v.kind, v.c, v.mta, v.diag, v.st"
            " FROM (VALUES %s) v(sha, ordinal, t, r, d, a, reason, hard, ft, kind, c, mta, diag, st)"
            " JOIN m ON m.sha256 = v.sha RETURNING *)"
            " INSERT INTO bounce.recipients AS x (address, domain, outcomes, first_event_time,"
            " last_event_time, last_message_id, last_reason, last_hard_bounce)"
            " SELECT lower(recipient), min(recipient_domain), count(*), min(event_time),"
            " max(event_time), (array_agg(message_id ORDER BY event_time DESC))[1],"
            " (array_agg(reason ORDER BY event_time DESC))[1],"
            " (array_agg(hard_bounce ORDER BY event_time DESC))[1]"
            " FROM o WHERE recipient IS NOT NULL GROUP BY 1 ORDER BY 1"
            " ON CONFLICT (address) DO UPDATE SET outcomes = x.outcomes + EXCLUDED.outcomes,"
            " first_event_time = LEAST(x.first_event_time, EXCLUDED.first_event_time),"
            " last_event_time = GREATEST(x.last_event_time, EXCLUDED.last_event_time)"
            % (", ".join(msgs), ", ".join(outs)))


def insert_sends(db, sends):
    """@sends: {(day, campaign, domain): count}."""
    if not sends:
        return
    rows = ["(%s, %s, %s, %d)" % (sql_text(d.isoformat()), sql_text(c), sql_text(dom), n)
            for (d, c, dom), n in sends.items()]
    db.query("INSERT INTO bounce.send_counts (day, campaign, recipient_domain, sent) VALUES "
             + ", ".join(rows))


def cells(outcomes, sends, key):
    """The rows of a daily rate view computed by hand: @key maps an outcome
    or a send row (day, campaign, domain) to the view's key.  Returns
    {key: {"sends": int or None, "hard":, "soft":, "complaints":}}."""
    out = {}
    for o in outcomes:
        if not o.counted:
            continue
        k = key(o.day, o.campaign, o.domain)
        if k is None:
            continue
        c = out.setdefault(k, {"sends": None, "hard": 0, "soft": 0, "complaints": 0})
        c[{"hard": "hard", "soft": "soft", "complaint": "complaints"}[o.klass]] += 1
    for (d, camp, dom), n in sends.items():
        k = key(d, camp, dom)
        c = out.setdefault(k, {"sends": None, "hard": 0, "soft": 0, "complaints": 0})
        c["sends"] = (c["sends"] or 0) + n
    for c in out.values():
        c["bounces"] = c["hard"] + c["soft"] + c["complaints"]
    return out


def covered(rows, field):
    """The sum of @field over the rows with known sends, and their sends."""
    n = sum(r[field] for r in rows if r["sends"] is not None)
    s = sum(r["sends"] for r in rows if r["sends"] is not None)
    return n, s


class Env:
    """A fresh database and Maildir, and the bounced binary run against them."""

    def __init__(self, tag):
        import tempfile
        self.tmp = tempfile.mkdtemp(prefix="bounced-%s-" % tag)
        self.db = h.Database(tag)
        self.maildir = h.make_maildir(self.tmp)
        self.config = os.path.join(self.tmp, "bounced.conf")
        with open(self.config, "w") as f:
            f.write("[bounced]\n")

    def run(self, *args, stdin=None, env=None):
        cmd = [h.BOUNCED, args[0], "--config", self.config, "--db", self.db.conninfo()]
        cmd += list(args[1:])
        e = dict(os.environ, BOUNCED_CONFIG=self.config)
        if env:
            e.update(env)
        return subprocess.run(cmd, capture_output=True, text=True, input=stdin, env=e)

    def migrate(self):
        r = self.run("migrate")
        if r.returncode != 0:
            raise RuntimeError(r.stderr)

    def report(self, *args):
        r = self.run("report", "--format=json", *args)
        try:
            return r, json.loads(r.stdout)
        except ValueError:
            return r, {}

    def q(self, sql):
        return self.db.query(sql).strip()

    def close(self):
        self.db.close()
        subprocess.run(["rm", "-rf", self.tmp])


def utc(y, m, d, hh=12, mm=0):
    return datetime.datetime(y, m, d, hh, mm, tzinfo=datetime.timezone.utc)


def random_month(seed, year=2026, month=10, days=31, n=600, domains=None, campaigns=None,
                 reasons=None):
    """A month of outcomes of a sender: random days, domains, campaigns and
    reasons (delay notices included)."""
    rng = random.Random(seed)
    domains = domains or ["gmail.com", "outlook.com", "yahoo.com", "example.org", "acme.example"]
    campaigns = campaigns or ["spring", "autumn", None]
    reasons = reasons or list(REASONS)
    out = []
    for i in range(n):
        d = rng.randrange(1, days + 1)
        reason = rng.choice(reasons)
        action = "delayed" if reason == "mailboxfull" and rng.random() < 0.2 else None
        out.append(Outcome("u%d@%s" % (rng.randrange(n), rng.choice(domains)), reason,
                           utc(year, month, d, rng.randrange(24), rng.randrange(60)),
                           campaign=rng.choice(campaigns), action=action))
    return out
