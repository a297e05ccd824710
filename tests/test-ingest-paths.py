#!/usr/bin/env python3
"""messages.source names the file where ingest left it, whatever way it got
there (worker/ingest.c, invariant 7).

A new row is written with the path the acknowledgement plans (cur/NAME:2,S,
the failed or the other folder) and is not rewritten when the file lands
there; these are the cases where it does not, and the row must follow:

  - the planned name in cur/ is taken by another file (the message gets a
    fresh name);
  - the name is too long to take ":2,S" (a fresh short name);
  - two copies of one content in one batch, and a copy of a content stored
    by an earlier run (the row names the copy acknowledged last);
  - a batch the database refuses, written message by message.

Each row's path is opened and its bytes hashed against the row's sha256.
"""
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ingest_helpers as h  # noqa: E402

t = h.Tap()


def dsn(rcpt, extra=""):
    return ("From: MAILER-DAEMON@mx.example.net\n"
            "To: bounces@sender.example\n"
            "Subject: Undelivered Mail Returned to Sender\n"
            "Date: Tue, 03 Nov 2026 10:00:00 +0000\n"
            "MIME-Version: 1.0\n"
            "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n"
            "--b\nContent-Type: text/plain\n\nNot delivered.%s\n\n"
            "--b\nContent-Type: message/delivery-status\n\n"
            "Reporting-MTA: dns; mx.example.net\n\n"
            "Final-Recipient: rfc822; %s\nAction: failed\nStatus: 5.1.1\n"
            "Diagnostic-Code: smtp; 550 5.1.1 <%s>: Recipient address rejected: User unknown\n"
            "\n--b--\n" % (extra, rcpt, rcpt)).encode()


def put(maildir, sub, name, data):
    path = os.path.join(maildir, sub, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def where_rows_point(db):
    """[(sha256, source, problem)] of every row whose source is not its file."""
    bad = []
    for line in db.query("SELECT sha256, source FROM bounce.messages").strip().splitlines():
        sha, source = line.split("|", 1)
        try:
            with open(source, "rb") as f:
                if hashlib.sha256(f.read()).hexdigest() != sha:
                    bad.append("%s: another file" % source)
        except OSError as err:
            bad.append("%s: %s" % (source, err))
    return bad


def ingest(db, maildir, *extra):
    return subprocess.run([h.BOUNCED, "ingest", "--db", db.conninfo()] + list(extra)
                          + [maildir], capture_output=True, text=True, env=h.pg_env())


tmp = tempfile.mkdtemp(prefix="test-ingest-paths-")
db = h.Database("ingestpaths")
try:
    md = h.make_maildir(tmp)
    # Planned name taken: cur/NAME:2,S exists (another file) before the run.
    taken = "1795000001.M1P1.taken.example"
    put(md, "new", taken, dsn("taken@example.org"))
    put(md, "cur", taken + ":2,S", b"another file with that name\n")
    # A name of 253 bytes: with ":2,S" it would pass NAME_MAX.
    longname = "1795000002.M2P2." + "l" * (253 - len("1795000002.M2P2."))
    put(md, "new", longname, dsn("long@example.org"))
    # Two copies of one content in the same batch.
    twin = dsn("twin@example.org")
    put(md, "new", "1795000003.M3P3.twin-a.example", twin)
    put(md, "new", "1795000004.M4P4.twin-b.example", twin)
    # The usual case.
    plain = "1795000005.M5P5.plain.example"
    put(md, "new", plain, dsn("plain@example.org"))
    r = ingest(db, md)
    t.ok(r.returncode == 0 and r.stdout.startswith("4 new, 1 already stored, 0 failed"),
         "the run stores four, the twin once", r.stdout + r.stderr)
    with open(os.path.join(md, "cur", taken + ":2,S"), "rb") as f:
        t.ok(f.read() == b"another file with that name\n", "the file of the taken name is kept")
    bad = where_rows_point(db)
    t.ok(bad == [], "every row names its file: taken name, long name, twins", "\n".join(bad))
    src = db.query("SELECT source FROM bounce.messages WHERE sha256 = '%s'"
                   % h.sha256(dsn("plain@example.org"))).strip()
    t.ok(src == os.path.join(md, "cur", plain + ":2,S"), "a plain message names cur/NAME:2,S",
         src)
    src = db.query("SELECT source FROM bounce.messages WHERE sha256 = '%s'"
                   % h.sha256(twin)).strip()
    t.ok(os.path.basename(src).startswith(("1795000003", "1795000004")), "the twin names a copy",
         src)

    # A copy of a content stored by the earlier run: the row follows it.
    again = "1795000006.M6P6.again.example"
    put(md, "new", again, dsn("plain@example.org"))
    r = ingest(db, md)
    src = db.query("SELECT source FROM bounce.messages WHERE sha256 = '%s'"
                   % h.sha256(dsn("plain@example.org"))).strip()
    t.ok(r.returncode == 0 and src == os.path.join(md, "cur", again + ":2,S"),
         "a copy stored before: the row names the new copy", src + r.stderr)

    # A batch the database refuses (a trigger refuses one message's row,
    # as in test-ingest-poison), written message by message: the refused one
    # is stored as an error and goes to the failed folder.
    db.query("CREATE FUNCTION public.refuse() RETURNS trigger LANGUAGE plpgsql AS $$"
             " BEGIN IF NEW.sha256 = '%s' AND NEW.kind <> 'error' THEN"
             " RAISE EXCEPTION 'refused by the test'; END IF; RETURN NEW; END $$;"
             " CREATE TRIGGER refuse BEFORE INSERT ON bounce.messages"
             " FOR EACH ROW EXECUTE FUNCTION public.refuse()"
             % h.sha256(dsn("refused@example.org")))
    put(md, "new", "1795000007.M7P7.refused.example", dsn("refused@example.org"))
    put(md, "new", "1795000008.M8P8.fine.example", dsn("fine@example.org"))
    r = ingest(db, md)
    failed = os.listdir(os.path.join(md, ".Failed", "new")) if os.path.isdir(
        os.path.join(md, ".Failed", "new")) else []
    t.ok(r.stdout.startswith("1 new, 0 already stored, 1 failed")
         and failed == ["1795000007.M7P7.refused.example"],
         "message by message: one stored, the refused one failed", r.stdout + r.stderr)
    bad = where_rows_point(db)
    t.ok(bad == [], "every row names its file after a batch written message by message",
         "\n".join(bad))
finally:
    db.close()
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
