"""mbox files (RFC 4155) for parse, ingest and reprocess (TAP).

An mbox of 30 messages made from the fixtures (From_ lines, the empty line
between messages, a body line quoted as ">From "):
 1. parse prints 30 objects, "PATH#1".."PATH#30", each with the SHA-256 of
    the message's own bytes (what lies between its From_ line and the
    separating empty line);
 2. ingest stores the 30 once, parsed on two threads, each row with what
    parse says of its message (kind and recipients), and never changes the
    file (bytes, mode, mtime) nor puts anything beside it; each message is
    parsed once and each batch is one transaction (the debug counters);
 3. a second ingest stores none and parses none; messages appended later
    are the only ones stored (and parsed) by the next run;
 4. reprocess reads it as its messages; watch refuses it;
 5. a message over --max-message-size gets an error row, the run status 1;
 6. a file that is one message after its From_ line (LF or bare CR line
    ends) is that message, named by its path; a From_ line alone still
    gets its object.
"""
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from ingest_helpers import Tap, BOUNCED, Database, fixtures, copy_of, pg_env  # noqa: E402

N = 30


def mbox_entry(data):
    """The message as an mbox holds it: From_ line, ">From " quoting, the
    empty separator line; returns (entry bytes, the message's bytes)."""
    quoted = re.sub(rb"(?m)^(>*From )", rb">\1", data)
    if not quoted.endswith(b"\n"):
        quoted += b"\n"
    return b"From MAILER-DAEMON Mon Nov 23 10:00:00 2026\n" + quoted + b"\n", quoted


def main():
    tap = Tap()
    tmp = tempfile.mkdtemp(prefix="bounced-mbox-")
    db = Database("mbox")
    try:
        sources = [p for p, _ in fixtures() if not p.endswith((".cr.eml", ".crlf.eml"))]
        messages = []
        path = os.path.join(tmp, "bounces.mbox")
        with open(path, "wb") as f:
            for i in range(N):
                with open(sources[i * 7 % len(sources)], "rb") as src:
                    data = copy_of(src.read(), i)
                if i == 3:
                    data += b"\nFrom here on the body says From at the start of a line.\n"
                entry, msg = mbox_entry(data)
                f.write(entry)
                messages.append(msg)
        os.chmod(path, 0o444)
        before = (open(path, "rb").read(), os.stat(path).st_mtime_ns, os.stat(path).st_mode)
        hashes = [hashlib.sha256(m).hexdigest() for m in messages]

        # 1. parse
        r = subprocess.run([BOUNCED, "parse", path], capture_output=True, text=True)
        import json
        objs = [json.loads(l) for l in r.stdout.splitlines()]
        tap.ok(len(objs) == N, "parse prints one object per message (%d)" % N, "%d\n%s" % (len(objs), r.stderr))
        tap.ok([o["source"] for o in objs] == ["%s#%d" % (path, i + 1) for i in range(N)],
               "sources are PATH#1 .. PATH#%d, in order" % N)
        tap.ok([o["sha256"] for o in objs] == hashes,
               "each hash is that of the message's own bytes",
               "\n".join("%d %s %s" % (i, a, b) for i, (a, b) in
                         enumerate(zip([o["sha256"] for o in objs], hashes)) if a != b))
        tap.ok(r.returncode == (1 if any(o["kind"] == "error" for o in objs) else 0)
               and all(o["kind"] != "error" for o in objs), "no message reads as an error, status 0",
               [o["error"] for o in objs if o["kind"] == "error"])
        r = subprocess.run([BOUNCED, "parse", "-ftable", path], capture_output=True, text=True)
        tap.ok(r.returncode == 0 and "%s#%d" % (path, N) in r.stdout, "the table names each message")

        # 2. ingest
        counting = pg_env({"BOUNCED_DEBUG_COUNTERS": "1"})
        r = subprocess.run([BOUNCED, "ingest", "--db", db.conninfo(), "-b", "7", "-j", "2", path],
                           capture_output=True, text=True, env=counting)
        stored = db.query("SELECT sha256 || ' ' || source FROM bounce.messages ORDER BY id").split("\n")
        stored = [l.split(" ", 1) for l in stored if l]
        tap.ok(r.returncode == 0 and "%s: %d messages read, %d stored, 0 stored before" % (path, N, N) in r.stdout,
               "ingest stores the %d messages" % N, r.stdout + r.stderr)
        tap.ok(sorted(h for h, _ in stored) == sorted(hashes) and
               sorted(s for _, s in stored) == sorted("%s#%d" % (path, i + 1) for i in range(N)),
               "one row per message, its hash and source PATH#N")
        batches = (N + 6) // 7
        tap.ok("counters: %d messages parsed, %d transactions tried, %d batches committed"
               % (N, batches, batches) in r.stderr,
               "each message parsed once, one transaction per batch of 7", r.stderr)
        by_sha = {o["sha256"]: (o["kind"], [x["recipient"] for x in o["recipients"]])
                  for o in objs}
        rows = db.json("SELECT json_object_agg(m.sha256, json_build_array(m.kind,"
                       " (SELECT coalesce(json_agg(o.recipient ORDER BY o.ordinal), '[]')"
                       "    FROM bounce.recipient_outcomes o WHERE o.message_id = m.id)))"
                       " FROM bounce.messages m")
        wrong = [h for h in hashes if tuple(rows.get(h, [None, None])) != by_sha[h]]
        tap.ok(not wrong, "each row holds what parse says of its own message", wrong)
        after = (open(path, "rb").read(), os.stat(path).st_mtime_ns, os.stat(path).st_mode)
        tap.ok(after == before and sorted(os.listdir(tmp)) == ["bounces.mbox"],
               "the mbox is unchanged and nothing is made beside it")
        outcomes = db.count("bounce.recipient_outcomes")

        # 3. again: nothing
        r = subprocess.run([BOUNCED, "ingest", "--db", db.conninfo(), path], capture_output=True,
                           text=True, env=counting)
        tap.ok(r.returncode == 0 and "%d messages read, 0 stored, %d stored before" % (N, N) in r.stdout
               and "0 new, 0 already stored, 0 failed" in r.stdout, "a second run stores none", r.stdout + r.stderr)
        tap.ok("counters: 0 messages parsed, 0 transactions tried" in r.stderr,
               "and parses none", r.stderr)
        tap.ok(db.count() == N and db.count("bounce.recipient_outcomes") == outcomes,
               "no row added by the second run")
        os.chmod(path, 0o644)
        with open(path, "ab") as f:
            for i in range(N, N + 2):
                with open(sources[i % len(sources)], "rb") as src:
                    entry, msg = mbox_entry(copy_of(src.read(), i))
                f.write(entry)
        r = subprocess.run([BOUNCED, "ingest", "--db", db.conninfo(), path], capture_output=True,
                           text=True, env=counting)
        tap.ok(r.returncode == 0 and "%d messages read, 2 stored, %d stored before" % (N + 2, N) in r.stdout
               and db.count() == N + 2 and "counters: 2 messages parsed" in r.stderr,
               "messages appended later are the only ones stored and parsed", r.stdout + r.stderr)

        # 4. reprocess, watch
        r = subprocess.run([BOUNCED, "reprocess", "-q", "--db", db.conninfo(), path],
                           capture_output=True, text=True, env=pg_env())
        tap.ok(r.returncode == 0 and "1 files: %d messages read, %d stored before, 0 never ingested" % (N + 2, N + 2)
               in r.stdout and "messages: 0 changed" in r.stdout, "reprocess reads the mbox as its messages",
               r.stdout + r.stderr)
        r = subprocess.run([BOUNCED, "watch", "--db", db.conninfo(), path], capture_output=True,
                           text=True, env=pg_env())
        tap.ok(r.returncode == 2 and "is an mbox, which watch does not follow" in r.stderr,
               "watch refuses an mbox", r.stderr)

        # 5. a message over the limit
        big = os.path.join(tmp, "big.mbox")
        with open(big, "wb") as f:
            f.write(mbox_entry(copy_of(open(sources[0], "rb").read(), 900))[0])
            f.write(mbox_entry(copy_of(open(sources[1], "rb").read(), 901) + b"x" * 5000)[0])
        r = subprocess.run([BOUNCED, "ingest", "--db", db.conninfo(), "--max-message-size", "4000", big],
                           capture_output=True, text=True, env=pg_env())
        err = db.query("SELECT error FROM bounce.messages WHERE source = '%s#2'" % big).strip()
        tap.ok(r.returncode == 1 and "exceeds the limit of 4000 bytes" in err and
               db.count() == N + 4, "a message over the limit: its error row, status 1",
               "%d %s %s" % (r.returncode, err, r.stderr))

        # 6. files that start with "From " but are one message, as mail
        #    readers save them: named by their path, never dropped unseen.
        import json
        msg = open(sources[0], "rb").read()
        one = os.path.join(tmp, "saved.eml")
        with open(one, "wb") as f:
            f.write(mbox_entry(msg)[0])
        cr = os.path.join(tmp, "saved-cr.eml")
        with open(cr, "wb") as f:
            f.write((b"From MAILER-DAEMON Mon Nov 23 10:00:00 2026\n" + msg).replace(b"\r\n", b"\n")
                    .replace(b"\n", b"\r"))
        empty = os.path.join(tmp, "empty.mbox")
        with open(empty, "wb") as f:
            f.write(b"From MAILER-DAEMON Mon Nov 23 10:00:00 2026\n")
        r = subprocess.run([BOUNCED, "parse", one], capture_output=True, text=True)
        objs = [json.loads(l) for l in r.stdout.splitlines()]
        tap.ok(len(objs) == 1 and objs[0]["source"] == one and objs[0]["kind"] != "error",
               "a message saved with its From_ line is one object named by its path", r.stdout[:300])
        expected = subprocess.run([BOUNCED, "parse", sources[0]], capture_output=True, text=True)
        want = [x["recipient"] for x in json.loads(expected.stdout)["recipients"]]
        r = subprocess.run([BOUNCED, "parse", cr], capture_output=True, text=True)
        objs = [json.loads(l) for l in r.stdout.splitlines()]
        tap.ok(len(objs) == 1 and objs[0]["source"] == cr
               and [x["recipient"] for x in objs[0]["recipients"]] == want,
               "a message with bare CR line ends after a From_ line is read as the message",
               r.stdout[:300])
        r = subprocess.run([BOUNCED, "parse", empty], capture_output=True, text=True)
        objs = [json.loads(l) for l in r.stdout.splitlines()]
        tap.ok(len(objs) == 1 and objs[0]["source"] == empty and r.returncode in (0, 1),
               "a From_ line and nothing after it still gets its object", r.stdout[:300])
    finally:
        db.close()
        shutil.rmtree(tmp, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
