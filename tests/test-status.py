"""`bounced status [MAILDIR...]` (TAP): what it says and its exit status.

0 healthy, 1 unhealthy (reasons printed), 2 bad usage, 3 the database
cannot be reached.  Each case sets up the state it checks: a fresh
database (every migration pending), mail waiting with no worker, a batch
stored, a last batch grown old, claims left by a dead worker, a running
worker.  Nothing in the Maildir changes under status.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from ingest_helpers import Tap, BOUNCED, Database, make_maildir, generate, inventory, pg_env  # noqa: E402


def status(db, *args):
    return subprocess.run([BOUNCED, "status", "--db", db.conninfo()] + list(args),
                          capture_output=True, text=True, env=pg_env(), timeout=120)


def main():
    tap = Tap()
    tmp = tempfile.mkdtemp(prefix="bounced-status-")
    db = Database("status")
    try:
        md = make_maildir(tmp)

        r = status(db)
        tap.ok(r.returncode == 1 and "migrations pending" in r.stdout and "bounced migrate" in r.stdout,
               "a fresh database: migrations pending, status 1", r.stdout + r.stderr)
        subprocess.run([BOUNCED, "migrate", "--db", db.conninfo()], capture_output=True, env=pg_env())
        r = status(db, md)
        tap.ok(r.returncode == 0 and "schema up to date" in r.stdout and "backlog: 0 messages" in r.stdout
               and "status: healthy" in r.stdout, "migrated, empty Maildir: healthy", r.stdout)

        generate(md, 5, seed=21)
        before = inventory(md)
        r = status(db, md)
        tap.ok(r.returncode == 1 and "backlog: 5 messages (new/ 5" in r.stdout
               and "5 messages waiting and no batch ever stored" in r.stdout,
               "mail waiting and nothing ever stored: unhealthy", r.stdout)
        tap.ok(inventory(md) == before and not os.path.exists(os.path.join(md, "bounced-claims")),
               "status changes nothing in the Maildir")

        r = subprocess.run([BOUNCED, "ingest", "-q", "--db", db.conninfo(), md], capture_output=True,
                           text=True, env=pg_env())
        r = status(db, md)
        tap.ok(r.returncode == 0 and "last batch: 5 messages at " in r.stdout and "backlog: 0" in r.stdout,
               "after ingest: the last batch, healthy", r.stdout)

        # The last batch an hour old, and mail waiting.
        generate(md, 2, seed=22, start=100)
        record = os.path.join(md, ".bounced-last-batch")
        with open(record) as f:
            fields = f.read().split()
        with open(record, "w") as f:
            f.write("%d %s %s\n" % (int(time.time()) - 3600, fields[1], fields[2]))
        r = status(db, md)
        tap.ok(r.returncode == 1 and re.search(r"2 messages waiting and the last batch is 36\d\d s old",
                                               r.stdout),
               "mail waiting and an old last batch: unhealthy", r.stdout)
        r = status(db, "--max-age", "7200", md)
        tap.ok(r.returncode == 0, "--max-age 7200 tolerates it", r.stdout)

        # Claims of a dead worker (its lock file free), no worker running.
        dead = os.path.join(md, "bounced-claims", "deadhost.1.0000abcd")
        os.makedirs(os.path.join(dead, "new"))
        os.makedirs(os.path.join(dead, "cur"))
        open(dead + ".lock", "w").close()
        name = sorted(os.listdir(os.path.join(md, "new")))[0]
        os.rename(os.path.join(md, "new", name), os.path.join(dead, "new", name))
        r = status(db, "--max-age", "7200", md)
        tap.ok(r.returncode == 1 and "1 left by stopped workers" in r.stdout
               and "no worker runs to return them" in r.stdout,
               "claims of a dead worker: unhealthy", r.stdout)

        # A running worker: counted; it returns the dead worker's claims.
        worker = subprocess.Popen([BOUNCED, "watch", "--db", db.conninfo(), md],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=pg_env())
        deadline = time.monotonic() + 60
        r = status(db, md)
        while time.monotonic() < deadline and not ("1 running" in r.stdout and "backlog: 0" in r.stdout):
            # Polling what the worker has done, not waiting for time to pass.
            r = status(db, md)
        worker.send_signal(signal.SIGTERM)
        try:
            worker.communicate(timeout=60)
        finally:
            if worker.poll() is None:
                worker.kill()
        tap.ok(r.returncode == 0 and "workers: 1 running" in r.stdout and "0 left by stopped" in r.stdout,
               "a running worker is counted, healthy", r.stdout)

        r = subprocess.run([BOUNCED, "status", "--db", "host=/nonexistent-bounced-socket-dir port=1", md],
                           capture_output=True, text=True, env=pg_env())
        tap.ok(r.returncode == 3 and "database: unreachable" in r.stdout, "database unreachable: status 3",
               r.stdout + r.stderr)
        r = subprocess.run([BOUNCED, "status", "--db", db.conninfo(), os.path.join(tmp, "nowhere")],
                           capture_output=True, text=True, env=pg_env())
        tap.ok(r.returncode == 2 and 'bounced status: could not open Maildir' in r.stderr,
               "a path that is not a directory: status 2", r.stderr)
        notmd = os.path.join(tmp, "plain")
        os.makedirs(notmd)
        r = status(db, notmd)
        tap.ok(r.returncode == 2 and 'bounced status: "%s" is not a Maildir' % notmd in r.stderr,
               "a directory that is not a Maildir: status 2", r.stdout + r.stderr)
        r = status(db, "--max-age", "-1")
        tap.ok(r.returncode == 2 and "invalid value of --max-age" in r.stderr, "a negative --max-age is refused",
               r.stderr)
    finally:
        db.close()
        shutil.rmtree(tmp, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
