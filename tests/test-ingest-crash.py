#!/usr/bin/env python3
"""Crash safety (worker/maildir.c, invariants 1-4; worker/ingest.c, 1-2).

A clean run ingests 2,000 messages into its own Maildir and database: the
reference.  Then the same 2,000 messages go into a second Maildir, 100 per
round; each round starts `bounced ingest` and kills it with SIGKILL at a
random moment of its run; 20 rounds, then one run that is left to finish.
Proofs:
 1. every input file is in exactly one place in the Maildir, and it is the
    folder the clean run put it in (nothing lost, nothing duplicated, no
    claim left behind);
 2. every input has exactly one messages row;
 3. kinds and recipient outcomes are those of the clean run.
"""
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ingest_helpers as h  # noqa: E402

MESSAGES = 2000
ROUNDS = 20
# Small batches and one parse thread stretch each run over many commits, so
# that a kill can land anywhere: mid-claim, mid-parse, mid-COPY, between
# COMMIT and the renames of the acknowledgement.
ARGS = ["ingest", "--batch-size", "10", "-j", "1", "--quiet"]


def contents():
    sources = [p for p, _ in h.fixtures() if not p.endswith((".cr.eml", ".crlf.eml"))]
    rng = random.Random(2026)
    out = []
    for i in range(MESSAGES):
        with open(rng.choice(sources), "rb") as f:
            out.append(h.copy_of(f.read(), i))
    return out


def final_places(maildir):
    return {sha: [h.folder_kind(p) or p for p in places]
            for sha, places in h.inventory(maildir).items()}


def main():
    tap = h.Tap()
    rng = random.Random(int(os.environ.get("BOUNCED_TEST_SEED", time.time())))
    tmp = tempfile.mkdtemp(prefix="test-ingest-crash-")
    clean_db = h.Database("crash_clean")
    db = h.Database("crash")
    try:
        data = contents()
        shas = {h.sha256(d) for d in data}

        # The reference: one clean run.
        clean_dir = h.make_maildir(os.path.join(tmp, "clean"))
        for d in data:
            h.deliver(clean_dir, d)
        h.run_bounced(["migrate", "--db", clean_db.conninfo()])
        start = time.monotonic()
        run = h.run_bounced(ARGS + ["--db", clean_db.conninfo(), clean_dir])
        clean_seconds = time.monotonic() - start
        if run.returncode not in (0, 1):
            tap.bail("clean run failed: %s" % run.stderr)
        clean_rows = h.rows_by_sha(clean_db)
        clean_places = final_places(clean_dir)
        tap.ok(len(clean_rows) == MESSAGES, "the clean run stores %d messages" % MESSAGES)

        # The crashing runs.
        maildir = h.make_maildir(os.path.join(tmp, "crash"))
        h.run_bounced(["migrate", "--db", db.conninfo()])
        per_round = MESSAGES // ROUNDS
        # A round's run lasts about a twentieth of the clean run, plus start-up.
        window = clean_seconds / ROUNDS * 1.5 + 0.05
        killed_running = 0
        for r in range(ROUNDS):
            for d in data[r * per_round:(r + 1) * per_round]:
                h.deliver(maildir, d)
            proc = subprocess.Popen([h.BOUNCED] + ARGS + ["--db", db.conninfo(), maildir],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            time.sleep(rng.uniform(0, window))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            if proc.returncode == -signal.SIGKILL:
                killed_running += 1
            proc.stderr.close()
        tap.diag("%d of %d runs were killed while running (window %.3f s)"
                 % (killed_running, ROUNDS, window))
        tap.ok(killed_running >= ROUNDS // 4,
               "most runs were killed mid-way (the test exercised crashes)",
               "only %d of %d" % (killed_running, ROUNDS))
        run = h.run_bounced(ARGS + ["--db", db.conninfo(), maildir])
        tap.ok(run.returncode in (0, 1), "a last run finishes", run.stderr)

        # 1. every input file in exactly one place, the clean run's folder
        places = final_places(maildir)
        extra = set(places) - shas
        wrong = [(sha[:12], places.get(sha), clean_places.get(sha)) for sha in shas
                 if places.get(sha) != clean_places.get(sha) or len(places.get(sha, [])) != 1]
        tap.ok(not wrong and not extra,
               "every input file is in exactly one folder, the one of the clean run",
               "%d wrong, %d unknown; e.g. %s" % (len(wrong), len(extra), wrong[:5]))
        claims = os.path.join(maildir, "bounced-claims")
        left = os.listdir(claims) if os.path.isdir(claims) else []
        tap.ok(not left, "no claim directory is left", str(left))

        # 2. exactly one messages row per input
        rows = h.rows_by_sha(db)
        tap.ok(set(rows) == shas and db.count() == MESSAGES,
               "every input has exactly one messages row",
               "%d rows, %d inputs, %d missing" % (db.count(), MESSAGES, len(shas - set(rows))))

        # 3. outcomes match the clean run
        differ = [sha[:12] for sha in shas if rows.get(sha) != clean_rows.get(sha)]
        tap.ok(not differ, "kinds and recipient outcomes match the clean run",
               "%d differ, e.g. %s" % (len(differ), differ[:5]))
        tap.ok(db.count("bounce.recipient_outcomes") == clean_db.count("bounce.recipient_outcomes"),
               "as many recipient outcomes as the clean run")
    finally:
        clean_db.close()
        db.close()
        shutil.rmtree(tmp, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
