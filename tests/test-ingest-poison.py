#!/usr/bin/env python3
"""A message the database refuses does not block the others (worker/ingest.c,
invariant 5).

A trigger on bounce.messages refuses, for one message only, any row that is
not an error report, the way a constraint or an index limit would.  Then:
 1. the run completes; its status is 1 (one message could not be stored);
 2. the other messages of the same batch are stored and acknowledged;
 3. the refused message has a messages row of kind error whose error names
    the database's reason, and is in the failed folder.
"""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ingest_helpers as h  # noqa: E402

MESSAGES = 50


def main():
    tap = h.Tap()
    tmp = tempfile.mkdtemp(prefix="test-ingest-poison-")
    db = h.Database("poison")
    try:
        maildir = h.make_maildir(tmp)
        made = h.generate(maildir, MESSAGES, seed=5)
        poison = sorted(made)[0]
        h.run_bounced(["migrate", "--db", db.conninfo()])
        db.query("""
            CREATE FUNCTION public.refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              IF NEW.sha256 = '%s' AND NEW.kind <> 'error' THEN
                RAISE EXCEPTION 'value refused by the test trigger';
              END IF;
              RETURN NEW;
            END $$;
            CREATE TRIGGER refuse_one BEFORE INSERT ON bounce.messages
              FOR EACH ROW EXECUTE FUNCTION public.refuse_one();
        """ % poison)
        run = h.run_bounced(["ingest", "--batch-size", "100", "--db", db.conninfo(), maildir])
        tap.ok(run.returncode == 1, "the run completes with status 1",
               "status %d\n%s%s" % (run.returncode, run.stdout, run.stderr))
        tap.ok("value refused by the test trigger" in run.stderr,
               "the refusal is logged", run.stderr)
        rows = h.rows_by_sha(db)
        tap.ok(set(rows) == set(made), "every message has a row",
               "%d rows for %d messages" % (len(rows), MESSAGES))
        tap.ok(rows.get(poison, {}).get("kind") == "error"
               and "value refused by the test trigger" in (rows[poison].get("error") or ""),
               "the refused message is stored as an error report with the reason",
               str(rows.get(poison)))
        where = h.inventory(maildir)
        tap.ok(where.get(poison) == [".Failed/new"], "the refused message is in the failed folder",
               str(where.get(poison)))
        others = [sha for sha in made if sha != poison]
        tap.ok(all(len(where.get(sha, [])) == 1
                   and h.folder_kind(where[sha][0]) == h.FOLDER_OF_KIND[rows[sha]["kind"]]
                   for sha in others),
               "the other messages of the batch are stored and acknowledged")
    finally:
        db.close()
        shutil.rmtree(tmp, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
