#!/usr/bin/env python3
"""Migration 175: event_time_source for the outcomes stored before 172
recorded it.  A database is brought to 174 from the migrations of sql/ (as
an older bounced left it), rows are written as an older ingest wrote them
(no source), then `bounced migrate` applies 175 and each row's source is
compared with the one the test derives itself from the row's own dates:
 1. the first of last attempt, arrival date, Date, ingest time that equals
    the event time names the source (in that order, the order ingest used);
 2. a row whose event time equals none of them says 'unknown';
 3. a row that has a source (stored since 172) keeps it;
 4. new rows may not say anything but the documented sources.
"""
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ingest_helpers as h  # noqa: E402

SQL = os.path.join(os.environ.get("BOUNCED_SRCDIR", os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..")), "sql")

BOOTSTRAP = """
CREATE SCHEMA IF NOT EXISTS bounce;
CREATE TABLE IF NOT EXISTS bounce.schema_migrations (
  version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now());
"""

T = {
    "la": "2026-10-01 10:00:00+00",
    "ar": "2026-10-01 09:00:00+00",
    "md": "2026-10-01 11:00:00+00",
    "in": "2026-10-05 12:00:00+00",
    "other": "2026-09-15 08:30:00+00",
}

# name: (last_attempt, arrival_date, message_date, event_time, stored source)
ROWS = {
    "last-attempt": ("la", "ar", "md", "la", None),
    "arrival": (None, "ar", "md", "ar", None),
    "arrival, an attempt date not used": ("la", "ar", "md", "ar", None),
    "date": (None, None, "md", "md", None),
    "ingest": (None, None, None, "in", None),
    "ingest, dates not used": ("la", None, "md", "in", None),
    "none equal": ("la", "ar", "md", "other", None),
    "no dates, not the ingest time": (None, None, None, "other", None),
    "recorded since 172": (None, None, None, "other", "maildir-name"),
}


def expected(la, ar, md, ev, src):
    """What the test derives from the row itself."""
    if src is not None:
        return src
    for value, name in ((la, "last-attempt"), (ar, "arrival-date"), (md, "message-date"),
                        ("in", "ingest")):
        if value is not None and value == ev:
            return name
    return "unknown"


def psql_raw(db, sql):
    return subprocess.run(["psql", "-X", "-q", "-A", "-t", "-d", db.name, "-c", sql],
                          capture_output=True, text=True, env=db.env)


def main():
    t = h.Tap()
    db = h.Database("etsback")
    try:
        files = sorted(f for f in os.listdir(SQL) if re.fullmatch(r"\d{3}_[a-z0-9_]+\.sql", f))
        old = [f for f in files if int(f[:3]) < 175]
        t.ok("175_event_time_source_backfill.sql" in files and old[-1].startswith("174"),
             "the migrations up to 174 are there", " ".join(files))
        db.query(BOOTSTRAP)
        for f in old:
            with open(os.path.join(SQL, f), encoding="utf-8") as fh:
                db.query(fh.read())
            db.query("INSERT INTO bounce.schema_migrations (version, name, checksum)"
                     " VALUES (%d, '%s', 'test')" % (int(f[:3]), f))
        names = sorted(ROWS)
        for i, name in enumerate(names):
            la, ar, md, ev, src = ROWS[name]

            def lit(k):
                return "NULL" if k is None else "'%s'::timestamptz" % T[k]
            sha = "%064x" % (i + 1)
            db.query("INSERT INTO bounce.messages (sha256, source, size, kind, arrival_date,"
                     " message_date, parser_version, classifier_version, ingested_at)"
                     " VALUES ('%s', 'test %d', 100, 'dsn', %s, %s, 'p', 'c', %s)"
                     % (sha, i, lit(ar), lit(md), lit("in")))
            db.query("INSERT INTO bounce.recipient_outcomes (message_id, ordinal, event_time,"
                     " recipient, recipient_domain, action, status, last_attempt, reason,"
                     " hard_bounce, kind, event_time_source)"
                     " SELECT id, 0, %s, 'r%d@example.org', 'example.org', 'failed', '5.1.1',"
                     " %s, 'userunknown', true, 'dsn', %s FROM bounce.messages"
                     " WHERE sha256 = '%s'"
                     % (lit(ev), i, lit(la), "NULL" if src is None else "'%s'" % src, sha))
        before = db.query("SELECT count(*) FROM bounce.recipient_outcomes"
                          " WHERE event_time_source IS NULL").strip()
        t.ok(before == str(sum(1 for r in ROWS.values() if r[4] is None)),
             "rows written as before 172: no source", before)

        r = h.run_bounced(["migrate", "--db", db.conninfo()])
        t.ok(r.returncode == 0, "bounced migrate applies 175 over 174", r.stdout + r.stderr)
        got = dict(l.split("|") for l in db.query(
            "SELECT o.recipient, o.event_time_source FROM bounce.recipient_outcomes o"
        ).strip().splitlines())
        for i, name in enumerate(names):
            want = expected(*ROWS[name])
            t.ok(got.get("r%d@example.org" % i) == want, "%s: %s" % (name, want),
                 "got %s" % got.get("r%d@example.org" % i))
        t.ok(list(got.values()).count("unknown") == 2, "two rows cannot be derived: unknown",
             str(got))
        rows = db.query("SELECT count(*) FROM bounce.recipient_outcomes"
                        " WHERE event_time_source IS NULL").strip()
        t.ok(rows == "0", "no row is left without a source", rows)
        r = psql_raw(db, "UPDATE bounce.recipient_outcomes SET event_time_source = 'guess'")
        t.ok(r.returncode != 0 and "check" in r.stderr.lower(),
             "a source outside the documented ones is refused", r.stderr)
        r = psql_raw(db, "UPDATE bounce.recipient_outcomes SET event_time_source = 'unknown'")
        t.ok(r.returncode == 0, "'unknown' is a documented source", r.stderr)
    finally:
        db.close()
    t.done()


if __name__ == "__main__":
    main()
