#!/usr/bin/env python3
"""The database restarted in the middle of a run (DESIGN.md, "Maildir
protocol": database down, messages stay where they are, the worker retries
with backoff and logs once per state change).

On a PostgreSQL cluster of the test's own: 1,000 messages are ingested (the
schema exists), 2,000 more are delivered, and a second session takes an
exclusive lock on bounce.messages, so that the worker's next batch is
certainly in flight, waiting, when the server is restarted under it.  Then:
 1. the run completes with status 0;
 2. all 3,000 messages have one row and are in the folder of their kind;
 3. the worker logged the outage once and the recovery once.
"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ingest_helpers as h  # noqa: E402

FIRST, SECOND = 1000, 2000
WAIT_LIMIT = 60


def main():
    tap = h.Tap()
    tmp = tempfile.mkdtemp(prefix="test-ingest-restart-")
    cluster = None
    try:
        try:
            cluster = h.Cluster(tmp)
        except (subprocess.CalledProcessError, OSError) as e:
            tap.bail("could not start a PostgreSQL cluster: %s" % e)
        env = cluster.env()
        db = h.Database("restart", env)
        maildir = h.make_maildir(tmp)
        made = h.generate(maildir, FIRST, seed=1)
        run = h.run_bounced(["ingest", "--quiet", "--db", db.conninfo(), maildir], env=env)
        tap.ok(run.returncode == 0 and db.count() == FIRST, "a first run stores %d messages" % FIRST,
               run.stderr)

        made.update(h.generate(maildir, SECOND, seed=2, start=FIRST))
        # The month partitions of the rows the first run left in the default
        # partition, made now: at its start the worker would make them,
        # which waits on the lock below too, and the restart would then hit
        # that step instead of a batch.
        db.query("SELECT count(*) FROM bounce.prepare_outcome_months()")
        locker = subprocess.Popen(["psql", "-X", "-q", "-A", "-t", "-d", db.name],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, text=True, env=env)
        locker.stdin.write("BEGIN; LOCK TABLE bounce.messages IN ACCESS EXCLUSIVE MODE;"
                           " SELECT 'locked';\n")
        locker.stdin.flush()
        tap.ok(locker.stdout.readline().strip() == "locked", "a second session holds the lock")

        worker = subprocess.Popen([h.BOUNCED, "ingest", "--batch-size", "100", "--quiet",
                                   "--db", db.conninfo(), maildir],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=env)
        # Wait until the worker's batch is blocked on the lock: mid-run.
        deadline = time.monotonic() + WAIT_LIMIT
        blocked = False
        while time.monotonic() < deadline and worker.poll() is None:
            # (a batch's statement, not the partitions' step)
            waiting = db.query("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                               " AND wait_event_type = 'Lock'"
                               " AND query NOT LIKE '%outcome_months%'").strip()
            if waiting != "0":
                blocked = True
                break
            time.sleep(0.02)
        tap.ok(blocked, "the worker is mid-batch, waiting on the lock")

        cluster.stop("fast")
        cluster.start()
        try:
            out, err = worker.communicate(timeout=WAIT_LIMIT * 2)
        except subprocess.TimeoutExpired:
            worker.kill()
            out, err = worker.communicate()
        locker.kill()
        locker.wait()
        tap.ok(worker.returncode == 0, "the run completes with status 0",
               "status %s\n%s" % (worker.returncode, err))
        rows = h.rows_by_sha(db)
        tap.ok(set(rows) == set(made) and db.count() == FIRST + SECOND,
               "all %d messages have exactly one row" % (FIRST + SECOND),
               "%d rows, %d missing" % (db.count(), len(set(made) - set(rows))))
        where = h.inventory(maildir)
        bad = [sha[:12] for sha in made
               if len(where.get(sha, [])) != 1
               or h.folder_kind(where[sha][0]) != h.FOLDER_OF_KIND[rows.get(sha, {}).get("kind", "error")]]
        tap.ok(not bad and len(where) == FIRST + SECOND,
               "every file is in exactly one place, the folder of its kind",
               "%d misplaced, e.g. %s" % (len(bad), bad[:5]))
        lines = err.splitlines()
        down = [l for l in lines if "database unavailable" in l]
        up = [l for l in lines if "database available again" in l]
        tap.ok(len(down) == 1 and len(up) == 1,
               "the outage and the recovery are logged once each", err)
        db.close()
    finally:
        if cluster is not None:
            cluster.close()
        shutil.rmtree(tmp, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
