"""Monitoring the worker (TAP): sd_notify, the metrics file, progress.

 1. `bounced watch` under a notify socket that the test listens on: READY=1
    once it watches, STATUS= after the batches (messages stored, backlog),
    WATCHDOG=1 at half $WATCHDOG_USEC, STOPPING=1 on SIGTERM; an abstract
    socket ("@name") works the same.
 2. --metrics-file: the file parses as OpenMetrics (tests/openmetrics.py,
    strict), and its figures equal what the test counts in the database it
    filled: messages by kind, outcomes by reason group, parse failures,
    batches, backlog 0; the database retries of a run that cannot reach the
    database, and a last success of 0 then.
 3. `ingest --progress=bar` draws the bar and ends it.
"""
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from ingest_helpers import (Tap, BOUNCED, Database, make_maildir, generate, deliver,  # noqa: E402
                            pg_env)
import openmetrics  # noqa: E402

MESSAGES = 30


def listen(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path if not path.startswith("@") else "\0" + path[1:])
    return s


def receive_until(sock, want, deadline_s, log):
    """Reads datagrams into @log until want(log) or the deadline."""
    end = time.monotonic() + deadline_s
    while not want(log):
        left = end - time.monotonic()
        if left <= 0:
            return False
        r, _, _ = select.select([sock], [], [], left)
        if r:
            log.append(sock.recv(65536).decode())
    return True


def main():
    tap = Tap()
    tmp = tempfile.mkdtemp(prefix="bounced-monitor-")
    db = Database("monitor")
    workers = []
    try:
        md = make_maildir(tmp)
        generate(md, MESSAGES, seed=11)
        deliver(md, b"this is not a mail message at all\n")   # unparseable: .Failed
        metrics = os.path.join(tmp, "bounced.prom")
        sock_path = os.path.join(tmp, "notify.sock")
        sock = listen(sock_path)
        env = pg_env({"NOTIFY_SOCKET": sock_path, "WATCHDOG_USEC": "200000"})
        env.pop("WATCHDOG_PID", None)
        worker = subprocess.Popen([BOUNCED, "watch", "--db", db.conninfo(), "-b", "8",
                                   "--metrics-file", metrics, md],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  env=env)
        workers.append(worker)
        log = []
        total = MESSAGES + 1
        ready = receive_until(sock, lambda l: any("READY=1" in m for m in l), 60, log)
        tap.ok(ready, "READY=1 once the worker watches its Maildir", "\n".join(log))
        done = receive_until(sock, lambda l: any(("STATUS=%d messages stored" % total) in m
                                                 and "backlog 0" in m for m in l), 60, log)
        statuses = [m for m in log if m.startswith("STATUS=")]
        tap.ok(done and any("backlog 0" in m for m in statuses if "%d messages" % total in m),
               "STATUS= tells the messages stored and the backlog", "\n".join(statuses[-5:]))
        tap.ok(any("1 unparseable" in m for m in statuses), "STATUS= counts the unparseable",
               "\n".join(statuses[-3:]))
        before = sum(1 for m in log if m == "WATCHDOG=1")
        receive_until(sock, lambda l: sum(1 for m in l if m == "WATCHDOG=1") >= before + 3, 10, log)
        pings = sum(1 for m in log if m == "WATCHDOG=1")
        tap.ok(pings >= before + 3, "WATCHDOG=1 keeps coming at half $WATCHDOG_USEC",
               "%d pings" % pings)

        # The metrics file, against the database.
        with open(metrics) as f:
            text = f.read()
        try:
            fams = openmetrics.parse(text)
            tap.ok(True, "the metrics file parses as OpenMetrics")
        except ValueError as e:
            fams = {}
            tap.ok(False, "the metrics file parses as OpenMetrics", "%s\n%s" % (e, text))
        kinds = dict(l.split("|") for l in db.query(
            "SELECT kind || '|' || count(*) FROM bounce.messages GROUP BY kind").split())
        for kind in ("dsn", "legacy-bounce", "auto-reply", "feedback", "not-bounce", "error"):
            got = openmetrics.value(fams, "bounced_messages", "bounced_messages_total", kind=kind)
            tap.ok(got == int(kinds.get(kind, 0)),
                   "bounced_messages_total{kind=%s} is the database's %s" % (kind, kinds.get(kind, 0)),
                   "metrics say %s" % got)
        groups = dict(l.split("|") for l in db.query(
            "SELECT g || '|' || n FROM (SELECT coalesce(r.grp, 'unknown') AS g, count(*) AS n"
            " FROM bounce.recipient_outcomes o LEFT JOIN bounce.reasons r ON r.reason = o.reason"
            " GROUP BY 1) x").split())
        got_groups = {l["group"]: v for n, l, v in fams.get("bounced_outcomes", {"samples": []})["samples"]}
        tap.ok(got_groups == {g: float(c) for g, c in groups.items()},
               "bounced_outcomes_total by group is the database's", "%s != %s" % (got_groups, groups))
        tap.ok(openmetrics.value(fams, "bounced_failures", "bounced_failures_total", stage="parse") == 1,
               "one parse failure")
        batches = openmetrics.value(fams, "bounced_batch_duration_seconds",
                                    "bounced_batch_duration_seconds_count")
        tap.ok(batches is not None and batches >= (total + 7) // 8,
               "a batch duration for each batch of 8", "count %s" % batches)
        tap.ok(openmetrics.value(fams, "bounced_backlog_messages", maildir=md) == 0,
               "backlog 0 for the Maildir, by name")
        last = openmetrics.value(fams, "bounced_last_success_timestamp_seconds")
        tap.ok(last is not None and abs(time.time() - last) < 120, "the last success is now", last)
        tap.ok(os.stat(metrics).st_mode & 0o777 == 0o644, "the metrics file is mode 0644",
               oct(os.stat(metrics).st_mode))
        tap.ok(not [f for f in os.listdir(tmp) if f.startswith("bounced.prom.")],
               "no temporary file left beside it")

        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=60)
        receive_until(sock, lambda l: any(m.startswith("STOPPING=1") for m in l), 5, log)
        tap.ok(worker.returncode == 0 and any(m.startswith("STOPPING=1") for m in log),
               "STOPPING=1 on SIGTERM, then status 0", "%s %s" % (worker.returncode, err))
        sock.close()

        # An abstract socket, and a watchdog meant for another process.
        name = "@bounced-test-%d" % os.getpid()
        sock = listen(name)
        env = pg_env({"NOTIFY_SOCKET": name, "WATCHDOG_USEC": "100000", "WATCHDOG_PID": "1"})
        worker = subprocess.Popen([BOUNCED, "watch", "--db", db.conninfo(), md],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        workers.append(worker)
        log = []
        ready = receive_until(sock, lambda l: any("READY=1" in m for m in l), 60, log)
        receive_until(sock, lambda l: False, 0.5, log)
        worker.send_signal(signal.SIGTERM)
        worker.communicate(timeout=60)
        tap.ok(ready, "READY=1 through an abstract socket", "\n".join(log))
        tap.ok(not any(m == "WATCHDOG=1" for m in log),
               "no pings when $WATCHDOG_PID names another process")
        sock.close()

        # The database unreachable: retries counted, never a success.
        md2 = make_maildir(os.path.join(tmp, "two"))
        generate(md2, 3, seed=12)
        m2 = os.path.join(tmp, "down.prom")
        r = subprocess.run([BOUNCED, "ingest", "-q", "--db",
                            "host=/nonexistent-bounced-socket-dir port=1", "--max-wait", "1",
                            "--metrics-file", m2, md2], capture_output=True, text=True,
                           env=pg_env(), timeout=120)
        try:
            fams = openmetrics.parse(open(m2).read())
        except (ValueError, OSError) as e:
            fams = {}
            tap.diag(str(e))
        retries = openmetrics.value(fams, "bounced_database_retries", "bounced_database_retries_total")
        tap.ok(r.returncode == 3 and retries is not None and retries >= 2 and
               openmetrics.value(fams, "bounced_last_success_timestamp_seconds") == 0 and
               openmetrics.value(fams, "bounced_backlog_messages", maildir=md2) == 3,
               "database down: retries counted, last success 0, backlog 3",
               "status %d retries %s\n%s" % (r.returncode, retries, r.stderr))

        # Progress of ingest.
        md3 = make_maildir(os.path.join(tmp, "three"))
        generate(md3, 20, seed=13)
        r = subprocess.run([BOUNCED, "ingest", "--db", db.conninfo(), "--progress=bar", md3],
                           capture_output=True, text=True, env=pg_env(), timeout=120)
        tap.ok(r.returncode == 0 and "ingest [" in r.stderr and "20/20" in r.stderr
               and r.stderr.endswith("\n"), "ingest --progress=bar draws the bar to 20/20",
               repr(r.stderr[-300:]))
        r = subprocess.run([BOUNCED, "ingest", "--db", db.conninfo(), "--progress=sideways", md3],
                           capture_output=True, text=True, env=pg_env())
        tap.ok(r.returncode == 2 and 'invalid value of --progress: "sideways"' in r.stderr,
               "a bad --progress is refused", r.stderr)
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
                w.wait()
        db.close()
        shutil.rmtree(tmp, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
