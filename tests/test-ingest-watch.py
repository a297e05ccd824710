#!/usr/bin/env python3
"""Watch mode: `bounced watch` with the periodic rescan pushed out to an
hour, so that only the file monitor (inotify) can bring new mail in:
 1. mail already in new/ at start is stored;
 2. each message delivered into new/ while it runs reaches the database
    and is acknowledged (the latency is printed; speed is measured by the
    benchmarks, not asserted here);
 3. SIGTERM stops it with status 0, leaving no claim behind.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ingest_helpers as h  # noqa: E402

# How long to wait for a condition before calling it failed (not a speed
# requirement: with the rescan an hour away, only an event can meet it).
PATIENCE = 20


def wait_for(cond):
    return h.wait_for(cond, PATIENCE)


def main():
    tap = h.Tap()
    tmp = tempfile.mkdtemp(prefix="test-ingest-watch-")
    db = h.Database("watch")
    proc = None
    try:
        maildir = h.make_maildir(tmp)
        sources = [p for p, _ in h.fixtures() if "/dsn/" in p]
        with open(sources[0], "rb") as f:
            template = f.read()
        first = h.copy_of(template, 0)
        h.deliver(maildir, first)
        h.run_bounced(["migrate", "--db", db.conninfo()])

        proc = subprocess.Popen([h.BOUNCED, "watch", "--rescan-interval", "3600",
                                 "--db", db.conninfo(), maildir],
                                stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        lines = []
        ready = threading.Event()

        def read_log():
            for line in proc.stderr:
                lines.append(line)
                if "watching" in line:
                    ready.set()
        reader = threading.Thread(target=read_log, daemon=True)
        reader.start()
        tap.ok(ready.wait(PATIENCE), "bounced watch starts", "".join(lines))

        def stored(sha):
            return db.query("SELECT count(*) FROM bounce.messages WHERE sha256 = '%s'"
                            % sha).strip() == "1"

        tap.ok(wait_for(lambda: stored(h.sha256(first))), "mail present at start is stored")

        for i in range(1, 4):
            data = h.copy_of(template, i)
            sha = h.sha256(data)
            t0 = time.monotonic()
            h.deliver(maildir, data)
            arrived = wait_for(lambda: stored(sha))
            latency = time.monotonic() - t0
            tap.ok(arrived, "message %d written into new/ is in the database" % i)
            tap.diag("message %d: in the database %.3f s after delivery" % (i, latency))
            tap.ok(wait_for(lambda: h.inventory(maildir).get(sha) == ["cur"]),
                   "message %d is acknowledged into cur/" % i, str(h.inventory(maildir).get(sha)))

        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=PATIENCE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        reader.join(timeout=5)
        tap.ok(proc.returncode == 0, "SIGTERM stops it with status 0",
               "status %s\n%s" % (proc.returncode, "".join(lines)))
        claims = os.path.join(maildir, "bounced-claims")
        tap.ok(not os.path.isdir(claims) or not os.listdir(claims), "no claim is left behind")
        tap.ok(db.count() == 4, "four messages stored")
        proc = None
    finally:
        if proc is not None:
            proc.kill()
            proc.wait()
        db.close()
        shutil.rmtree(tmp, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
