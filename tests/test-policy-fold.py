#!/usr/bin/env python3
"""The suppression policy folded into each batch (sql/150_policy_fold.sql)
against the path it replaces, over random histories.

Two fresh databases get the same batches through `bounced ingest`, the same
operator decisions (`bounced suppress`/`unsuppress`), the same threshold
changes (bounce.set_policy alone, and `bounced recompute`):

  new   the schema as it is: the set-based fold of migration 150;
  old   the same schema with the functions of migrations 100 and 130 put
        back (read from those files): every address of a batch that is not
        suppressed under the current policy recomputed from its whole
        history by recompute_recipient(), as before migration 150.

After every batch every row of bounce.recipients and of
bounce.suppression_log must be the same in both (but for what only the new
schema has, policy_last_*, and the times of day of operator commands, which
the two runs take one after the other).  In "new", after every batch, the
full recomputation of every address not suppressed must change nothing
(policy_last_* included), and suppressed addresses hold no policy_last_*.
At the end of each history the full recomputation of every address (what
`bounced recompute` runs) must give the same suppression decisions, except
for addresses that got an outcome older than their suppression while they
were suppressed (the deliberate difference of migration 130).

The histories (one per seed): a few addresses, written in mixed case;
soft bounces (mailbox full), hard bounces (user unknown), deliveries that
reset the streak, delay notices and sender refusals that never count,
abuse complaints and not-spam feedback; reports with the same address
twice (the distinct-message rule), equal event times (the order by message
id), spans around the 14 days; outcomes that arrive out of order across
batches (seeds with late=True); operator suppress/unsuppress between
batches; threshold changes.
"""
import datetime
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ingest_helpers as h  # noqa: E402

t = h.Tap()

SEEDS = [(1, True), (2, True), (3, True), (4, True), (5, False), (6, False)]
BATCHES = 16
ADDRESSES = ["ann@example.org", "bob@example.org", "cy@example.net", "di@example.net",
             "ed@example.com"]

# (status, action, diagnostic) of each kind of DSN recipient block.
BLOCKS = {
    "soft": ("4.2.2", "failed", "452 4.2.2 <{r}>: Mailbox full"),
    "soft5": ("5.2.2", "failed", "552 5.2.2 <{r}>: Mailbox full, quota exceeded"),
    "hard": ("5.1.1", "failed",
             "550 5.1.1 <{r}>: Recipient address rejected: User unknown in virtual mailbox table"),
    "delivered": ("2.0.0", "delivered", "250 2.0.0 OK queued"),
    "delayed": ("4.2.2", "delayed", "452 4.2.2 <{r}>: Mailbox full"),
    "blocked": ("5.7.1", "failed",
                "550 5.7.1 Service unavailable; client host [192.0.2.1] blocked using zen.spamhaus.org"),
}
KINDS = ["soft", "soft5", "hard", "delivered", "delayed", "blocked", "abuse", "not-spam"]
WEIGHTS = [40, 15, 2, 8, 8, 8, 2, 3]

# Event times: whole hours and a half, around now (so that an operator
# decision, taken now, has outcomes before and after it).
BASE = (datetime.datetime.now(datetime.timezone.utc).replace(minute=30, second=0, microsecond=0)
        - datetime.timedelta(days=200))


def when(hours):
    return (BASE + datetime.timedelta(hours=hours)).strftime("%a, %d %b %Y %H:%M:%S +0000")


def variant(rng, address):
    """The address as a report may write it: case is not significant."""
    return address.upper() if rng.random() < 0.15 else address


def dsn(serial, blocks):
    """An RFC 3464 report; @blocks: [(recipient, kind, hours)]."""
    parts = []
    for rcpt, kind, hours in blocks:
        status, action, diag = BLOCKS[kind]
        parts.append("Final-Recipient: rfc822; %s\nAction: %s\nStatus: %s\n"
                     "Remote-MTA: dns; mx.example.org\nDiagnostic-Code: smtp; %s\n"
                     "Last-Attempt-Date: %s\n" % (rcpt, action, status, diag.format(r=rcpt),
                                                  when(hours)))
    first = min(b[2] for b in blocks)
    return ("From: MAILER-DAEMON@mx.sender.example\nTo: ops@sender.example\n"
            "Subject: Delivery Status Notification\nDate: %s\nMIME-Version: 1.0\n"
            "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n"
            "--b\nContent-Type: text/plain\n\nReport.\n\n"
            "--b\nContent-Type: message/delivery-status\n\n"
            "Reporting-MTA: dns; mx.sender.example\nArrival-Date: %s\n\n%s\n"
            "--b\nContent-Type: text/rfc822-headers\n\n"
            "Message-ID: <fold%d@sender.example>\nFrom: news@sender.example\n"
            "To: %s\nSubject: News\n\n--b--\n"
            % (when(first), when(first), "\n".join(parts), serial, blocks[0][0])).encode()


def arf(serial, rcpt, feedback_type, hours):
    return ("From: fbl@isp.example\nTo: fbl@sender.example\nSubject: complaint\n"
            "Date: %s\nMIME-Version: 1.0\n"
            "Content-Type: multipart/report; report-type=feedback-report; boundary=\"f\"\n\n"
            "--f\nContent-Type: text/plain\n\nA complaint.\n\n"
            "--f\nContent-Type: message/feedback-report\n\n"
            "Feedback-Type: %s\nUser-Agent: test/1.0\nVersion: 1\n"
            "Original-Rcpt-To: %s\nArrival-Date: %s\n\n"
            "--f\nContent-Type: text/rfc822-headers\n\n"
            "Message-ID: <fb%d@sender.example>\nFrom: news@sender.example\n"
            "To: %s\nSubject: News\n\n--f--\n"
            % (when(hours), feedback_type, rcpt, when(hours), serial, rcpt)).encode()


def history(seed, late):
    """[(operations before the batch, [message bytes])] for one seed."""
    rng = random.Random(seed)
    clock = 0
    serial = seed * 10000
    out = []
    for b in range(BATCHES):
        ops = []
        if b > 0 and rng.random() < 0.4:
            ops.append((rng.choice(["suppress", "unsuppress", "unsuppress", "unsuppress"]),
                        rng.choice(ADDRESSES)))
        if b > 0 and rng.random() < 0.12:
            ops.append(("set_policy", rng.choice([2, 3, 3, 4]), rng.choice([0, 7, 14, 14])))
        if b > 0 and rng.random() < 0.06:
            ops.append(("recompute", rng.choice([3, 3, 2]), rng.choice([14, 14, 10])))
        messages = []
        for _ in range(rng.randint(1, 10)):
            serial += 1
            # ties (0), hours, days; now and then weeks
            clock += rng.choice([0, 0, 24, 72, 168, 168, 336])
            hours = clock
            if late and rng.random() < 0.3:
                hours = max(0, clock - rng.choice([24, 72, 168, 336, 480]))
            address = rng.choice(ADDRESSES)
            kind = rng.choices(KINDS, WEIGHTS)[0]
            if kind in ("abuse", "not-spam"):
                messages.append(arf(serial, variant(rng, address), kind, hours))
                continue
            blocks = [(variant(rng, address), kind, hours)]
            while rng.random() < 0.25:
                # another block in the same report: the same address again
                # (counts once as a soft message), or another one
                other = address if rng.random() < 0.6 else rng.choice(ADDRESSES)
                blocks.append((variant(rng, other), rng.choices(KINDS[:6], WEIGHTS[:6])[0],
                               hours + rng.choice([0, 0, 1, 30 * 24] if late else [0, 0, 1])))
            messages.append(dsn(serial, blocks))
        out.append((ops, messages))
    return out




def event(column):
    """@column as text when it is an event time (always half past an hour),
    else a word: the two sides run an operator command (which stamps the
    row with the time of the command) one after the other."""
    return ("CASE WHEN %s IS NULL OR to_char(%s AT TIME ZONE 'UTC', 'MI:SS.US') = '30:00.000000'"
            " THEN %s::text ELSE 'time of a command' END" % (column, column, column))


RECIPIENTS_SQL = (
    "SELECT address, domain, outcomes, hard_bounces, soft_bounces, complaints, delivered, "
    + ", ".join(event(c) for c in ("first_event_time", "last_event_time")) +
    ", last_message_id, last_reason, last_status, last_hard_bounce, last_delivered_at,"
    " suppressed, " + event("suppressed_at") + ", suppressed_reason, suppressed_message_id,"
    " suppressed_ordinal, soft_streak, soft_streak_since, operator_action,"
    " operator_at IS NOT NULL, operator_note, policy_version"
    " FROM bounce.recipients ORDER BY address")
LOG_SQL = (
    "SELECT address, change, reason, message_id, ordinal, " + event("event_time") +
    ", operator_command, db_user, policy_version"
    " FROM bounce.suppression_log ORDER BY address, id")
DECISIONS = ("address, suppressed, suppressed_at, suppressed_reason, suppressed_message_id,"
             " suppressed_ordinal")


def old_functions():
    """recompute_recipient() of migration 100 and the trigger function of
    migration 130, as CREATE OR REPLACE statements."""
    with open(os.path.join(h.SRCDIR, "sql", "100_policy.sql")) as f:
        m100 = f.read()
    with open(os.path.join(h.SRCDIR, "sql", "130_policy_incremental.sql")) as f:
        m130 = f.read()
    recompute = re.search(r"CREATE FUNCTION bounce\.recompute_recipient\(.*?\nEND \$\$;", m100, re.S)
    trigger = re.search(r"CREATE OR REPLACE FUNCTION bounce\.apply_policy_to_new_outcomes\(\)"
                        r".*?\nEND \$\$;", m130, re.S)
    if recompute is None or trigger is None:
        t.bail("the functions of migrations 100 and 130 were not found")
    return recompute.group(0).replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1) + "\n" \
        + trigger.group(0)


class Side:
    """One database, its Maildir and the commands run on it."""

    def __init__(self, name, tmp, config):
        self.name = name
        self.db = h.Database("fold_" + name)
        self.maildir = h.make_maildir(os.path.join(tmp, name))
        self.config = config
        self.run("migrate")

    def run(self, *args):
        cmd = [h.BOUNCED, args[0], "--config", self.config, "--db", self.db.conninfo()]
        r = subprocess.run(cmd + list(args[1:]), capture_output=True, text=True,
                           env=dict(os.environ, BOUNCED_CONFIG=self.config))
        if r.returncode != 0:
            raise RuntimeError("%s: bounced %s: status %d\n%s%s"
                               % (self.name, " ".join(args), r.returncode, r.stdout, r.stderr))
        return r

    def ingest(self, messages):
        for data in messages:
            h.deliver(self.maildir, data)
        self.run("ingest", "-q", "--batch-size", "1000", self.maildir)

    def apply(self, op):
        if op[0] in ("suppress", "unsuppress"):
            self.run(op[0], op[1], "--reason", "test " + op[0])
        elif op[0] == "set_policy":
            self.db.query("SELECT bounce.set_policy(%d, %d)" % (op[1], op[2]))
        else:
            self.run("recompute", "-q", "--soft-bounce-count", str(op[1]),
                     "--soft-bounce-days", str(op[2]))

    def rows(self, sql):
        return self.db.query(sql).splitlines()

    def script(self, sql):
        """Runs several statements in one session; returns the output lines."""
        r = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1",
                            "-d", self.db.name, "-f", "-"], input=sql, capture_output=True,
                           text=True, env=h.pg_env())
        if r.returncode != 0:
            raise RuntimeError("psql: %s\n%s" % (sql, r.stderr))
        return r.stdout.splitlines()


def first_difference(a, b):
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return "row %d:\n  new %s\n  old %s" % (i, x, y)
    if len(a) != len(b):
        return "new has %d rows, old %d" % (len(a), len(b))
    return None


# In "new", a full recomputation of every address not suppressed under the
# current policy (in a transaction that is rolled back) must change no
# column; suppressed addresses keep no policy_last_*.
FULL_CHECK = """
BEGIN;
CREATE TEMP TABLE before AS SELECT * FROM bounce.recipients;
CREATE TEMP TABLE log_before AS SELECT count(*) AS n FROM bounce.suppression_log;
SELECT bounce.recompute_recipients(array(SELECT address FROM bounce.recipients
  WHERE NOT suppressed AND policy_version = (SELECT version FROM bounce.policy)));
SELECT 'changed:' || coalesce((SELECT string_agg(address, ',' ORDER BY address) FROM
         (SELECT * FROM bounce.recipients EXCEPT SELECT * FROM before) d), '')
    || ' logged:' || ((SELECT count(*) FROM bounce.suppression_log) - (SELECT n FROM log_before))
    || ' suppressed-with-last:' || (SELECT count(*) FROM bounce.recipients
                                     WHERE suppressed AND (policy_last_time IS NOT NULL
                                                           OR policy_last_message_id IS NOT NULL));
ROLLBACK;
"""

# At the end: what `bounced recompute` derives for every address of the
# current policy version, compared with the suppression decisions held.
FINAL_CHECK = """
BEGIN;
CREATE TEMP TABLE before AS SELECT %(d)s FROM bounce.recipients
  WHERE policy_version = (SELECT version FROM bounce.policy);
SELECT bounce.recompute_recipients(array(SELECT address FROM before), 'bounced recompute', true);
SELECT 'differ:' || coalesce((SELECT string_agg(DISTINCT address, ',' ORDER BY address) FROM (
         (SELECT %(d)s FROM bounce.recipients WHERE address IN (SELECT address FROM before)
          EXCEPT SELECT * FROM before)
         UNION ALL
         (SELECT * FROM before EXCEPT SELECT %(d)s FROM bounce.recipients)) d), '');
ROLLBACK;
""" % {"d": DECISIONS}


# Addresses suppressed by the policy before the batch (whose first message
# id is :first) that got an outcome in it ordered before their suppression.
LATE_SQL = """
SELECT DISTINCT r.address FROM bounce.recipient_outcomes o
  JOIN bounce.recipients r ON r.address = lower(o.recipient)
 WHERE o.message_id >= :first AND r.suppressed AND r.suppressed_message_id < :first
   AND (o.event_time, o.message_id) < (r.suppressed_at, r.suppressed_message_id);
"""


def sections(lines):
    """Output of a script whose parts start with a line '== NAME'."""
    out = {}
    name = None
    for line in lines:
        if line.startswith("== "):
            name = line[3:]
            out[name] = []
        elif name is not None:
            out[name].append(line)
    return out


def state_script(first, checks):
    """What is compared after a batch (one psql session per side)."""
    parts = ["\\echo == recipients\n%s;\n\\echo == log\n%s;\n" % (RECIPIENTS_SQL, LOG_SQL)]
    if checks:
        parts.append("\\echo == late\n" + LATE_SQL.replace(":first", str(first)))
        parts.append("\\echo == full\n" + FULL_CHECK)
    parts.append("\\echo == next\nSELECT coalesce(max(id), 0) + 1 FROM bounce.messages;\n")
    return "".join(parts)


def one_history(tmp, seed, late):
    config = os.path.join(tmp, "bounced.conf")
    with open(config, "w") as f:
        f.write("[bounced]\n")
    new = Side("new%d" % seed, tmp, config)
    old = Side("old%d" % seed, tmp, config)
    try:
        old.db.query(old_functions())
        mismatch = None
        full = None
        exempt = set()
        first = 1
        for b, (ops, messages) in enumerate(history(seed, late)):
            for op in ops:
                new.apply(op)
                old.apply(op)
            new.ingest(messages)
            old.ingest(messages)
            got = sections(new.script(state_script(first, True)))
            want = sections(old.script(state_script(first, False)))
            exempt |= set(got["late"])
            for what in ("recipients", "log", "next"):
                diff = first_difference(got[what], want[what])
                if diff and mismatch is None:
                    mismatch = "batch %d, %s: %s" % (b, what, diff)
            check = got["full"][-1] if got["full"] else ""
            if check != "changed: logged:0 suppressed-with-last:0" and full is None:
                full = "batch %d: %s" % (b, check)
            first = int(got["next"][0])
        suppressions = int(new.db.query("SELECT count(*) FROM bounce.suppression_log"))
        outcomes = int(new.db.query("SELECT count(*) FROM bounce.recipient_outcomes"))
        t.ok(mismatch is None,
             "seed %d%s: every row of recipients and suppression_log as with the old path"
             " after each of %d batches (%d outcomes, %d log rows)"
             % (seed, " (late outcomes)" if late else "", BATCHES, outcomes, suppressions),
             mismatch)
        t.ok(full is None, "seed %d: a full recomputation after each batch changes nothing"
             % seed, full)
        differ = new.script(FINAL_CHECK)[-1]
        addresses = set(a for a in differ[len("differ:"):].split(",") if a)
        t.ok(differ.startswith("differ:") and addresses <= exempt,
             "seed %d: bounced recompute takes the same suppression decisions%s"
             % (seed, ", but for addresses that got late outcomes once suppressed (%s)"
                % ", ".join(sorted(exempt)) if exempt else ""),
             "%s; exempt: %s" % (differ, sorted(exempt)))
        return suppressions
    finally:
        new.db.close()
        old.db.close()


tmp = tempfile.mkdtemp(prefix="test-policy-fold-")
try:
    total = 0
    for seed, late in SEEDS:
        total += one_history(tmp, seed, late)
    # The histories must exercise the policy, not just run.
    t.ok(total >= 20, "the histories suppress and lift addresses (%d log rows)" % total)
finally:
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
