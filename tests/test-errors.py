"""Every error path of the command line: its message and its exit status (TAP).

bounced(1), EXIT STATUS: 0 done, 1 some input or the run failed, 2 bad usage
or configuration, 3 the database could not be reached.  Every message
starts with "bounced COMMAND: ", names the file, option or value, and the
usage errors point at --help.  Run against the throwaway server of
tests/with-postgres (the PG* variables), which the case of a server that
refuses the connection settings needs.
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from ingest_helpers import Tap, BOUNCED, FIXTURES, make_maildir, pg_env  # noqa: E402

# A socket directory with no server: unreachable at once, no timeout.
NO_SERVER = "host=/nonexistent-bounced-socket-dir port=1 dbname=x"


def no_db_env(extra=None):
    """The environment with no database configured at all."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PG") and k not in ("DATABASE_URL", "BOUNCED_DB", "BOUNCED_CONFIG")}
    env.update(extra or {})
    return env


def main():
    tap = Tap()
    tmp = tempfile.mkdtemp(prefix="bounced-errors-")
    try:
        md = make_maildir(tmp)
        notmd = os.path.join(tmp, "plain")
        os.makedirs(notmd)
        badconf = os.path.join(tmp, "bad.conf")
        with open(badconf, "w") as f:
            f.write("[bounced]\nbatchsize = 10\n")
        dbconf = os.path.join(tmp, "db.conf")
        with open(dbconf, "w") as f:
            f.write("[bounced]\ndb = host='unterminated\n")
        srvconf = os.path.join(tmp, "server.conf")
        with open(srvconf, "w") as f:
            f.write("[bounced]\ndb = %s\n" % NO_SERVER)
        fixtures_md = os.path.join(FIXTURES, "maildir")
        env = no_db_env({"BOUNCED_CONFIG": os.path.join(tmp, "none.conf")})
        # The configuration file must not come from the machine.
        env.pop("BOUNCED_CONFIG")
        env["BOUNCED_CONFIG"] = ""

        # (name, args, extra environment, status, [strings on stderr], usage hint)
        cases = [
            ("unknown command", ["frob"], None, 2, ['bounced: unknown command "frob"'], "bounced"),
            ("unknown option", ["parse", "--bogus", fixtures_md], None, 2,
             ["bounced parse: unknown option --bogus"], "parse"),
            ("bad integer", ["parse", "-j", "x", fixtures_md], None, 2,
             ['bounced parse: cannot parse integer value "x" for -j'], "parse"),
            ("missing value", ["parse", fixtures_md, "--format"], None, 2,
             ["bounced parse: missing argument for --format"], "parse"),
            ("bad format", ["parse", "--format", "yaml", fixtures_md], None, 2,
             ['bounced parse: invalid value of --format: "yaml" (use jsonl, json or table)'],
             "parse"),
            ("negative threads", ["parse", "--threads=-3", fixtures_md], None, 2,
             ["bounced parse: invalid value of --threads: -3"], "parse"),
            ("no input", ["parse"], None, 2, ["bounced parse: no input given"], "parse"),
            ("unreadable input", ["parse", os.path.join(tmp, "missing.eml")], None, 1, [], None),
            ("no Maildir", ["ingest"], None, 2, ["bounced ingest: no Maildir given"], "ingest"),
            ("quiet and verbose", ["ingest", "-q", "-v", md], None, 2,
             ["bounced ingest: --quiet and --verbose cannot be used together"], "ingest"),
            ("same done and failed folder",
             ["ingest", "--done-folder", ".X", "--failed-folder", ".X", md], None, 2,
             ['bounced ingest: --done-folder and --failed-folder name the same folder ".X"'],
             "ingest"),
            ("other folder is the default failed folder",
             ["watch", "--other-folder", ".Failed", md], None, 2,
             ['bounced watch: --other-folder and --failed-folder name the same folder ".Failed"'],
             "watch"),
            ("missing Maildir", ["ingest", os.path.join(tmp, "nowhere")], None, 2,
             ['bounced ingest: could not open Maildir "%s"' % os.path.join(tmp, "nowhere")], None),
            ("not a Maildir", ["ingest", notmd], None, 2,
             ['bounced ingest: "%s" is not a Maildir' % notmd], None),
            ("unknown setting", ["ingest", "-c", badconf, md], None, 2,
             ['bounced ingest: unknown setting "batchsize" in "%s"' % badconf], None),
            ("missing configuration file", ["report", "-c", os.path.join(tmp, "no.conf")], None, 2,
             ['bounced report: could not read configuration file "%s"'
              % os.path.join(tmp, "no.conf")], None),
            ("bad connection string in --db", ["report", "--db", "host='unterminated"], None, 2,
             ["bounced report: invalid connection string in --db"], None),
            ("bad connection string in the file", ["report", "-c", dbconf], None, 2,
             ['bounced report: invalid connection string in configuration file "%s"' % dbconf],
             None),
            ("unreachable, from --db", ["report", "--db", NO_SERVER], None, 3,
             ["bounced report: could not connect to the database", "(database from --db)"], None),
            ("unreachable, from $BOUNCED_DB", ["suppress", "a@example.org"],
             {"BOUNCED_DB": NO_SERVER}, 3,
             ["bounced suppress: could not connect to the database",
              "(database from $BOUNCED_DB)"], None),
            ("unreachable, from $DATABASE_URL", ["migrate"],
             {"DATABASE_URL": "postgresql:///x?host=/nonexistent-bounced-socket-dir&port=1"}, 3,
             ["bounced migrate: could not connect to the database",
              "(database from $DATABASE_URL)"], None),
            ("unreachable, from the file", ["recompute", "-c", srvconf], None, 3,
             ["bounced recompute: could not connect to the database",
              '(database from configuration file "%s")' % srvconf], None),
            ("unreachable, from PG* variables", ["report"],
             {"PGHOST": "/nonexistent-bounced-socket-dir", "PGPORT": "1"}, 3,
             ["(database from the PG* environment variables)"], None),
            ("ingest gives up", ["ingest", "--db", NO_SERVER, "--max-wait", "0", md], None, 3,
             ["bounced ingest: %s: error: database unavailable for 0 s, giving up" % md,
              "(database from --db)"], None),
            ("report --since in the future", ["report", "--since", "2999-01-01"], None, 2,
             ['bounced report: invalid value of --since: "2999-01-01" is in the future'],
             "report"),
            ("report --since not a day", ["report", "--since", "yesterday"], None, 2,
             ['bounced report: invalid value of --since: "yesterday" (expected YYYY-MM-DD)'],
             "report"),
            ("report bad format", ["report", "-fyaml"], None, 2,
             ['bounced report: invalid value of --format: "yaml"'], "report"),
            ("reprocess --since in the future", ["reprocess", "--since", "2999-12-31", md], None, 2,
             ['bounced reprocess: invalid value of --since: "2999-12-31" is in the future'],
             "reprocess"),
            ("reprocess no path", ["reprocess"], None, 2, ["bounced reprocess: no path given"],
             "reprocess"),
            ("db no action", ["db"], None, 2, ["bounced db: no action given"], "db"),
            ("db unknown action", ["db", "frob"], None, 2, ['bounced db: unknown action "frob"'],
             "db"),
            ("sends no action", ["sends"], None, 2, ["bounced sends: no action given"], "sends"),
            ("sends two files", ["sends", "import", "a.csv", "b.csv"], None, 2,
             ["bounced sends: expected one file"], "sends"),
            ("sends unreadable", ["sends", "import", os.path.join(tmp, "no.csv")], None, 1,
             ['bounced sends import: could not read "%s"' % os.path.join(tmp, "no.csv")], None),
            ("suppress no address", ["suppress"], None, 2, ["bounced suppress: no address given"],
             None),
            ("suppress not an address", ["suppress", "nobody"], None, 2,
             ['bounced suppress: "nobody" is not an address'], None),
            ("unsuppress without reason", ["unsuppress", "a@example.org"], None, 2,
             ["bounced unsuppress: give the addresses and --reason TEXT"], None),
            ("recompute bad count", ["recompute", "--soft-bounce-count", "0"], None, 2,
             ["bounced recompute: --soft-bounce-count must be 1 or more"], None),
            ("migrate extra argument", ["migrate", "extra"], None, 2,
             ['bounced migrate: unexpected argument "extra"'], "migrate"),
        ]
        for name, args, extra, status, expect, usage in cases:
            e = dict(env)
            e.update(extra or {})
            r = subprocess.run([BOUNCED] + args, capture_output=True, text=True, env=e,
                               timeout=120)
            first = r.stderr.splitlines()[0] if r.stderr else ""
            prefix = "bounced %s: " % args[0] if args[0] != "frob" else "bounced: "
            if args[0] == "sends" and len(args) > 1 and status != 2:
                prefix = "bounced sends import: "
            good = (r.returncode == status and all(s in r.stderr for s in expect)
                    and (status == 1 and not expect or first.startswith(prefix)))
            if usage is not None:
                hint = 'Try "bounced --help".' if usage == "bounced" \
                    else 'Try "bounced %s --help".' % usage
                good = good and hint in r.stderr
            tap.ok(good, "%s: status %d and its message" % (name, status),
                   "status %d\n%s" % (r.returncode, r.stderr))

        # Short options with joined values, long ones with a space.
        for args in (["parse", "-j2", "-ftable", fixtures_md],
                     ["parse", "--threads", "2", "--format", "table", fixtures_md]):
            r = subprocess.run([BOUNCED] + args, capture_output=True, text=True, env=env)
            tap.ok(r.returncode == 0 and r.stdout.startswith("KIND ")
                   and len(r.stdout.splitlines()) > 10, "%s works" % " ".join(args[1:-1]),
                   r.stderr)

        # A server that answers and refuses the settings: configuration (2).
        r = subprocess.run([BOUNCED, "report", "--db", "dbname=bounced_no_such_database_x"],
                           capture_output=True, text=True, env=pg_env())
        tap.ok(r.returncode == 2 and "bounced report: could not connect to the database" in r.stderr
               and "bounced_no_such_database_x" in r.stderr,
               "a database that does not exist: status 2", "%d %s" % (r.returncode, r.stderr))

        # Root with no system user "bounced" and no database: said, with the fix.
        # The user is hidden from a copy of /etc/passwd in a mount namespace.
        if os.geteuid() == 0 and shutil.which("unshare"):
            script = ('grep -v "^bounced:" /etc/passwd > "$T/passwd" && '
                      'mount --bind "$T/passwd" /etc/passwd && exec "$@"')
            e = dict(no_db_env())
            e["T"] = tmp
            e["BOUNCED_CONFIG"] = ""
            r = subprocess.run(["unshare", "-m", "sh", "-c", script, "sh", BOUNCED, "migrate"],
                               capture_output=True, text=True, env=e)
            if "mount" in r.stderr and "bounced" not in r.stderr:
                tap.ok(True, "# SKIP no mount namespace here: " + r.stderr.strip())
            else:
                tap.ok(r.returncode == 2 and 'system user "bounced" does not exist' in r.stderr
                       and "systemd-sysusers" in r.stderr and "useradd" not in r.stdout,
                       "root without the system user: status 2, says how to create it",
                       "%d %s" % (r.returncode, r.stderr))
        else:
            tap.ok(True, "# SKIP not root")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
