#!/usr/bin/env python3
"""Watch mode and a file that cannot be read (ingest.c, invariant 6), as
test-ingest-figures.py checks it for a one-shot ingest:
 1. the unreadable file is named in the log, gets no row and does not go to
    the failed folder, while the mail beside it is stored;
 2. it is held, not retried in a loop: one log line per retry-unreadable
    period at most (the key of bounced.conf, here 2 s with a rescan every
    second);
 3. once it can be read, a later pass stores it (one row, its outcome) and
    acknowledges it into cur/;
 4. SIGTERM leaves no claim behind.
The waits poll for a condition with a deadline (not a speed requirement).
"""
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ingest_helpers as h  # noqa: E402

PATIENCE = 30


def wait_for(cond):
    return h.wait_for(cond, PATIENCE)


def notice(rcpt, msgid):
    return ("From: MAILER-DAEMON@mx.example.net\n"
            "To: bounces@sender.example\n"
            "Subject: Undelivered Mail Returned to Sender\n"
            "Date: Thu, 5 Nov 2026 08:00:00 +0000\n"
            "MIME-Version: 1.0\n"
            "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n"
            "--b\nContent-Type: text/plain\n\nNot delivered.\n\n"
            "--b\nContent-Type: message/delivery-status\n\n"
            "Reporting-MTA: dns; mx.example.net\n\n"
            "Final-Recipient: rfc822; %s\nAction: failed\nStatus: 5.1.1\n"
            "Diagnostic-Code: smtp; 550 5.1.1 <%s>: Recipient address rejected: User unknown\n"
            "\n--b\nContent-Type: text/rfc822-headers\n\n"
            "Message-ID: <%s@sender.example>\nFrom: news@sender.example\nTo: %s\n\n--b--\n"
            % (rcpt, rcpt, msgid, rcpt)).encode()


def find(top, name):
    """Where the file named @name is under @top (it moves: new/, a claim
    directory, cur/)."""
    for d, _, files in os.walk(top):
        for fn in files:
            if fn.split(":2,")[0] == name:
                return os.path.join(d, fn)
    return None


def main():
    t = h.Tap()
    tmp = tempfile.mkdtemp(prefix="test-watch-unreadable-")
    db = h.Database("watchunread")
    proc = None
    # As root, bounced runs as the owner of the test server's socket
    # directory, for whom a file of mode 000 is unreadable.
    # (Popen's user/group rather than runuser, so that SIGTERM reaches
    # bounced itself.)
    as_user = {}
    owner = None
    if os.geteuid() == 0:
        pw = pwd.getpwuid(os.stat(os.environ["PGHOST"]).st_uid)
        owner = pw.pw_name
        as_user = {"user": pw.pw_uid, "group": pw.pw_gid, "extra_groups": []}
    try:
        maildir = h.make_maildir(tmp)
        conf = os.path.join(tmp, "bounced.conf")
        with open(conf, "w") as f:
            f.write("[bounced]\nretry-unreadable = 2\nrescan-interval = 1\n")
        good = "1795000001.M1P1.h"
        locked = "1795000002.M1P1.h"
        for name, data in ((good, notice("good@example.org", "good")),
                           (locked, notice("locked@example.org", "locked"))):
            with open(os.path.join(maildir, "tmp", name), "wb") as f:
                f.write(data)
            os.rename(os.path.join(maildir, "tmp", name), os.path.join(maildir, "new", name))
        os.chmod(os.path.join(maildir, "new", locked), 0)
        if owner:
            for d, _, files in os.walk(tmp):
                shutil.chown(d, owner)
                for fn in files:
                    shutil.chown(os.path.join(d, fn), owner)
        h.run_bounced(["migrate", "--db", db.conninfo()])

        proc = subprocess.Popen([h.BOUNCED, "watch", "-c", conf, "--db", db.conninfo(), maildir],
                                stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
                                **as_user)
        lines = []

        when = []   # monotonic time each line was read

        def read_log():
            for line in proc.stderr:
                when.append(time.monotonic())
                lines.append(line)
        reader = threading.Thread(target=read_log, daemon=True)
        reader.start()

        def rows(msgid):
            return db.query("SELECT count(*) FROM bounce.messages"
                            " WHERE original_message_id = '%s@sender.example'"
                            % msgid).strip()

        def named_at():
            return [w for l, w in zip(list(lines), list(when))
                    if locked in l and "could not read" in l]

        def named():
            return [l for l in list(lines) if locked in l and "could not read" in l]

        t.ok(wait_for(lambda: rows("good") == "1"), "the readable message is stored",
             "".join(lines))
        t.ok(wait_for(lambda: len(named()) >= 1), "the unreadable file is named in the log",
             "".join(lines))
        first = named()[0]
        t.ok("left in place, tried again in 2 s" in first,
             "the line says it is held for retry-unreadable (2 s)", first)
        t.ok(rows("locked") == "0", "the unreadable file has no row", rows("locked"))
        failed = os.listdir(os.path.join(maildir, ".Failed", "new")) \
            if os.path.isdir(os.path.join(maildir, ".Failed", "new")) else []
        t.ok(locked not in " ".join(failed), "the unreadable file is not in the failed folder",
             str(failed))

        # Held, not retried at each one-second rescan: the lines that name
        # it come at least a second apart (the period is 2 s; half of it
        # leaves room for the reader's delays).
        t.ok(wait_for(lambda: len(named()) >= 3), "it is tried again later, and named again",
             "".join(lines))
        at = named_at()
        gaps = [b - a for a, b in zip(at, at[1:])]
        t.ok(min(gaps) >= 1.0, "held between retries (%s s between the lines)"
             % ", ".join("%.2f" % g for g in gaps), "".join(lines))

        path = find(maildir, locked)
        t.ok(path is not None, "the file is still in the Maildir", path or "")
        os.chmod(path, 0o600)
        t.ok(wait_for(lambda: rows("locked") == "1"), "once readable, it is stored",
             "".join(lines))
        out = db.query("SELECT o.recipient, o.reason FROM bounce.recipient_outcomes o"
                       " JOIN bounce.messages m ON m.id = o.message_id"
                       " WHERE m.original_message_id = 'locked@sender.example'").strip()
        t.ok(out == "locked@example.org|userunknown", "with its outcome", out)
        t.ok(wait_for(lambda: (find(maildir, locked) or "").startswith(
            os.path.join(maildir, "cur") + "/")), "and acknowledged into cur/",
            str(find(maildir, locked)))

        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=PATIENCE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(timeout=5)
        t.ok(proc.returncode == 0, "SIGTERM stops it with status 0",
             "status %s\n%s" % (proc.returncode, "".join(lines)))
        claims = os.path.join(maildir, "bounced-claims")
        left = [fn for d, _, fs in os.walk(claims) for fn in fs if fn != ".lock"] \
            if os.path.isdir(claims) else []
        t.ok(not left, "no claim is left behind", str(left))
        t.ok(db.count() == 2, "two messages stored")
        proc = None
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
        db.close()
        shutil.rmtree(tmp, ignore_errors=True)
    t.done()


if __name__ == "__main__":
    main()
