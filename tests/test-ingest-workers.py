#!/usr/bin/env python3
"""Several workers on one Maildir (DESIGN.md, "Maildir protocol": claim by
rename, ENOENT means another worker has it).  Two, then four `bounced ingest`
processes run at once over one Maildir of 5,000 messages; then
 1. every message has exactly one messages row;
 2. every file is in exactly one place, the folder of its kind;
 3. the workers' own counts add up to 5,000: no message was processed by two
    workers (each was claimed once).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ingest_helpers as h  # noqa: E402

MESSAGES = 5000


def one_round(tap, workers):
    tmp = tempfile.mkdtemp(prefix="test-ingest-workers-")
    db = h.Database("workers%d" % workers)
    try:
        maildir = h.make_maildir(tmp)
        made = h.generate(maildir, MESSAGES, seed=workers)
        # Create the schema first, so that the workers race on mail, not on
        # the (separately tested) migration lock.
        h.run_bounced(["migrate", "--db", db.conninfo()])
        procs = [subprocess.Popen([h.BOUNCED, "ingest", "--batch-size", "100", "-j", "1",
                                   "--db", db.conninfo(), maildir],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(workers)]
        outputs = [p.communicate() for p in procs]
        statuses = [p.returncode for p in procs]
        tap.ok(all(s == 0 for s in statuses), "%d workers exit with status 0" % workers,
               "\n".join("status %d: %s %s" % (s, o, e) for s, (o, e) in zip(statuses, outputs)))
        counts = []
        for out, _ in outputs:
            m = re.match(r"(\d+) new, (\d+) already stored, (\d+) failed", out)
            counts.append(sum(int(g) for g in m.groups()) if m else -1)
        tap.ok(sum(counts) == MESSAGES,
               "%d workers: their counts add up to %d (each message claimed once)"
               % (workers, MESSAGES), "counts %s" % counts)
        rows = h.rows_by_sha(db)
        tap.ok(len(rows) == MESSAGES and set(rows) == set(made),
               "%d workers: one messages row per message" % workers,
               "%d rows for %d messages" % (len(rows), MESSAGES))
        where = h.inventory(maildir)
        bad = [(sha, where.get(sha)) for sha in made
               if len(where.get(sha, [])) != 1
               or h.folder_kind(where[sha][0]) != h.FOLDER_OF_KIND[rows.get(sha, {}).get("kind", "error")]]
        tap.ok(not bad and len(where) == MESSAGES,
               "%d workers: every file in exactly one place, the folder of its kind" % workers,
               "%d misplaced, e.g. %s" % (len(bad), bad[:5]))
    finally:
        db.close()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    tap = h.Tap()
    for workers in (2, 4):
        one_round(tap, workers)
    tap.done()


if __name__ == "__main__":
    main()
