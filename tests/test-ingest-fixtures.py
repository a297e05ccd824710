#!/usr/bin/env python3
"""Ingest of the fixtures: every fixture message goes into a fresh Maildir,
`bounced ingest` stores it; then
 1. the rows of bounce.messages and bounce.recipient_outcomes match the
    fixture's expected JSON (the keys it names);
 2. every file ends in the folder its kind asks for (DESIGN.md, "Maildir
    protocol"), and nowhere else;
 3. a second run changes nothing, neither in the database nor in the Maildir;
 4. the same messages delivered again are stored once (content hash).
"""
import datetime
import json
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ingest_helpers as h  # noqa: E402

TIME_KEYS = {"arrival_date", "message_date", "last_attempt", "will_retry_until"}
# Keys of the expected JSON that are not columns (the contract's extras).
NOT_COLUMNS = {"extensions", "classifier_version", "source", "sha256"}


def same_value(key, expected, actual):
    if key in TIME_KEYS and expected is not None and actual is not None:
        try:
            return (datetime.datetime.fromisoformat(expected)
                    == datetime.datetime.fromisoformat(actual))
        except ValueError:
            return False
    return expected == actual


def compare(expected, message, outcomes):
    """List of differences between a fixture's expected JSON and its rows."""
    diffs = []
    for key, value in expected.items():
        if key in NOT_COLUMNS:
            continue
        if key == "original":
            for sub, v in value.items():
                column = "campaign" if sub == "campaign" else "original_" + sub
                if column in message and not same_value(sub, v, message[column]):
                    diffs.append("%s: expected %r, stored %r" % (column, v, message[column]))
            continue
        if key == "recipients":
            if len(value) != len(outcomes):
                diffs.append("recipients: expected %d, stored %d" % (len(value), len(outcomes)))
                continue
            for i, (exp, row) in enumerate(zip(value, outcomes)):
                for k, v in exp.items():
                    if k in NOT_COLUMNS or k not in row:
                        continue
                    if not same_value(k, v, row[k]):
                        diffs.append("recipients[%d].%s: expected %r, stored %r" % (i, k, v, row[k]))
            continue
        if key not in message:
            continue
        if not same_value(key, value, message[key]):
            diffs.append("%s: expected %r, stored %r" % (key, value, message[key]))
    return diffs


def main():
    tap = h.Tap()
    tmp = tempfile.mkdtemp(prefix="test-ingest-fixtures-")
    db = h.Database("fixtures")
    try:
        maildir = h.make_maildir(tmp)
        cases = h.fixtures()
        if not cases:
            tap.bail("no fixtures found under %s" % h.FIXTURES)
        by_sha = {}
        for eml, expected in cases:
            with open(eml, "rb") as f:
                data = f.read()
            sha = h.sha256(data)
            # Several fixtures may share content (line-end variants differ).
            if sha in by_sha:
                continue
            with open(expected) as f:
                by_sha[sha] = (os.path.relpath(eml, h.FIXTURES), json.load(f))
            h.deliver(maildir, data)

        run = h.run_bounced(["ingest", "--db", db.conninfo(), maildir])
        tap.ok(run.returncode in (0, 1) and " failed in " in run.stdout,
               "bounced ingest ran over %d fixtures" % len(by_sha),
               "status %d\n%s\n%s" % (run.returncode, run.stdout, run.stderr))
        messages = db.json("SELECT coalesce(json_object_agg(sha256, row_to_json(m)), '{}')"
                           " FROM bounce.messages m")
        outcomes = db.json(
            "SELECT coalesce(json_object_agg(m.sha256, (SELECT coalesce(json_agg(row_to_json(o)"
            " ORDER BY o.ordinal), '[]') FROM bounce.recipient_outcomes o"
            " WHERE o.message_id = m.id)), '{}') FROM bounce.messages m")
        tap.ok(len(messages) == len(by_sha), "one messages row per fixture",
               "%d rows for %d fixtures" % (len(messages), len(by_sha)))

        # 1. rows match the expected JSON
        for sha, (name, expected) in sorted(by_sha.items(), key=lambda kv: kv[1][0]):
            if sha not in messages:
                tap.ok(False, "rows of %s" % name, "no messages row")
                continue
            diffs = compare(expected, messages[sha], outcomes.get(sha, []))
            tap.ok(not diffs, "rows of %s match its expected JSON" % name, "\n".join(diffs))

        # 2. folders
        where = h.inventory(maildir)
        misplaced = []
        for sha, (name, expected) in by_sha.items():
            places = where.get(sha, [])
            want = h.FOLDER_OF_KIND[expected.get("kind", messages.get(sha, {}).get("kind"))]
            if len(places) != 1 or h.folder_kind(places[0]) != want:
                misplaced.append("%s (%s): in %s, expected %s" % (name, expected.get("kind"),
                                                                 places, want))
        tap.ok(not misplaced, "every file is in exactly one place, the folder of its kind",
               "\n".join(misplaced))
        seen = [fn for fn in os.listdir(os.path.join(maildir, "cur"))]
        tap.ok(all(fn.endswith((":2,S",)) or ":2," in fn and "S" in fn.split(":2,")[1]
                   for fn in seen),
               "bounces in cur/ carry the S flag", "\n".join(seen))
        tap.ok(not os.listdir(os.path.join(maildir, "new")), "new/ is empty")
        tap.ok(not os.path.exists(os.path.join(maildir, "bounced-claims"))
               or not any(os.listdir(os.path.join(maildir, "bounced-claims"))),
               "no claim directory is left behind")
        failed_rows = db.json("SELECT coalesce(json_agg(sha256), '[]') FROM bounce.messages"
                              " WHERE kind = 'error' AND error IS NULL")
        tap.ok(not failed_rows, "unparseable messages have their error in the row")

        # 3. a second run changes nothing
        before_files = sorted((k, tuple(v)) for k, v in h.inventory(maildir).items())
        before_rows = db.json("SELECT json_agg(row_to_json(m) ORDER BY id) FROM bounce.messages m")
        before_outcomes = db.count("bounce.recipient_outcomes")
        run2 = h.run_bounced(["ingest", "--db", db.conninfo(), maildir])
        tap.ok(run2.returncode == 0 and run2.stdout.startswith("0 new, 0 already stored, 0 failed"),
               "a second run finds nothing to do", run2.stdout + run2.stderr)
        tap.ok(sorted((k, tuple(v)) for k, v in h.inventory(maildir).items()) == before_files,
               "a second run moves no file")
        tap.ok(db.json("SELECT json_agg(row_to_json(m) ORDER BY id) FROM bounce.messages m")
               == before_rows and db.count("bounce.recipient_outcomes") == before_outcomes,
               "a second run changes no row")

        # 4. the same messages again: stored once
        for sha, (name, _) in by_sha.items():
            with open(os.path.join(h.FIXTURES, name), "rb") as f:
                h.deliver(maildir, f.read())
        run3 = h.run_bounced(["ingest", "--db", db.conninfo(), maildir])
        # (the rows now name where the second copies are: source aside)
        strip = lambda rows: [dict(r, source=None) for r in rows or []]
        tap.ok(strip(db.json("SELECT json_agg(row_to_json(m) ORDER BY id) FROM bounce.messages m"))
               == strip(before_rows) and db.count("bounce.recipient_outcomes") == before_outcomes,
               "messages delivered twice are stored once", run3.stderr)
        tap.ok(not os.listdir(os.path.join(maildir, "new")),
               "messages delivered twice are acknowledged again")
    finally:
        db.close()
        shutil.rmtree(tmp, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
