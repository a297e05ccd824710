#!/usr/bin/env python3
"""bounced reprocess brings stored outcomes fully up to the current parser
(worker/store-reprocess.c, invariants 1-7), against a real PostgreSQL.

The same bounces (written here: RFC 3464 reports, qmail notices, an mbox)
are ingested into two fresh databases.  In the first, SQL then makes the
stored rows "old", the way an older parser would have written them (a
recipient missing, one too many, another reason, no status, no
status_source, the message unparsed, ...), and the per-address state is
rebuilt from those rows as ingest would have kept it; the second is what a
fresh ingest gives today.  Proofs:

 1. --dry-run prints exactly the difference the test computes itself from
    the rows of both databases (per message: + added, - removed,
    ~ recipient field: old -> new, ~ message field), writes nothing (every
    table's checksum unchanged), and its counts are the ones the test
    computes;
 2. the real run prints the same counts and the same difference (--diff);
 3. afterwards messages, outcomes and per-address counters and suppression
    equal the fresh ingest's, row for row; an address no outcome names is
    forgotten, unless it was suppressed (then it is kept, lifted);
 4. suppression: lifted where the only hard outcome is now soft, added
    where an outcome is now hard, each change logged as bounced reprocess;
    operator decisions kept;
 5. a second run changes nothing (checksums unchanged);
 6. a message whose transaction the database refuses (a trigger) is left
    wholly as it was, the others are brought up to date, exit status 1;
 7. a run killed while a message's transaction is open (held on an
    advisory lock the test holds) leaves every message wholly old or wholly
    new, and the next run finishes the work;
 8. a file never ingested is left alone; a content read twice counts once;
 9. after retention dropped a month, its outcomes are not brought back and
    the counters keep them (they change by the difference, not by a recount
    of the rows).
Every command but migrate runs as a login that is only a member of
bounced_ingest, as the nightly reprocess does.
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ingest_helpers as h  # noqa: E402

t = h.Tap()
ENV = h.pg_env({"PGTZ": "UTC"})

DIAG = {
    "5.1.1": "550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown in virtual mailbox table",
    "5.2.2": "552 5.2.2 <{rcpt}>: Mailbox full, quota exceeded",
    "4.2.2": "452 4.2.2 <{rcpt}>: Mailbox full",
    "2.0.0": "250 2.0.0 OK queued",
}
ACTION = {"2.0.0": "delivered"}

_ids = [0]


def dsn(rcpts, day=3, month="Nov"):
    """An RFC 3464 report about @rcpts [(address, status)], dated."""
    _ids[0] += 1
    date = "%02d %s 2026 10:%02d:00 +0000" % (day, month, _ids[0] % 60)
    blocks = "".join(
        "Final-Recipient: rfc822; %s\nAction: %s\nStatus: %s\nRemote-MTA: dns; mx.example.org\n"
        "Diagnostic-Code: smtp; %s\nLast-Attempt-Date: %s\n\n"
        % (a, ACTION.get(s, "failed"), s, DIAG[s].format(rcpt=a), date) for a, s in rcpts)
    return ("From: MAILER-DAEMON@mx.sender.example\nTo: news@sender.example\n"
            "Subject: Delivery Status Notification\nDate: %s\nMIME-Version: 1.0\n"
            "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n"
            "--b\nContent-Type: text/plain\n\nReport.\n\n"
            "--b\nContent-Type: message/delivery-status\n\n"
            "Reporting-MTA: dns; mx.sender.example\nArrival-Date: %s\n\n%s"
            "--b\nContent-Type: text/rfc822-headers\n\n"
            "Message-ID: <r%d@sender.example>\nX-Campaign-ID: winter\n"
            "From: news@sender.example\nTo: %s\nSubject: News\n\n--b--\n"
            % (date, date, blocks, _ids[0], rcpts[0][0])).encode()


def qmail(rcpt, dated=True):
    """A qmail notice without a code (status inferred from its words)."""
    _ids[0] += 1
    return (("From: MAILER-DAEMON@qmail.example.net\nTo: news@sender.example\n"
             "Subject: failure notice\n%s\n"
             "Hi. This is the qmail-send program at qmail.example.net.\n"
             "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
             "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
             "<%s>:\nSorry, no mailbox here by that name.\n\n"
             "--- Below this line is a copy of the message.\n\n"
             "From: news@sender.example\nMessage-ID: <q%d@sender.example>\nTo: %s\n"
             "Subject: News\n\nHello.\n")
            % ("Date: Tue, 17 Nov 2026 09:%02d:00 +0000\n" % _ids[0] if dated else "",
               rcpt, _ids[0], rcpt)).encode()


# name -> (message, SQL making its stored rows old; {m} is its messages.id).
# The rows of recipients are rebuilt from the outcomes afterwards.
CASES = [
    ("a recipient missing",
     dsn([("a1@example.org", "5.1.1"), ("a2@example.org", "5.1.1"), ("a3@example.org", "5.1.1")]),
     "DELETE FROM bounce.recipient_outcomes WHERE message_id = {m} AND ordinal = 2"),
    ("the sender taken for a recipient, suppressed",
     dsn([("b1@example.org", "5.2.2")]),
     "INSERT INTO bounce.recipient_outcomes (message_id, ordinal, event_time, recipient,"
     " recipient_domain, action, status, reason, hard_bounce, evidence, kind, campaign,"
     " diagnostic) SELECT message_id, 1, event_time, 'Sender-B@sender.example', 'sender.example',"
     " 'failed', '5.1.1', 'userunknown', true, 'status:5.1.1', kind, campaign, 'no such user'"
     " FROM bounce.recipient_outcomes WHERE message_id = {m} AND ordinal = 0"),
    ("a recipient too many, never suppressed",
     dsn([("c1@example.org", "5.1.1")]),
     "INSERT INTO bounce.recipient_outcomes (message_id, ordinal, event_time, recipient,"
     " recipient_domain, action, status, reason, hard_bounce, kind)"
     " SELECT message_id, 1, event_time, 'x-c@example.net', 'example.net', 'failed', '4.2.2',"
     " 'mailboxfull', false, kind FROM bounce.recipient_outcomes"
     " WHERE message_id = {m} AND ordinal = 0"),
    ("a soft reason that is hard now",
     dsn([("d1@example.org", "5.1.1")]),
     "UPDATE bounce.recipient_outcomes SET reason = 'mailboxfull', hard_bounce = false,"
     " evidence = 'diagnostic:old-rule' WHERE message_id = {m}"),
    ("a hard reason that is soft now (it suppressed)",
     dsn([("e1@example.org", "5.2.2")]),
     "UPDATE bounce.recipient_outcomes SET reason = 'userunknown', hard_bounce = true,"
     " evidence = 'diagnostic:old-rule' WHERE message_id = {m}"),
    ("no status and no status_source (before migration 140)",
     qmail("f1@example.org"),
     "UPDATE bounce.recipient_outcomes SET status = NULL, status_source = NULL"
     " WHERE message_id = {m}"),
    ("the message row of an older decoder",
     dsn([("g1@example.org", "4.2.2")]),
     "UPDATE bounce.messages SET format = NULL, reporting_mta = 'old.example',"
     " original_message_id = NULL, campaign = NULL WHERE id = {m};"
     "UPDATE bounce.recipient_outcomes SET campaign = NULL WHERE message_id = {m}"),
    ("a message the old parser could not read",
     dsn([("h1@example.org", "5.1.1"), ("h2@example.org", "5.2.2")]),
     "DELETE FROM bounce.recipient_outcomes WHERE message_id = {m};"
     "UPDATE bounce.messages SET kind = 'error', error = 'could not parse: old parser',"
     " format = NULL, reporting_mta = NULL, arrival_date = NULL, arrival_date_text = NULL,"
     " original_message_id = NULL, original_from = NULL, original_to = NULL,"
     " original_subject = NULL, campaign = NULL WHERE id = {m}"),
    ("recipients in another order",
     dsn([("i1@example.org", "5.1.1"), ("i2@example.org", "4.2.2")]),
     "UPDATE bounce.recipient_outcomes SET ordinal = ordinal + 10 WHERE message_id = {m};"
     "UPDATE bounce.recipient_outcomes SET ordinal = 11 - ordinal WHERE message_id = {m}"),
    ("a recipient lower-cased",
     dsn([("J1@Example.org", "4.2.2")]),
     "UPDATE bounce.recipient_outcomes SET recipient = lower(recipient) WHERE message_id = {m}"),
    ("dates read a month off (the row moves partitions)",
     dsn([("k1@example.org", "4.2.2")]),
     "UPDATE bounce.recipient_outcomes SET event_time = event_time - interval '35 days',"
     " last_attempt = last_attempt - interval '35 days', event_time_source = NULL"
     " WHERE message_id = {m}"),
    ("an undated notice stored before migration 172",
     qmail("u1@example.org", dated=False),
     "UPDATE bounce.messages SET delivered_at = NULL WHERE id = {m};"
     "UPDATE bounce.recipient_outcomes o SET event_time = m.ingested_at, event_time_source = NULL"
     " FROM bounce.messages m WHERE m.id = {m} AND o.message_id = {m}"),
    ("a diagnostic cut short, no command, no remote MTA",
     dsn([("q1@example.org", "4.2.2")]),
     "UPDATE bounce.recipient_outcomes SET diagnostic = '452 4.2.2', command = NULL,"
     " remote_mta = NULL WHERE message_id = {m}"),
    # (a3 of the first case has a soft outcome here: its address exists, not
    # suppressed, when the hard one is added)
    ("nothing to change",
     dsn([("l1@example.org", "5.1.1"), ("l2@example.org", "2.0.0"), ("a3@example.org", "4.2.2")]),
     ""),
    ("an operator suppressed it, and its outcome is soft now",
     dsn([("m1@example.org", "5.2.2")]),
     "UPDATE bounce.recipient_outcomes SET reason = 'userunknown', hard_bounce = true"
     " WHERE message_id = {m}"),
    ("an operator lifted it, and its outcome is hard now",
     dsn([("n1@example.org", "5.1.1")]),
     "UPDATE bounce.recipient_outcomes SET reason = 'mailboxfull', hard_bounce = false"
     " WHERE message_id = {m}"),
]
OPERATOR = [("suppress", "m1@example.org"), ("unsuppress", "n1@example.org")]
# The mbox: its first message old, its second not.
MBOX = [
    (dsn([("p1@example.org", "5.1.1")]),
     "UPDATE bounce.recipient_outcomes SET reason = 'onhold', hard_bounce = false"
     " WHERE message_id = {m}"),
    (dsn([("p2@example.org", "4.2.2")]), ""),
]
STRAY = dsn([("never@example.org", "5.1.1")])

SOFT_GROUPS = "('mailbox', 'infrastructure', 'unknown')"
# The per-address rows as ingest keeps them, from the outcomes (the test's
# own account of the counters; the suppression by the policy functions).
REBUILD = """
TRUNCATE bounce.suppression_log;
DELETE FROM bounce.recipients;
INSERT INTO bounce.recipients (address, domain, outcomes, hard_bounces, soft_bounces,
    complaints, delivered, first_event_time, last_event_time, last_message_id, last_reason,
    last_status, last_hard_bounce, last_delivered_at)
SELECT lower(o.recipient), min(o.recipient_domain), count(*),
       count(*) FILTER (WHERE o.hard_bounce),
       count(*) FILTER (WHERE NOT o.hard_bounce AND g.grp IN %s),
       count(*) FILTER (WHERE o.reason = 'feedback'),
       count(*) FILTER (WHERE o.reason = 'delivered'),
       min(o.event_time), max(o.event_time),
       (array_agg(o.message_id ORDER BY o.event_time DESC, o.message_id DESC, o.ordinal DESC))[1],
       (array_agg(o.reason ORDER BY o.event_time DESC, o.message_id DESC, o.ordinal DESC))[1],
       (array_agg(o.status ORDER BY o.event_time DESC, o.message_id DESC, o.ordinal DESC))[1],
       (array_agg(o.hard_bounce ORDER BY o.event_time DESC, o.message_id DESC, o.ordinal DESC))[1],
       max(o.event_time) FILTER (WHERE o.reason = 'delivered')
  FROM bounce.recipient_outcomes o LEFT JOIN bounce.reasons g ON g.reason = o.reason
 WHERE o.recipient IS NOT NULL GROUP BY 1;
SELECT bounce.recompute_recipients(array(SELECT address FROM bounce.recipients));
""" % SOFT_GROUPS

# Columns that differ between two databases of the same mail by nature.
MESSAGE_SKIP = {"id", "source", "ingested_at"}
OUTCOME_SKIP = {"message_id"}
RECIPIENT_SKIP = {"updated_at", "changed_at", "last_message_id", "suppressed_message_id",
                  "policy_last_message_id"}
POLICY_COLUMNS = {"suppressed", "suppressed_at", "suppressed_reason", "suppressed_sha",
                  "suppressed_ordinal", "soft_streak", "soft_streak_since", "operator_action",
                  "operator_at", "operator_note", "policy_last_time", "policy_last_sha"}
SUMMARY = [
    ("files", r"(\d+) files: (\d+) messages read, (\d+) stored before, (\d+) never ingested "
              r"\(left alone\), (\d+) older than --since, (\d+) unreadable"),
    ("messages", r"messages: (\d+) changed, (\d+) unchanged, (\d+) read twice, (\d+) unparseable "
                 r"now \(left alone\), (\d+) refused by the database \(left alone\)"),
    ("outcomes", r"outcomes: (\d+) added, (\d+) removed, (\d+) changed, (\d+) unchanged, "
                 r"(\d+) of months dropped by retention \(left out\)"),
    ("addresses", r"addresses: (\d+) re-evaluated, (\d+) suppressed, (\d+) lifted"),
]


# Every command but migrate runs as a login that is only a member of
# bounced_ingest, as the nightly reprocess does (it deletes nothing itself:
# sql/145_reprocess_removals.sql).
WORKER = "bounced_test_reprocess_%d" % os.getpid()


def conninfo(db):
    return "%s user=%s" % (db.conninfo(), WORKER)


def bounced(db, *args):
    return subprocess.run([h.BOUNCED, args[0], "--db", conninfo(db)] + list(args[1:]),
                          capture_output=True, text=True, env=ENV)


def migrate(db):
    r = subprocess.run([h.BOUNCED, "migrate", "--db", db.conninfo()], capture_output=True,
                       text=True, env=ENV)
    if r.returncode != 0:
        t.bail("migrate failed: %s" % r.stderr)
    db.query("DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '%s') THEN"
             " CREATE ROLE %s LOGIN IN ROLE bounced_ingest; END IF; END $$" % (WORKER, WORKER))


def summary(out):
    found = {}
    for name, pattern in SUMMARY:
        m = re.search(pattern, out)
        found[name] = tuple(int(x) for x in m.groups()) if m else None
    return found


def diff_blocks(out):
    """{header: set of lines} of the difference printed before the summary."""
    blocks, current = {}, None
    for line in out.splitlines():
        if line.startswith("/"):
            current = blocks.setdefault(line, set())
        elif line.startswith("  ") and current is not None:
            current.add(line)
        else:
            current = None
    return blocks


def checksums(db):
    tables = db.query("SELECT string_agg(format('%I.%I', schemaname, tablename), ' ')"
                      " FROM pg_tables WHERE schemaname = 'bounce'").split()
    tables.append("bounce.recipient_outcomes")
    return {tb: db.query("SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
                         " FROM %s t" % tb).strip() for tb in sorted(set(tables))}


def messages(db):
    rows = db.json("SELECT json_agg(row_to_json(m)) FROM bounce.messages m") or []
    return {r["sha256"]: r for r in rows}


def outcomes(db):
    rows = db.json("SELECT json_agg(json_build_object('sha', m.sha256, 'row', row_to_json(o)))"
                   " FROM bounce.recipient_outcomes o JOIN bounce.messages m"
                   " ON m.id = o.message_id") or []
    by_sha = {}
    for r in rows:
        by_sha.setdefault(r["sha"], []).append(r["row"])
    for rs in by_sha.values():
        rs.sort(key=lambda r: r["ordinal"])
    return by_sha


def recipients(db):
    rows = db.json(
        "SELECT json_agg(json_build_object('r', row_to_json(r),"
        " 'last_sha', (SELECT sha256 FROM bounce.messages WHERE id = r.last_message_id),"
        " 'suppressed_sha', (SELECT sha256 FROM bounce.messages WHERE id = r.suppressed_message_id),"
        " 'policy_last_sha', (SELECT sha256 FROM bounce.messages"
        "                     WHERE id = r.policy_last_message_id)))"
        " FROM bounce.recipients r") or []
    out = {}
    for x in rows:
        r = {k: v for k, v in x["r"].items() if k not in RECIPIENT_SKIP}
        r.update(last_sha=x["last_sha"], suppressed_sha=x["suppressed_sha"],
                 policy_last_sha=x["policy_last_sha"])
        out[r["address"]] = r
    return out


def keyed(rows):
    """Outcomes by (lower recipient or '', place among its namesakes)."""
    out, seen = {}, {}
    for r in rows:
        k = (r["recipient"] or "").lower()
        seen[k] = seen.get(k, 0) + 1
        out[(k, seen[k])] = r
    return out


def js(v):
    return json.dumps(v, ensure_ascii=False)


def short(r):
    return " ".join(x for x in (r["action"], r["status"], r["reason"]) if x) + (
        " (hard)" if r["hard_bounce"] else "")


def expected_difference(old_msgs, old_outs, new_msgs, new_outs, shas, header):
    """The difference of the stored rows and the fresh ones, computed here:
    ({header: lines}, counts, addresses touched)."""
    blocks = {}
    n = dict(changed=0, unchanged=0, added=0, removed=0, ochanged=0, ounchanged=0)
    touched = set()
    for sha in shas:
        lines = set()
        om, nm = old_msgs[sha], new_msgs[sha]
        for col in nm:
            if col in MESSAGE_SKIP | {"sha256", "size", "parser_version", "classifier_version"}:
                continue
            if om[col] != nm[col]:
                lines.add("  ~ message %s: %s -> %s" % (col, js(om[col]), js(nm[col])))
        old, new = keyed(old_outs.get(sha, [])), keyed(new_outs.get(sha, []))
        for k in old.keys() | new.keys():
            o, w = old.get(k), new.get(k)
            if o is None:
                n["added"] += 1
                lines.add("  + %s: %s" % (w["recipient"], short(w)))
            elif w is None:
                n["removed"] += 1
                lines.add("  - %s: %s" % (o["recipient"], short(o)))
            else:
                cols = [c for c in w if c not in OUTCOME_SKIP and o[c] != w[c]]
                n["ochanged" if cols else "ounchanged"] += 1
                for c in cols:
                    lines.add("  ~ %s %s: %s -> %s" % (w["recipient"], c, js(o[c]), js(w[c])))
                if not cols:
                    continue
            if k[0]:
                touched.add(k[0])
        if lines:
            blocks[header[sha]] = lines
        n["changed" if lines else "unchanged"] += 1
    return blocks, n, touched


def compare_rows(tap, db, fresh, operator_addresses, lifted_kept):
    """Point 3: the database equals the fresh ingest, row for row."""
    a, b = messages(db), messages(fresh)
    bad = [s for s in b if {k: v for k, v in a.get(s, {}).items() if k not in MESSAGE_SKIP}
           != {k: v for k, v in b[s].items() if k not in MESSAGE_SKIP}]
    tap.ok(a.keys() >= b.keys() and not bad, "every messages row equals the fresh ingest's",
           "\n".join(js(a.get(s)) + "\n" + js(b[s]) for s in bad[:3]))
    a, b = outcomes(db), outcomes(fresh)

    def strip(rs):
        return [{k: v for k, v in r.items() if k not in OUTCOME_SKIP} for r in rs]
    bad = [s for s in b if strip(a.get(s, [])) != strip(b[s])]
    tap.ok(not bad and all(s in b for s in a), "every outcome equals the fresh ingest's",
           "\n".join(js(a.get(s)) + "\n" + js(b[s]) for s in bad[:3]))
    a, b = recipients(db), recipients(fresh)
    bad = []
    for addr in a.keys() | b.keys():
        if addr in lifted_kept:
            continue
        x, y = dict(a.get(addr) or {}), dict(b.get(addr) or {})
        if addr in operator_addresses:
            for c in POLICY_COLUMNS:
                x.pop(c, None)
                y.pop(c, None)
        if x != y:
            bad.append((addr, x, y))
    tap.ok(not bad, "every address's counters, latest outcome and suppression equal the "
           "fresh ingest's", "\n".join("%s\n  %s\n  %s" % (ad, js(x), js(y)) for ad, x, y in bad[:4]))
    return a


class World:
    """The files, the fresh database, and a way to make an old one."""

    def __init__(self, tmp):
        self.tmp = tmp
        self.fresh = h.Database("reprocess_fresh", ENV)
        self.files = []     # (name, data, mutation)
        for i, (_, data, sql) in enumerate(CASES):
            self.files.append(("%d.M%dP7.reprocess.test" % (1795100000 + 3600 * i, i), data, sql))
        self.mbox = os.path.join(tmp, "bounces.mbox")
        with open(self.mbox, "wb") as f:
            for data, _ in MBOX:
                f.write(b"From MAILER-DAEMON Mon Nov 23 10:00:00 2026\n" + data + b"\n")
        self.stray = os.path.join(tmp, "stray", "never.eml")
        os.makedirs(os.path.dirname(self.stray))
        with open(self.stray, "wb") as f:
            f.write(STRAY)
        # another copy of a stored message elsewhere: a content read twice
        self.copy = os.path.join(tmp, "copies", "copy.eml")
        os.makedirs(os.path.dirname(self.copy))
        with open(self.copy, "wb") as f:
            f.write(self.files[-3][1])
        md = self.maildir("fresh")
        self.check_ingest(self.fresh, md)
        self.count = 0

    def maildir(self, tag):
        md = h.make_maildir(os.path.join(self.tmp, tag))
        for name, data, _ in self.files:
            with open(os.path.join(md, "new", name), "wb") as f:
                f.write(data)
        return md

    def check_ingest(self, db, md):
        migrate(db)
        for path in (md, self.mbox):
            r = bounced(db, "ingest", "-q", path)
            if r.returncode != 0:
                t.bail("ingest of %s failed: %s" % (path, r.stdout + r.stderr))

    def old(self):
        """A database of old rows and its Maildir: (db, maildir)."""
        self.count += 1
        db = h.Database("reprocess_old%d" % self.count, ENV)
        md = self.maildir("old%d" % self.count)
        self.check_ingest(db, md)
        ids = dict(line.split("|") for line in db.query(
            "SELECT sha256, id FROM bounce.messages").split())
        mutations = [(data, sql) for _, data, sql in self.files] + MBOX
        sha_of_mbox = {}
        for line in db.query("SELECT source, sha256 FROM bounce.messages"
                             " WHERE source LIKE '%#%'").split():
            src, sha = line.split("|")
            sha_of_mbox[int(src.rsplit("#", 1)[1])] = sha
        mbox_shas = [sha_of_mbox[k] for k in sorted(sha_of_mbox)]
        for i, (data, sql) in enumerate(mutations):
            sha = h.sha256(data) if i < len(self.files) else mbox_shas[i - len(self.files)]
            if sql:
                db.query(sql.format(m=ids[sha]))
        db.query(REBUILD)
        for action, address in OPERATOR:
            r = bounced(db, action, "--reason", "test", address)
            if r.returncode != 0:
                t.bail("%s failed: %s" % (action, r.stderr))
        return db, md

    def sources(self, db):
        return dict(reversed(line.split("|")) for line in db.query(
            "SELECT source, sha256 FROM bounce.messages").split())

    def close(self):
        self.fresh.close()


def wait_for(db, sql, value, proc=None):
    """Polls @sql until it gives @value (a condition, not a delay); FALSE
    after a minute or when @proc ended."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (proc is None or proc.poll() is None):
        if db.query(sql).strip() == value:
            return True
        time.sleep(0.02)
    return False


def run_paths(w, md):
    return [md, w.mbox, w.stray, os.path.dirname(w.copy)]


def main():
    tmp = tempfile.mkdtemp(prefix="bounced-reprocess-")
    w = World(tmp)
    dbs = []
    try:
        fresh_msgs, fresh_outs = messages(w.fresh), outcomes(w.fresh)
        operator_addresses = {a for _, a in OPERATOR}

        # ---- 1. the dry run ---------------------------------------------------
        db, md = w.old()
        dbs.append(db)
        old_msgs, old_outs, old_rcpts = messages(db), outcomes(db), recipients(db)
        header = w.sources(db)
        shas = sorted(fresh_msgs)
        want_blocks, n, touched = expected_difference(old_msgs, old_outs, fresh_msgs, fresh_outs,
                                                      shas, header)
        # what suppression should become: the fresh ingest's, but where an
        # operator decided; an address no outcome names is not suppressed
        fresh_rcpts = recipients(w.fresh)
        want_sup = {a: r["suppressed"] for a, r in fresh_rcpts.items()}
        want_sup.update({"m1@example.org": True, "n1@example.org": False})
        old_sup = {a: r["suppressed"] for a, r in old_rcpts.items()}
        suppressed = {a for a in touched if not old_sup.get(a) and want_sup.get(a, False)}
        lifted = {a for a in touched if old_sup.get(a) and not want_sup.get(a, False)}
        files = len(w.files) + 3
        want = {
            "files": (files, files + 1, files, 1, 0, 0),
            "messages": (n["changed"], n["unchanged"], 1, 0, 0),
            "outcomes": (n["added"], n["removed"], n["ochanged"], n["ounchanged"], 0),
            "addresses": (len(touched), len(suppressed), len(lifted)),
        }
        t.ok(n["changed"] == len(CASES) - 1 + 1 and lifted >= {"sender-b@sender.example",
                                                              "e1@example.org"}
             and suppressed >= {"a3@example.org", "d1@example.org", "h1@example.org"},
             "the old rows differ where the test made them old",
             js(n) + js(sorted(suppressed)) + js(sorted(lifted)))

        before = checksums(db)
        r = bounced(db, "reprocess", "--dry-run", "-q", *run_paths(w, md))
        got = summary(r.stdout)
        t.ok(r.returncode == 0 and "\ndry run, nothing changed: " in r.stdout,
             "dry run succeeds", r.stdout + r.stderr)
        blocks = diff_blocks(r.stdout)
        missing = {k: sorted(v - blocks.get(k, set())) for k, v in want_blocks.items()
                   if v - blocks.get(k, set())}
        extra = {k: sorted(v - want_blocks.get(k, set())) for k, v in blocks.items()
                 if v - want_blocks.get(k, set())}
        t.ok(not missing and not extra, "dry run prints exactly the difference (%d messages, "
             "%d lines)" % (len(want_blocks), sum(len(v) for v in want_blocks.values())),
             "missing: %s\nextra: %s" % (json.dumps(missing, indent=1), json.dumps(extra, indent=1)))
        t.ok(got == want, "dry run counts what a real run applies", js(got) + "\n" + js(want))
        t.ok(checksums(db) == before, "dry run writes nothing (checksums of every table)")
        dry_stdout = r.stdout

        # ---- 2. the real run ----------------------------------------------------
        r = bounced(db, "reprocess", "--diff", "-q", *run_paths(w, md))
        t.ok(r.returncode == 0 and summary(r.stdout) == want,
             "the real run's counts are the dry run's", r.stdout + r.stderr)
        t.ok(diff_blocks(r.stdout) == diff_blocks(dry_stdout),
             "--diff prints the difference the dry run printed")
        t.ok("mailboxfull -> userunknown (hard)" in r.stdout
             and "userunknown (hard) -> mailboxfull" in r.stdout,
             "reason changes are counted old -> new", r.stdout)

        # ---- 3. row for row -------------------------------------------------------
        lifted_kept = {"sender-b@sender.example"}
        after = compare_rows(t, db, w.fresh, operator_addresses, lifted_kept)
        sb = after.get("sender-b@sender.example")
        t.ok(sb is not None and sb["outcomes"] == 0 and sb["hard_bounces"] == 0
             and not sb["suppressed"] and sb["last_reason"] == "undefined",
             "an address no outcome names, once suppressed, is kept with no outcomes, lifted",
             js(sb))
        t.ok("x-c@example.net" not in after and "x-c@example.net" in old_rcpts,
             "an address no outcome names, never suppressed, is forgotten")
        counts = db.query(
            "SELECT count(*) FROM bounce.recipients r WHERE (r.outcomes, r.hard_bounces,"
            " r.soft_bounces) IS DISTINCT FROM (SELECT ROW(count(*), count(*) FILTER (WHERE hard_bounce),"
            " count(*) FILTER (WHERE NOT hard_bounce AND g.grp IN %s))"
            " FROM bounce.recipient_outcomes o LEFT JOIN bounce.reasons g ON g.reason = o.reason"
            " WHERE lower(o.recipient) = r.address)" % SOFT_GROUPS).strip()
        t.ok(counts == "0", "every address's counters equal the counts over its outcomes", counts)

        # ---- 4. suppression ---------------------------------------------------------
        now_sup = {a for a, x in after.items() if x["suppressed"]}
        t.ok({a for a in touched if a in now_sup} == {a for a in touched if want_sup.get(a)},
             "suppression of every address touched is the policy's", js(sorted(now_sup)))
        log = db.json("SELECT json_agg(json_build_array(address, change, operator_command)"
                      " ORDER BY id) FROM bounce.suppression_log"
                      " WHERE operator_command = 'bounced reprocess'") or []
        want_log = sorted([[a, "suppressed", "bounced reprocess"] for a in suppressed]
                          + [[a, "unsuppressed", "bounced reprocess"] for a in lifted])
        t.ok(sorted(log) == want_log, "each change of suppression logged as bounced reprocess",
             js(log) + "\n" + js(want_log))
        m1, n1 = after.get("m1@example.org", {}), after.get("n1@example.org", {})
        t.ok(m1.get("suppressed") and m1.get("operator_action") == "suppress"
             and not n1.get("suppressed") and n1.get("operator_action") == "unsuppress"
             and fresh_rcpts["n1@example.org"]["suppressed"],
             "operator decisions are kept (a suppressed soft one, a lifted hard one)",
             js(m1) + js(n1))
        t.ok(db.query("SELECT count(*) FROM bounce.messages WHERE sha256 = '%s'"
                      % h.sha256(STRAY)).strip() == "0", "a file never ingested is left alone")

        # ---- 5. idempotence ------------------------------------------------------------
        before = checksums(db)
        r = bounced(db, "reprocess", "-q", *run_paths(w, md))
        got = summary(r.stdout)
        t.ok(r.returncode == 0 and got["messages"][0] == 0 and got["outcomes"][:3] == (0, 0, 0)
             and got["addresses"] == (0, 0, 0) and checksums(db) == before,
             "a second run changes nothing", r.stdout + r.stderr)

        # ---- 6. a message the database refuses --------------------------------------
        db6, md6 = w.old()
        dbs.append(db6)
        victim = h.sha256(CASES[3][1])    # a soft reason that is hard now
        vid = db6.query("SELECT id FROM bounce.messages WHERE sha256 = '%s'" % victim).strip()
        old6 = (messages(db6)[victim], outcomes(db6)[victim],
                recipients(db6)["d1@example.org"])
        db6.query("CREATE FUNCTION public.refuse() RETURNS trigger LANGUAGE plpgsql AS $$"
                  " BEGIN RAISE EXCEPTION 'outcome refused by the test'; END $$;"
                  "CREATE TRIGGER refuse BEFORE UPDATE ON bounce.recipient_outcomes FOR EACH ROW"
                  " WHEN (OLD.message_id = %s) EXECUTE FUNCTION public.refuse()" % vid)
        r = bounced(db6, "reprocess", "-q", *run_paths(w, md6))
        got = summary(r.stdout)
        t.ok(r.returncode == 1 and got["messages"] is not None and got["messages"][4] == 1
             and got["messages"][0] == want["messages"][0] - 1
             and "refused its change" in r.stderr and "outcome refused by the test" in r.stderr
             and header[victim].rsplit("/", 1)[1] in r.stderr,
             "a refused message is named, counted, and the run fails", r.stdout + r.stderr)
        t.ok((messages(db6)[victim], outcomes(db6)[victim], recipients(db6)["d1@example.org"])
             == old6, "the refused message is wholly as it was (message, outcomes, address)")
        others = outcomes(db6)
        bad = [s for s in fresh_outs if s != victim and
               [{k: v for k, v in x.items() if k not in OUTCOME_SKIP} for x in others.get(s, [])]
               != [{k: v for k, v in x.items() if k not in OUTCOME_SKIP} for x in fresh_outs[s]]]
        t.ok(not bad, "every other message is brought up to date", js(bad))

        # ---- 7. killed mid-run -------------------------------------------------------------
        db7, md7 = w.old()
        dbs.append(db7)
        old7m, old7o = messages(db7), outcomes(db7)
        # Held inside the transaction of the fourth message the walk reads
        # (sorted by name), when its outcome is changed and its address is
        # next: a trigger on that address's row waits for a lock the test holds.
        held = h.sha256(CASES[3][1])
        db7.query("CREATE FUNCTION public.hold() RETURNS trigger LANGUAGE plpgsql AS $$"
                  " BEGIN PERFORM pg_advisory_xact_lock(7007); RETURN NEW; END $$;"
                  "CREATE TRIGGER hold BEFORE UPDATE ON bounce.recipients FOR EACH ROW"
                  " WHEN (OLD.address = 'd1@example.org') EXECUTE FUNCTION public.hold()")
        locker = subprocess.Popen(["psql", "-X", "-q", "-d", db7.name], stdin=subprocess.PIPE,
                                  stdout=subprocess.DEVNULL, text=True, env=ENV)
        locker.stdin.write("SELECT pg_advisory_lock(7007);\n")
        locker.stdin.flush()
        t.ok(wait_for(db7, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                      " AND objid = 7007 AND granted", "1"), "the test holds the lock")
        proc = subprocess.Popen([h.BOUNCED, "reprocess", "--db", conninfo(db7), "-q",
                                 "--batch-size", "1", md7], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, env=ENV)
        t.ok(wait_for(db7, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                      " AND objid = 7007 AND NOT granted", "1", proc),
             "the run waits inside the held message's transaction")
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        locker.stdin.close()
        locker.wait()
        now_m, now_o = messages(db7), outcomes(db7)

        def same(x, y, skip):
            return {k: v for k, v in (x or {}).items() if k not in skip} == \
                {k: v for k, v in (y or {}).items() if k not in skip}

        def whole(s, m, o):
            return same(now_m[s], m[s], MESSAGE_SKIP | {"parser_version", "classifier_version"}) \
                and [{k: v for k, v in x.items() if k not in OUTCOME_SKIP} for x in now_o.get(s, [])] \
                == [{k: v for k, v in x.items() if k not in OUTCOME_SKIP} for x in o.get(s, [])]
        broken = [s for s in fresh_msgs
                  if not whole(s, old7m, old7o) and not whole(s, fresh_msgs, fresh_outs)]
        newer = [s for s in fresh_msgs if s != held and whole(s, fresh_msgs, fresh_outs)
                 and not whole(s, old7m, old7o)]
        order = []
        for fn in sorted(os.listdir(os.path.join(md7, "cur"))):
            with open(os.path.join(md7, "cur", fn), "rb") as f:
                order.append(h.sha256(f.read()))
        before_held = {s for s in order[:order.index(held)]
                       if not whole(s, fresh_msgs, fresh_outs) or s in newer}
        t.ok(not broken and whole(held, old7m, old7o) and set(newer) == before_held
             and len(newer) == 3,
             "after the kill every message is wholly old or wholly new: the %d changed before "
             "the held one new, the held one and those after it old" % len(newer),
             js(broken) + js(newer))
        counts = db7.query(
            "SELECT count(*) FROM bounce.recipients r WHERE r.outcomes IS DISTINCT FROM"
            " (SELECT count(*) FROM bounce.recipient_outcomes o WHERE lower(o.recipient) = r.address)"
            " AND r.operator_action IS NULL").strip()
        t.ok(counts == "0", "and every address's counters match its outcomes", counts)
        db7.query("DROP TRIGGER hold ON bounce.recipients")
        r = bounced(db7, "reprocess", "-q", *run_paths(w, md7))
        t.ok(r.returncode == 0, "the next run finishes the work", r.stdout + r.stderr)
        compare_rows(t, db7, w.fresh, operator_addresses, lifted_kept)

        # ---- 9. months dropped by retention stay counted -------------------------------
        db9 = h.Database("reprocess_retention", ENV)
        dbs.append(db9)
        md9 = h.make_maildir(os.path.join(tmp, "retention"))
        august = dsn([("r1@example.org", "4.2.2")], day=4, month="Aug")
        november = dsn([("r1@example.org", "5.1.1")], day=4)
        for i, data in enumerate((august, november)):
            with open(os.path.join(md9, "new", "%d.M%dP9.retention.test" % (1795200000 + i, i)),
                      "wb") as f:
                f.write(data)
        migrate(db9)
        r = bounced(db9, "ingest", "-q", md9)
        nid = db9.query("SELECT id FROM bounce.messages WHERE sha256 = '%s'"
                        % h.sha256(november)).strip()
        db9.query("UPDATE bounce.recipient_outcomes SET reason = 'mailboxfull', hard_bounce = false"
                  " WHERE message_id = %s" % nid)
        db9.query(REBUILD)
        db9.query("SELECT count(*) FROM bounce.prepare_outcome_months();"
                  "SELECT count(*) FROM bounce.drop_outcome_months('2026-09-01', true)")
        left = db9.query("SELECT count(*) FROM bounce.recipient_outcomes").strip()
        r = bounced(db9, "reprocess", "-q", md9)
        row = db9.query("SELECT outcomes, hard_bounces, soft_bounces, first_event_time::date,"
                        " last_reason FROM bounce.recipients WHERE address = 'r1@example.org'")
        got = summary(r.stdout)
        t.ok(r.returncode == 0 and left == "1" and got["outcomes"] == (0, 0, 1, 0, 1)
             and db9.query("SELECT count(*) FROM bounce.recipient_outcomes").strip() == "1",
             "an outcome of a month retention dropped is not brought back",
             left + " " + r.stdout + r.stderr)
        t.ok(row.strip() == "2|1|1|2026-08-04|userunknown",
             "counters change by the difference: the dropped outcome stays counted, "
             "and the first event time with it", row)
    finally:
        for db in dbs:
            db.close()
        w.close()
        try:
            h.psql("postgres", "DROP ROLE IF EXISTS %s" % WORKER, ENV)
        except RuntimeError:
            pass
        shutil.rmtree(tmp, ignore_errors=True)
    t.done()


main()
