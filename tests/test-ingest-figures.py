#!/usr/bin/env python3
"""What ingest says and records (issue 10, items 4 to 7), each checked
against what the test itself delivered:

 4. an undated notice takes the delivery time of its Maildir file (the
    leading seconds of its name, else its modification time), not the
    ingest time, and event_time_source says which;
 5. the summary counts rows: "N new, M already stored, K failed", and names
    each failed file with its reason and where it went;
 6. a file that cannot be read stays where it is, gets no row, is named,
    and is stored once it can be read;
 7. messages.source is where the file ended (and reprocess records where it
    is now); `bounced show` prints the outcomes and the path, --raw the file,
    --format=json the same as JSON (compared with the rows).
"""
import hashlib
import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ingest_helpers as h  # noqa: E402

t = h.Tap()


def notice(rcpt, last_attempt=None, arrival=None, date=None, msgid="m1"):
    """A DSN whose dates are only those given."""
    return ("From: MAILER-DAEMON@mx.example.net\n"
            "To: bounces@sender.example\n"
            "Subject: Undelivered Mail Returned to Sender\n"
            + ("Date: %s\n" % date if date else "") +
            "MIME-Version: 1.0\n"
            "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n"
            "--b\nContent-Type: text/plain\n\nNot delivered.\n\n"
            "--b\nContent-Type: message/delivery-status\n\n"
            "Reporting-MTA: dns; mx.example.net\n"
            + ("Arrival-Date: %s\n" % arrival if arrival else "") +
            "\nFinal-Recipient: rfc822; %s\nAction: failed\nStatus: 5.1.1\n"
            "Diagnostic-Code: smtp; 550 5.1.1 <%s>: Recipient address rejected: User unknown\n"
            % (rcpt, rcpt)
            + ("Last-Attempt-Date: %s\n" % last_attempt if last_attempt else "") +
            "\n--b\nContent-Type: text/rfc822-headers\n\n"
            "Message-ID: <%s@sender.example>\nFrom: news@sender.example\nTo: %s\n\n--b--\n"
            % (msgid, rcpt)).encode()


def put(maildir, name, data, mtime=None):
    tmp = os.path.join(maildir, "tmp", name)
    with open(tmp, "wb") as f:
        f.write(data)
    if mtime is not None:
        os.utime(tmp, (mtime, mtime))
    os.rename(tmp, os.path.join(maildir, "new", name))


tmp = tempfile.mkdtemp(prefix="test-ingest-figures-")
db = h.Database("ingestfig")
# As root, bounced runs as the owner of the test server's socket directory,
# for whom a file of mode 000 is unreadable.
as_user = []
owner = None
if os.geteuid() == 0:
    owner = pwd.getpwuid(os.stat(os.environ["PGHOST"]).st_uid).pw_name
    as_user = ["runuser", "-u", owner, "--"]
    shutil.chown(tmp, owner)


def bounced(*args):
    return subprocess.run(as_user + [h.BOUNCED] + list(args) + ["--db", db.conninfo()],
                          capture_output=True, text=True)


try:
    maildir = h.make_maildir(tmp)
    if owner:
        for d, _, _ in os.walk(tmp):
            shutil.chown(d, owner)
    named = "1790000000.M11P22.mx.example.com"     # 2026-09-21T14:13:20Z
    odd = "archived-copy-7"                         # no time in the name
    msgs = {
        named: notice("named@example.org", msgid="named"),
        odd: notice("odd@example.org", msgid="odd"),
        "1795000001.M1P1.h": notice("dated@example.org", msgid="dated",
                                    last_attempt="Tue, 3 Nov 2026 10:00:00 +0000",
                                    arrival="Tue, 3 Nov 2026 09:00:00 +0000"),
        "1795000002.M1P1.h": notice("arrived@example.org", msgid="arrived",
                                    arrival="Wed, 4 Nov 2026 09:00:00 +0000"),
        "1795000003.M1P1.h": notice("headed@example.org", msgid="headed",
                                    date="Thu, 5 Nov 2026 08:00:00 +0000"),
        "1795000004.M1P1.h": b"this is not mail at all\n",
    }
    for name, data in msgs.items():
        put(maildir, name, data, mtime=1780000000 if name == odd else None)
    locked = "1795000005.M1P1.h"
    put(maildir, locked, notice("locked@example.org", msgid="locked"))
    os.chmod(os.path.join(maildir, "new", locked), 0)
    if owner:
        for d, _, files in os.walk(tmp):
            for fn in files:
                shutil.chown(os.path.join(d, fn), owner)

    r = bounced("ingest", maildir)
    t.ok(r.returncode == 1, "a run with a failure exits with status 1", r.stdout + r.stderr)
    t.ok(r.stdout.startswith("5 new, 0 already stored, 2 failed"),
         "the summary counts rows: 5 new, 0 already stored, 2 failed", r.stdout)
    fail_lines = [l for l in r.stderr.splitlines() if "1795000004" in l]
    t.ok(len(fail_lines) == 1 and "could not parse" in fail_lines[0]
         and ".Failed/new/1795000004.M1P1.h" in fail_lines[0],
         "the unparseable file is named once, with its reason and where it went", r.stderr)
    lock_lines = [l for l in r.stderr.splitlines() if locked in l]
    t.ok(len(lock_lines) == 1 and "could not read" in lock_lines[0]
         and "left in place" in lock_lines[0], "the unreadable file is named once", r.stderr)
    t.ok(os.path.exists(os.path.join(maildir, "new", locked))
         and not os.listdir(os.path.join(maildir, ".Failed", "new")) == []
         and locked not in os.listdir(os.path.join(maildir, ".Failed", "new")),
         "the unreadable file stays in new/, not in .Failed", str(os.listdir(maildir + "/new")))
    rows = db.query("SELECT count(*) FROM bounce.messages WHERE source LIKE '%%%s%%'"
                    " OR original_message_id = '<locked@sender.example>'" % locked).strip()
    t.ok(rows == "0", "the unreadable file has no row", rows)

    # 4. event time and its source
    got = db.query("SELECT o.recipient, to_char(o.event_time AT TIME ZONE 'UTC',"
                   " 'YYYY-MM-DD\"T\"HH24:MI:SS'), o.event_time_source"
                   " FROM bounce.recipient_outcomes o ORDER BY 1").strip().splitlines()
    want = ["arrived@example.org|2026-11-04T09:00:00|arrival-date",
            "dated@example.org|2026-11-03T10:00:00|last-attempt",
            "headed@example.org|2026-11-05T08:00:00|message-date",
            "named@example.org|2026-09-21T14:13:20|maildir-name",
            "odd@example.org|2026-05-28T20:26:40|file-mtime"]
    t.ok(got == want, "event time: last attempt, arrival, Date, Maildir name, file mtime",
         "\n".join(got))

    # 7. where each file ended
    bad = []
    for sha, source in (l.split("|") for l in db.query(
            "SELECT sha256, source FROM bounce.messages").strip().splitlines()):
        try:
            with open(source, "rb") as f:
                ok = hashlib.sha256(f.read()).hexdigest() == sha
        except OSError as err:
            ok = False
            source += " (%s)" % err
        if not ok:
            bad.append(source)
    t.ok(bad == [], "every messages.source is the file, where it ended", "\n".join(bad))
    sha = hashlib.sha256(msgs[named]).hexdigest()
    r = bounced("show", sha)
    t.ok(r.returncode == 0 and "reason               userunknown" in r.stdout
         and "event_time_source    maildir-name" in r.stdout
         and "/cur/" + named + ":2,S" in r.stdout, "show by SHA-256: outcomes and the path",
         r.stdout + r.stderr)
    r = bounced("show", "named@sender.example")
    t.ok(r.returncode == 0 and "message " + sha in r.stdout, "show by Message-ID", r.stderr)
    raw = subprocess.run(as_user + [h.BOUNCED, "show", "--raw", sha, "--db", db.conninfo()],
                         capture_output=True)
    t.ok(raw.returncode == 0 and raw.stdout == msgs[named], "show --raw prints the message",
         raw.stderr.decode())
    r = bounced("show", "0" * 64)
    t.ok(r.returncode == 1 and "no stored message" in r.stderr, "show of an unknown hash", r.stderr)
    # show --format=json: the row and the outcomes as the database has them
    r = bounced("show", "--format=json", "named@sender.example")
    try:
        shown = json.loads(r.stdout)
    except ValueError:
        shown = None
    row = db.query("SELECT sha256, source, kind, size FROM bounce.messages WHERE sha256 = '%s'"
                   % sha).strip().split("|")
    outs = [l.split("|") for l in db.query(
        "SELECT o.ordinal, o.recipient, o.reason, o.hard_bounce, o.event_time_source"
        " FROM bounce.recipient_outcomes o JOIN bounce.messages m ON m.id = o.message_id"
        " WHERE m.sha256 = '%s' ORDER BY 1" % sha).strip().splitlines()]
    want = [{"sha256": row[0], "source": row[1], "kind": row[2], "size": len(msgs[named]),
             "file_present": True,
             "outcomes": [{"ordinal": int(o[0]), "recipient": o[1], "reason": o[2],
                           "hard_bounce": o[3] == "t", "event_time_source": o[4]}
                          for o in outs]}]
    got = None
    if isinstance(shown, list):
        got = [{k: m.get(k) for k in ("sha256", "source", "kind", "size", "file_present")}
               for m in shown]
        for g, m in zip(got, shown):
            g["outcomes"] = [{k: o.get(k) for k in ("ordinal", "recipient", "reason",
                                                    "hard_bounce", "event_time_source")}
                             for o in m.get("outcomes", [])]
    t.ok(r.returncode == 0 and got == want and len(outs) == 1 and int(row[3]) == len(msgs[named]),
         "show --format=json: one object with the row's columns (size a number), the file "
         "present, its outcome (hard_bounce a boolean)", "%s\nwant %s\n%s" % (got, want, r.stderr))
    t.ok(shown is not None and all(v is None or not isinstance(v, str) or v != ""
                                   for v in shown[0].values())
         and shown[0].get("error", 1) is None, "absent columns are null, never \"\"", r.stdout)
    r = bounced("show", "--format=xml", sha)
    t.ok(r.returncode == 2, "show --format=xml is a usage error", r.stderr)
    r = bounced("show", "--raw", "--format=json", sha)
    t.ok(r.returncode == 2, "show --raw with --format=json is a usage error", r.stderr)

    # 5 and 6: the file becomes readable; the same mail again
    os.chmod(os.path.join(maildir, "new", locked), 0o644)
    for name in (named, odd):
        put(maildir, name + ".again", msgs[name])
        if owner:
            shutil.chown(os.path.join(maildir, "new", name + ".again"), owner)
    r = bounced("ingest", maildir)
    t.ok(r.returncode == 0 and r.stdout.startswith("1 new, 2 already stored, 0 failed"),
         "the readable file is stored now; the copies were stored before", r.stdout + r.stderr)
    r = bounced("ingest", maildir)
    t.ok(r.returncode == 0 and r.stdout.startswith("0 new, 0 already stored, 0 failed"),
         "a run with nothing to do says so", r.stdout)
    src = db.query("SELECT source FROM bounce.messages WHERE sha256 = '%s'" % sha).strip()
    t.ok(src.endswith("/cur/" + named + ".again:2,S"), "a copy stored again names the copy", src)

    # 7. reprocess records where archived files are now
    archive = os.path.join(tmp, "archive")
    os.makedirs(archive)
    moved = os.path.join(archive, "named.eml")
    shutil.copy(src, moved)
    if owner:
        shutil.chown(archive, owner)
        shutil.chown(moved, owner)
    r = bounced("reprocess", "-q", archive)
    src = db.query("SELECT source FROM bounce.messages WHERE sha256 = '%s'" % sha).strip()
    t.ok(r.returncode == 0 and src == moved, "reprocess records where the file is now",
         src + r.stderr)
finally:
    db.close()
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
