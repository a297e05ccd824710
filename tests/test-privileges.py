#!/usr/bin/env python3
"""Least privilege of bounced_ingest (sql/162_ingest_privileges.sql), read
from the catalog of a real server.

On a fresh database migrated by the server's superuser:
 1. every privilege bounced_ingest holds on every table, view and sequence
    of the schema is listed and compared with what ingest needs: read
    everything; insert and update messages, recipient_outcomes, recipients,
    send_counts; insert into suppression_log; nothing else, no DELETE or
    TRUNCATE anywhere.  A relation this test does not know fails it: a
    migration that adds one says here what the worker may do with it;
 2. bounced_ingest is no superuser, may not create roles or databases, may
    not create objects in the schema, and is a member of no such role;
 3. a login role that is only a member of bounced_ingest ingests a Maildir
    (every message stored), reprocesses it and suppresses an address: the
    grants are enough for the work; its session is not a superuser;
 4. that role may not change the policy, erase the suppression log, the
    migrations or the reasons, nor run a program through COPY.
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ingest_helpers as h  # noqa: E402

TABLE_PRIVILEGES = ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER")
READ = {"SELECT"}
WRITE = {"SELECT", "INSERT", "UPDATE"}
# What ingest (and reprocess, suppress, sends import) needs, per relation.
EXPECTED = {
    "messages": WRITE,
    "recipient_outcomes": WRITE,
    "recipients": WRITE,
    "send_counts": WRITE,
    "suppression_log": {"SELECT", "INSERT"},
    "policy": READ,
    "schema_migrations": READ,
    "reasons": READ,
    "providers": READ,
}
# Partitions of recipient_outcomes are written through it, read directly.
PARTITION_PREFIX = "recipient_outcomes_"


def expected_for(name, kind):
    if name in EXPECTED:
        return EXPECTED[name]
    if name.startswith(PARTITION_PREFIX) and kind == "r":
        return READ
    if kind in ("v", "m"):
        return READ
    return None


def main():
    tap = h.Tap()
    tmp = tempfile.mkdtemp(prefix="test-privileges-")
    db = h.Database("privileges")
    worker = "bounced_test_worker_%d" % os.getpid()
    try:
        run = h.run_bounced(["migrate", "--db", db.conninfo()])
        if run.returncode != 0:
            tap.bail("migrate failed: %s" % run.stderr)
        if db.query("SELECT count(*) FROM pg_roles WHERE rolname = 'bounced_ingest'").strip() != "1":
            tap.bail("the migrations did not create bounced_ingest (not run as a superuser?)")

        # 1. Every privilege on every relation of the schema.
        rows = db.query(
            "SELECT c.relname, c.relkind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'bounce' AND c.relkind IN ('r', 'p', 'v', 'm') ORDER BY 1")
        seen = 0
        for line in rows.splitlines():
            name, kind = line.split("|")
            held = {p for p in TABLE_PRIVILEGES
                    if db.query("SELECT has_table_privilege('bounced_ingest', 'bounce.%s', '%s')"
                                % (name, p)).strip() == "t"}
            want = expected_for(name, kind)
            seen += 1
            tap.ok(want is not None and held == want,
                   "bounce.%s: bounced_ingest may %s" % (name, ", ".join(sorted(held)) or "nothing"),
                   "expected %s (a relation unknown to this test says None: add it to EXPECTED)"
                   % (sorted(want) if want is not None else None))
        tap.ok(seen >= len(EXPECTED), "every table of the schema was listed", "%d relations" % seen)
        seqs = db.query(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = 'bounce' AND c.relkind = 'S' ORDER BY 1").split()
        for name in seqs:
            held = {p for p in ("USAGE", "SELECT", "UPDATE")
                    if db.query("SELECT has_sequence_privilege('bounced_ingest', 'bounce.%s', '%s')"
                                % (name, p)).strip() == "t"}
            tap.ok(held == {"USAGE", "SELECT"}, "sequence bounce.%s: USAGE and SELECT only" % name,
                   str(sorted(held)))

        # 2. The role itself.
        attrs = db.query("SELECT concat_ws('|', rolsuper, rolcreaterole, rolcreatedb, rolbypassrls,"
                         " rolreplication) FROM pg_roles WHERE rolname = 'bounced_ingest'").strip()
        tap.ok(attrs == "f|f|f|f|f", "bounced_ingest: no superuser, createrole, createdb, "
               "bypassrls or replication", attrs)
        strong = db.query(
            "SELECT count(*) FROM pg_roles r WHERE pg_has_role('bounced_ingest', r.oid, 'MEMBER')"
            " AND r.rolname <> 'bounced_ingest'"
            " AND (r.rolsuper OR r.rolcreaterole OR r.rolcreatedb OR r.rolname LIKE 'pg\\_%')").strip()
        tap.ok(strong == "0", "bounced_ingest is a member of no privileged role", strong)
        create = db.query("SELECT concat_ws('|', has_schema_privilege('bounced_ingest', 'bounce', 'CREATE'),"
                          " has_schema_privilege('bounced_ingest', 'bounce', 'USAGE'),"
                          " has_database_privilege('bounced_ingest', current_database(), 'CREATE'))").strip()
        tap.ok(create == "f|t|f", "bounced_ingest: uses the schema, creates nothing in it or the database",
               create)

        # 3. A login that is only bounced_ingest does the work.
        db.query('CREATE ROLE "%s" LOGIN IN ROLE bounced_ingest' % worker)
        conninfo = "%s user=%s" % (db.conninfo(), worker)
        maildir = h.make_maildir(tmp)
        made = h.generate(maildir, 40, seed=13)
        run = h.run_bounced(["ingest", "--db", conninfo, maildir])
        rows = h.rows_by_sha(db)
        tap.ok(run.returncode in (0, 1) and set(rows) == set(made),
               "a member of bounced_ingest ingests a Maildir: every message stored",
               "status %d, %d rows of %d\n%s" % (run.returncode, len(rows), len(made), run.stderr))
        run = h.run_bounced(["reprocess", "--db", conninfo, maildir])
        tap.ok(run.returncode in (0, 1) and "permission denied" not in run.stderr,
               "a member of bounced_ingest reprocesses", run.stderr)
        run = h.run_bounced(["suppress", "--db", conninfo, "--reason", "test", "someone@example.org"])
        tap.ok(run.returncode == 0, "a member of bounced_ingest suppresses an address", run.stderr)
        env = h.pg_env({"PGUSER": worker, "PGDATABASE": db.name})
        session = h.psql(db.name, "SELECT concat_ws('|', current_user, rolsuper) FROM pg_roles"
                         " WHERE rolname = current_user", env).strip()
        tap.ok(session == "%s|f" % worker, "the worker's session is not a superuser", session)

        # 4. What it may not do.
        for name, sql in (
                ("change the policy", "UPDATE bounce.policy SET soft_count = 1"),
                ("erase the suppression log", "DELETE FROM bounce.suppression_log"),
                ("rewrite the suppression log", "UPDATE bounce.suppression_log SET reason = 'x'"),
                ("erase the migrations", "DELETE FROM bounce.schema_migrations"),
                ("erase the reasons", "DELETE FROM bounce.reasons"),
                ("delete outcomes", "DELETE FROM bounce.recipient_outcomes"),
                ("truncate messages", "TRUNCATE bounce.messages CASCADE"),
                ("run a program", "COPY (SELECT 1) TO PROGRAM 'true'"),
                ("create a table in the schema", "CREATE TABLE bounce.x (a int)")):
            out = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db.name,
                                  "-c", sql], capture_output=True, text=True, env=env)
            tap.ok(out.returncode != 0 and ("permission denied" in out.stderr
                                            or "must be superuser" in out.stderr
                                            or "pg_execute_server_program" in out.stderr),
                   "a member of bounced_ingest may not %s" % name, out.stderr)
    finally:
        db.close()
        try:
            h.psql("postgres", 'DROP ROLE IF EXISTS "%s"' % worker)
        except RuntimeError:
            pass
        shutil.rmtree(tmp, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
