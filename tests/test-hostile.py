#!/usr/bin/env python3
"""Hostile Maildirs and hostile files (worker/maildir.c invariant 6,
worker/msgfile.c, worker/input-walk.c, worker/ingest.c invariant 2).

Each case builds its Maildir in a temporary directory, with things outside
it that nothing may touch, and runs the bounced binary:
 1. new/ a symbolic link to a directory elsewhere: refused, one clear error,
    nothing outside moved;
 2. .Failed a symbolic link elsewhere: refused the same way;
 3. a forged claim (bounced-claims/NAME.lock, NAME/new a link elsewhere):
    not recovered, one log line, nothing outside moved, the Maildir's own
    mail stored;
 4. a claim directory of another owner (as root): not recovered;
 5. a symbolic link, a FIFO and a directory in new/: skipped, each named
    once in the log, left where they are; the run neither hangs nor fails;
 6. a file larger than the limit: refused by its size, not read (its key is
    the hash of its name and size), stored as an error row, in .Failed;
 7. a 255-byte file name: acknowledged under a shorter name, the rename
    logged, and not ingested again by the next run;
 8. `bounced parse DIR`: a FIFO is an error object, not a hang; an unreadable
    subdirectory is an error object and exit status 1; a symbolic link loop
    does not print any message twice; a file name that is not UTF-8 gives
    valid JSON;
 9. writes refused for want of disk (SQLSTATE 53100): --max-wait fires (a
    batch handed to the writer is not progress), the outage is logged once
    and no recovery is claimed, the messages are back in new/, and a run
    after the disk is freed stores them all;
10. the first three commits refused for want of disk, then accepted: every
    message is stored and parsed once only (the debug counters of
    BOUNCED_DEBUG_COUNTERS: the batches parsed already are written again,
    not parsed again), the transactions tried are the batches plus the three
    refused, and the outage and the recovery are logged once each.
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ingest_helpers as h  # noqa: E402

ROOT = os.geteuid() == 0
TIMEOUT = 120   # seconds: a run that hangs (a FIFO) fails the test instead


def fixture(rel):
    with open(os.path.join(h.FIXTURES, rel), "rb") as f:
        return f.read()


DSN = fixture("dsn/comments.eml")


def outside_dir(tmp, n=3):
    """A directory outside the Maildir holding @n message files; returns it
    and the {name: bytes} it holds."""
    d = os.path.join(tmp, "outside")
    os.makedirs(d, exist_ok=True)
    made = {}
    for i in range(n):
        name = "outside-%d.eml" % i
        data = h.copy_of(DSN, 1000 + i)
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
        made[name] = data
    return d, made


def untouched(d, made):
    names = sorted(os.listdir(d))
    if names != sorted(made):
        return False
    for name, data in made.items():
        with open(os.path.join(d, name), "rb") as f:
            if f.read() != data:
                return False
    return True


def ingest(db, maildir, *extra, env=None):
    return h.run_bounced(["ingest", "--db", db.conninfo()] + list(extra) + [maildir],
                         env=env, timeout=TIMEOUT)


def case_new_symlink(tap, db, tmp):
    outside, made = outside_dir(tmp)
    maildir = os.path.join(tmp, "Maildir")
    for sub in ("cur", "tmp"):
        os.makedirs(os.path.join(maildir, sub))
    os.symlink(outside, os.path.join(maildir, "new"))
    run = ingest(db, maildir)
    tap.ok(run.returncode != 0 and "symbolic link" in run.stderr and "new/" in run.stderr,
           "new/ a link to a directory elsewhere: refused, saying why",
           "status %d\n%s" % (run.returncode, run.stderr))
    tap.ok(untouched(outside, made), "new/ a link elsewhere: nothing outside moved",
           str(os.listdir(outside)))
    tap.ok(not os.path.exists(os.path.join(maildir, ".Failed"))
           or os.listdir(os.path.join(maildir, ".Failed", "new")) == [],
           "new/ a link elsewhere: nothing moved into the Maildir")


def case_failed_symlink(tap, db, tmp):
    outside = os.path.join(tmp, "failed-outside")
    os.makedirs(os.path.join(outside, "new"))
    os.makedirs(os.path.join(outside, "cur"))
    maildir = h.make_maildir(tmp)
    os.symlink(outside, os.path.join(maildir, ".Failed"))
    h.deliver(maildir, b"not a message at all\n")
    run = ingest(db, maildir)
    tap.ok(run.returncode != 0 and ".Failed" in run.stderr and "symbolic link" in run.stderr,
           ".Failed a link elsewhere: refused, saying why",
           "status %d\n%s" % (run.returncode, run.stderr))
    tap.ok(os.listdir(os.path.join(outside, "new")) == []
           and os.listdir(os.path.join(outside, "cur")) == [],
           ".Failed a link elsewhere: no mail sent outside")
    tap.ok(len(os.listdir(os.path.join(maildir, "new"))) == 1,
           ".Failed a link elsewhere: the message stays in new/")


def case_forged_claim(tap, db, tmp):
    outside, made = outside_dir(tmp)
    maildir = h.make_maildir(tmp)
    claims = os.path.join(maildir, "bounced-claims")
    os.makedirs(os.path.join(claims, "forged.1.0"))
    open(os.path.join(claims, "forged.1.0.lock"), "w").close()
    os.symlink(outside, os.path.join(claims, "forged.1.0", "new"))
    own = h.deliver(maildir, h.copy_of(DSN, 1))
    run = ingest(db, maildir)
    tap.ok(run.returncode == 0, "forged claim: the run succeeds",
           "status %d\n%s" % (run.returncode, run.stderr))
    tap.ok(run.stderr.count("not recovering") == 1 and "symbolic link" in run.stderr,
           "forged claim: one log line saying why", run.stderr)
    tap.ok(untouched(outside, made), "forged claim: nothing outside moved",
           str(os.listdir(outside)))
    tap.ok(db.count() == 1 and any(n.startswith(own) for n in os.listdir(os.path.join(maildir, "cur"))),
           "forged claim: the Maildir's own message is stored and acknowledged",
           "%d rows, cur/ %s" % (db.count(), os.listdir(os.path.join(maildir, "cur"))))
    tap.ok(not any(n.startswith("outside-") for n in os.listdir(os.path.join(maildir, "new"))
                   + os.listdir(os.path.join(maildir, "cur"))),
           "forged claim: no outside file pulled in")


def case_claim_other_owner(tap, db, tmp):
    if not ROOT:
        tap.ok(True, "claim of another owner: skipped (needs root) # SKIP not root")
        return
    maildir = h.make_maildir(tmp)
    claims = os.path.join(maildir, "bounced-claims")
    foreign = os.path.join(claims, "foreign.1.0")
    os.makedirs(os.path.join(foreign, "new"))
    open(os.path.join(claims, "foreign.1.0.lock"), "w").close()
    planted = os.path.join(foreign, "new", "planted.eml")
    with open(planted, "wb") as f:
        f.write(h.copy_of(DSN, 2))
    for p in (foreign, os.path.join(foreign, "new")):
        shutil.chown(p, "nobody")
    run = ingest(db, maildir)
    tap.ok(run.returncode == 0 and "another user" in run.stderr and os.path.exists(planted)
           and db.count() == 0,
           "claim of another owner: not recovered, saying why",
           "status %d\n%s" % (run.returncode, run.stderr))


def case_not_regular(tap, db, tmp):
    outside, made = outside_dir(tmp, 1)
    maildir = h.make_maildir(tmp)
    new = os.path.join(maildir, "new")
    os.symlink(os.path.join(outside, "outside-0.eml"), os.path.join(new, "1.link.example"))
    os.mkfifo(os.path.join(new, "2.fifo.example"))
    os.mkdir(os.path.join(new, "3.dir.example"))
    h.deliver(maildir, h.copy_of(DSN, 3))
    run = ingest(db, maildir)
    tap.ok(run.returncode == 0, "link, FIFO, directory in new/: the run neither hangs nor fails",
           "status %d\n%s" % (run.returncode, run.stderr))
    for name, what in (("1.link.example", "a symbolic link"), ("2.fifo.example", "a FIFO"),
                       ("3.dir.example", "a directory")):
        line = [l for l in run.stderr.splitlines() if name in l]
        tap.ok(len(line) == 1 and what in line[0] and "skipping" in line[0],
               "%s in new/: named once in the log, with what it is" % what, run.stderr)
        tap.ok(os.path.lexists(os.path.join(new, name)), "%s in new/: left where it is" % what)
    tap.ok(db.count() == 1, "link, FIFO, directory in new/: only the message is stored",
           "%d rows" % db.count())
    tap.ok(untouched(outside, made), "the link's target is untouched")


def case_too_large(tap, db, tmp):
    maildir = h.make_maildir(tmp)
    name = h.deliver(maildir, b"")
    path = os.path.join(maildir, "new", name)
    size = 8 * 1024 ** 3
    try:
        os.truncate(path, size)          # sparse: 8 GiB of nothing on disk
    except OSError:
        size = 64 * 1024 ** 2
        os.truncate(path, size)
    run = ingest(db, maildir)
    source = os.path.join(maildir, "new", name)
    key = h.sha256(("too large\n%s\n%d" % (source, size)).encode())
    row = db.query("SELECT concat_ws('|', kind, size, sha256, error LIKE '%%exceeds the limit%%')"
                   " FROM bounce.messages").strip()
    tap.ok(run.returncode == 1, "a file past the size limit: status 1 (it failed)",
           "status %d\n%s" % (run.returncode, run.stderr))
    tap.ok(row == "error|%d|%s|t" % (size, key),
           "a file past the size limit: refused by its size, not read nor hashed", row)
    tap.ok([n for n in os.listdir(os.path.join(maildir, ".Failed", "new"))] == [name],
           "a file past the size limit: in the failed folder")


def case_long_name(tap, db, tmp):
    maildir = h.make_maildir(tmp)
    name = ("1764000000.M1P1Q1." + "x" * 255)[:255]
    with open(os.path.join(maildir, "tmp", name), "wb") as f:
        f.write(h.copy_of(DSN, 4))
    os.rename(os.path.join(maildir, "tmp", name), os.path.join(maildir, "new", name))
    first = ingest(db, maildir)
    cur = os.listdir(os.path.join(maildir, "cur"))
    tap.ok(first.returncode == 0 and len(cur) == 1 and cur[0].endswith(":2,S")
           and len(cur[0]) <= 255 and os.listdir(os.path.join(maildir, "new")) == [],
           "a 255-byte name: acknowledged under a shorter name",
           "status %d, cur/ %s\n%s" % (first.returncode, cur, first.stderr))
    tap.ok(name in first.stderr and cur[0] in first.stderr,
           "a 255-byte name: the rename is logged", first.stderr)
    second = ingest(db, maildir)
    tap.ok(second.returncode == 0 and db.count() == 1
           and os.listdir(os.path.join(maildir, "cur")) == cur,
           "a 255-byte name: not ingested again",
           "status %d\n%s%s" % (second.returncode, second.stdout, second.stderr))


def parse(args, as_nobody=False):
    cmd = [h.BOUNCED, "parse"] + args
    if as_nobody and ROOT:
        cmd = ["runuser", "-u", "nobody", "--"] + cmd
    return subprocess.run(cmd, capture_output=True, timeout=TIMEOUT)


def case_parse_walk(tap, tmp):
    top = os.path.join(tmp, "walk")
    os.makedirs(os.path.join(top, "a", "sub"))
    with open(os.path.join(top, "a", "one.eml"), "wb") as f:
        f.write(DSN)
    with open(os.path.join(top, "a", "sub", "two.eml"), "wb") as f:
        f.write(h.copy_of(DSN, 5))
    os.symlink("..", os.path.join(top, "a", "sub", "loop"))
    os.mkfifo(os.path.join(top, "a", "fifo"))
    with open(os.path.join(os.fsencode(top), b"a", b"caf\xe9-\xff.eml"), "wb") as f:
        f.write(h.copy_of(DSN, 6))
    if ROOT:
        os.chmod(tmp, 0o755)
        for dirpath, dirnames, filenames in os.walk(top):
            os.chmod(dirpath, 0o755)
    try:
        run = parse([top])
    except subprocess.TimeoutExpired:
        tap.ok(False, "parse: a FIFO does not hang the walk")
        return
    lines = run.stdout.splitlines()
    try:
        objects = [json.loads(l) for l in lines]
        valid = True
    except ValueError:
        objects, valid = [], False
    tap.ok(valid, "parse: valid JSON, a file name that is not UTF-8 included", run.stdout[:2000])
    sources = [o["source"] for o in objects]
    tap.ok(len(sources) == len(set(sources)) and len(sources) == 4,
           "parse: a symbolic link loop prints no message twice", "\n".join(sources))
    tap.ok(b"not following" in run.stderr and b"loop" in run.stderr,
           "parse: the link to a directory is named", run.stderr)
    fifo = [o for o in objects if o["source"].endswith("/fifo")]
    tap.ok(len(fifo) == 1 and fifo[0]["kind"] == "error" and "FIFO" in (fifo[0]["error"] or ""),
           "parse: a FIFO is an error object", str(fifo))
    odd = [o for o in objects if "caf" in o["source"]]
    tap.ok(len(odd) == 1 and "\ufffd" in odd[0]["source"] and odd[0]["kind"] == "dsn",
           "parse: the name that is not UTF-8 has U+FFFD for its bad bytes", str(odd))
    os.chmod(os.path.join(top, "a", "sub"), 0)
    run = parse([top], as_nobody=True)
    objects = [json.loads(l) for l in run.stdout.splitlines()]
    sub = [o for o in objects if o["source"].endswith("/a/sub")]
    tap.ok(run.returncode == 1 and len(sub) == 1 and sub[0]["kind"] == "error"
           and "Permission denied" in (sub[0]["error"] or ""),
           "parse: an unreadable subdirectory is an error object and status 1",
           "status %d\n%s" % (run.returncode, run.stdout.decode(errors="replace")))
    os.chmod(os.path.join(top, "a", "sub"), 0o755)


def case_disk_full(tap, db, tmp):
    maildir = h.make_maildir(tmp)
    made = h.generate(maildir, 30, seed=9)
    h.run_bounced(["migrate", "--db", db.conninfo()])
    db.query("""
        CREATE FUNCTION public.disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION 'could not extend file: No space left on device'
            USING ERRCODE = 'disk_full';
        END $$;
        CREATE TRIGGER disk_full BEFORE INSERT ON bounce.messages
          FOR EACH ROW EXECUTE FUNCTION public.disk_full();
    """)
    try:
        run = ingest(db, maildir, "--max-wait", "3", "--batch-size", "10")
    except subprocess.TimeoutExpired:
        tap.ok(False, "disk full: --max-wait fires")
        return
    tap.ok(run.returncode == 3, "disk full: --max-wait fires (status 3)",
           "status %d\n%s" % (run.returncode, run.stderr))
    tap.ok(run.stderr.count("database unavailable, will retry") == 1,
           "disk full: the outage is logged once", run.stderr)
    tap.ok("available again" not in run.stderr,
           "disk full: no recovery is claimed while nothing commits", run.stderr)
    tap.ok(db.count() == 0 and len(os.listdir(os.path.join(maildir, "new"))) == len(made),
           "disk full: nothing stored, every message back in new/",
           "%d rows, %d in new/" % (db.count(), len(os.listdir(os.path.join(maildir, "new")))))
    db.query("DROP TRIGGER disk_full ON bounce.messages")
    run = ingest(db, maildir)
    tap.ok(run.returncode == 0 and set(h.rows_by_sha(db)) == set(made),
           "disk freed: the next run stores every message",
           "status %d\n%s" % (run.returncode, run.stderr))


def case_disk_full_recovers(tap, db, tmp):
    maildir = h.make_maildir(tmp)
    n, batch, refused = 30, 10, 3
    made = h.generate(maildir, n, seed=10)
    h.run_bounced(["migrate", "--db", db.conninfo()])
    # A sequence is not rolled back with the transaction: the first row of
    # each of the first three attempts takes a number <= 3 and is refused.
    db.query("""
        CREATE SEQUENCE public.disk_budget;
        CREATE FUNCTION public.disk_full() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF nextval('public.disk_budget') <= %d THEN
            RAISE EXCEPTION 'could not extend file: No space left on device'
              USING ERRCODE = 'disk_full';
          END IF;
          RETURN NEW;
        END $$;
        CREATE TRIGGER disk_full BEFORE INSERT ON bounce.messages
          FOR EACH ROW EXECUTE FUNCTION public.disk_full();
    """ % refused)
    env = h.pg_env({"BOUNCED_DEBUG_COUNTERS": "1"})
    try:
        run = ingest(db, maildir, "--batch-size", str(batch), "-j", "2", env=env)
    except subprocess.TimeoutExpired:
        tap.ok(False, "disk full for three commits: the run ends")
        return
    counters = [l for l in run.stderr.splitlines() if "counters:" in l]
    want = "bounced ingest: counters: %d messages parsed, %d transactions tried, %d batches " \
           "committed" % (n, n // batch + refused, n // batch)
    tap.ok(run.returncode == 0 and set(h.rows_by_sha(db)) == set(made),
           "disk full for three commits: every message stored in the end",
           "status %d\n%s" % (run.returncode, run.stderr))
    tap.ok(counters == [want], "each message parsed once, each refused batch written again "
           "(%d batches + %d refused commits)" % (n // batch, refused),
           "want %s\n%s" % (want, run.stderr))
    tap.ok(run.stderr.count("database unavailable, will retry") == 1
           and run.stderr.count("database available again") == 1,
           "the outage and the recovery are logged once each", run.stderr)


def main():
    tap = h.Tap()
    top = tempfile.mkdtemp(prefix="test-hostile-")
    if ROOT:
        os.chmod(top, 0o755)   # the parse case runs as nobody too
    try:
        for case in (case_new_symlink, case_failed_symlink, case_forged_claim,
                     case_claim_other_owner, case_not_regular, case_too_large, case_long_name,
                     case_disk_full, case_disk_full_recovers):
            tmp = os.path.join(top, case.__name__)
            os.makedirs(tmp)
            db = h.Database(case.__name__.replace("case_", "")[:20])
            try:
                case(tap, db, tmp)
            finally:
                db.close()
        tmp = os.path.join(top, "parse")
        os.makedirs(tmp)
        case_parse_walk(tap, tmp)
    finally:
        for dirpath, dirnames, filenames in os.walk(top):
            for d in dirnames:
                try:
                    os.chmod(os.path.join(dirpath, d), 0o755, follow_symlinks=False)
                except (OSError, NotImplementedError):
                    pass
        shutil.rmtree(top, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
