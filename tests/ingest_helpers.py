"""Helpers of the ingest script tests (tests/test-ingest-*.py).

Each test makes its own database on the server that the PG* variables point
at (tests/with-postgres sets them), its own Maildir in a temporary directory,
and runs the bounced binary named by $BOUNCED.  Output is TAP.
"""
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SRCDIR = os.environ.get("BOUNCED_SRCDIR", os.path.join(os.path.dirname(__file__), ".."))
BOUNCED = os.environ.get("BOUNCED", os.path.join(SRCDIR, "build", "worker", "bounced"))
FIXTURES = os.path.join(SRCDIR, "fixtures")
SKIPPED_FIXTURE_DIRS = ("maildir", "pending")
# Where a message of each kind ends (worker/maildir.c, life cycle).
FOLDER_OF_KIND = {
    "dsn": "cur", "legacy-bounce": "cur", "auto-reply": "cur", "feedback": "cur",
    "not-bounce": ".NotBounce", "error": ".Failed",
}
FINAL_DIRS = ("cur", ".NotBounce/new", ".NotBounce/cur", ".Failed/new", ".Failed/cur")


class Tap:
    """A TAP producer: ok() per check, bail() on setup failure."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, name, diag=None):
        self.n += 1
        if not cond:
            self.failed += 1
        print(("ok %d - %s" if cond else "not ok %d - %s") % (self.n, name), flush=True)
        if not cond and diag:
            self.diag(diag)
        return cond

    def diag(self, text):
        for line in str(text).splitlines():
            print("# " + line, flush=True)

    def bail(self, why):
        print("Bail out! " + why, flush=True)
        sys.exit(1)

    def done(self):
        print("1..%d" % self.n, flush=True)
        sys.exit(1 if self.failed else 0)


def wait_for(cond, patience):
    """Polls @cond until it holds (a condition, not a delay); its last
    answer after @patience seconds."""
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.01)
    return cond()


def pg_env(extra=None):
    env = dict(os.environ)
    if extra:
        env.update(extra)
    return env


def psql(db, sql, env=None):
    """Runs @sql in database @db; returns stdout (unaligned, tuples only)."""
    out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-d", db,
                          "-c", sql], capture_output=True, text=True, env=env or pg_env())
    if out.returncode != 0:
        raise RuntimeError("psql failed: %s\n%s" % (sql, out.stderr))
    return out.stdout


def psql_json(db, sql, env=None):
    text = psql(db, sql, env).strip()
    return json.loads(text) if text else None


class Database:
    """A fresh database, dropped at close()."""

    def __init__(self, tag, env=None):
        self.env = env or pg_env()
        self.name = "bounced_test_%s_%d_%d" % (tag, os.getpid(), random.randrange(10 ** 6))
        psql("postgres", 'CREATE DATABASE "%s"' % self.name, self.env)

    def conninfo(self):
        return "dbname=%s" % self.name

    def query(self, sql):
        return psql(self.name, sql, self.env)

    def json(self, sql):
        return psql_json(self.name, sql, self.env)

    def count(self, table="bounce.messages"):
        return int(self.query("SELECT count(*) FROM %s" % table).strip())

    def close(self):
        try:
            psql("postgres", 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % self.name, self.env)
        except RuntimeError:
            pass


def make_maildir(parent):
    root = os.path.join(parent, "Maildir")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(root, sub))
    return root


_counter = [0]


def deliver(maildir, data):
    """Delivers @data the Maildir way (write in tmp/, rename into new/);
    returns the file name."""
    _counter[0] += 1
    name = "%d.M%dP%dQ%d.test.example" % (int(time.time()), _counter[0], os.getpid(), _counter[0])
    tmp = os.path.join(maildir, "tmp", name)
    with open(tmp, "wb") as f:
        f.write(data)
    os.rename(tmp, os.path.join(maildir, "new", name))
    return name


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def fixtures(with_settings=False):
    """(eml path, expected json path) of every fixture, sorted; fixtures with
    a .settings file are left out unless @with_settings."""
    found = []
    for dirpath, dirnames, filenames in os.walk(FIXTURES):
        rel = os.path.relpath(dirpath, FIXTURES)
        if rel.split(os.sep)[0] in SKIPPED_FIXTURE_DIRS:
            dirnames[:] = []
            continue
        for fn in filenames:
            if not fn.endswith(".eml"):
                continue
            stem = fn[:-4]
            for ending in (".lf", ".crlf", ".cr"):
                if stem.endswith(ending):
                    stem = stem[: -len(ending)]
            expected = os.path.join(dirpath, stem + ".json")
            settings = os.path.join(dirpath, stem + ".settings")
            if not os.path.exists(expected):
                continue
            if os.path.exists(settings) and not with_settings:
                continue
            found.append((os.path.join(dirpath, fn), expected))
    return sorted(found)


def copy_of(data, i):
    """@data made distinct by a header of its own at the top, so that every
    copy has its own content hash; the line end follows the message's."""
    end = b"\r\n" if b"\r\n" in data[:2000] else (b"\r" if b"\n" not in data[:2000] else b"\n")
    return b"X-Bounced-Test-Copy: " + str(i).encode() + end + data


def generate(maildir, n, seed=1, start=0):
    """Delivers @n distinct messages made from the LF fixtures; returns
    {sha256: fixture path}."""
    sources = [p for p, _ in fixtures() if not p.endswith((".cr.eml", ".crlf.eml"))]
    rng = random.Random(seed)
    made = {}
    for i in range(start, start + n):
        path = rng.choice(sources)
        with open(path, "rb") as f:
            data = copy_of(f.read(), i)
        deliver(maildir, data)
        made[sha256(data)] = path
    return made


def inventory(maildir):
    """{sha256: [relative directory, ...]} of every message file anywhere in
    the Maildir (claims and tmp/ included)."""
    where = {}
    for dirpath, dirnames, filenames in os.walk(maildir):
        for fn in filenames:
            if fn.endswith(".lock") or fn == "maildirfolder" or fn.startswith("."):
                continue
            with open(os.path.join(dirpath, fn), "rb") as f:
                h = sha256(f.read())
            where.setdefault(h, []).append(os.path.relpath(dirpath, maildir))
    return where


def folder_kind(rel):
    """'cur', '.NotBounce' or '.Failed' for a final directory, else None."""
    if rel == "cur":
        return "cur"
    for folder in (".NotBounce", ".Failed"):
        if rel in (folder + "/new", folder + "/cur"):
            return folder
    return None


def run_bounced(args, env=None, **kw):
    return subprocess.run([BOUNCED] + args, capture_output=True, text=True,
                          env=env or pg_env(), **kw)


def rows_by_sha(db):
    """{sha256: {"kind":..., "outcomes": [...]}} of the whole database."""
    rows = db.json(
        "SELECT coalesce(json_object_agg(m.sha256, json_build_object("
        " 'kind', m.kind, 'error', m.error, 'outcomes', "
        " (SELECT coalesce(json_agg(json_build_array(o.recipient, o.reason, o.status, o.action,"
        "  o.hard_bounce) ORDER BY o.ordinal), '[]'::json)"
        "  FROM bounce.recipient_outcomes o WHERE o.message_id = m.id))), '{}'::json)"
        " FROM bounce.messages m")
    return rows or {}


class Cluster:
    """A PostgreSQL cluster of the test's own (for tests that stop and start
    the server), on a Unix socket in a temporary directory.  As root the
    server runs as the postgres user, since PostgreSQL refuses root."""

    def __init__(self, parent):
        self.dir = os.path.join(parent, "pg")
        os.makedirs(self.dir)
        self.data = os.path.join(self.dir, "data")
        self.as_user = []
        if os.geteuid() == 0:
            os.chmod(parent, 0o755)
            shutil.chown(self.dir, "postgres")
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.port = str(20000 + os.getpid() % 20000)
        subprocess.run(self.as_user + ["initdb", "-D", self.data, "-A", "trust", "-U", "postgres",
                                       "--no-sync"], check=True, capture_output=True)
        self.start()

    def env(self):
        e = dict(os.environ)
        for k in list(e):
            if k.startswith("PG") or k in ("DATABASE_URL", "BOUNCED_DB"):
                del e[k]
        e.update(PGHOST=self.dir, PGPORT=self.port, PGUSER="postgres", PGDATABASE="postgres")
        return e

    def pg_ctl(self, *args):
        subprocess.run(self.as_user + ["pg_ctl", "-D", self.data, "-w",
                                       "-l", os.path.join(self.dir, "log")] + list(args),
                       check=True, capture_output=True)

    def start(self):
        self.pg_ctl("-o", "-p %s -k %s -c listen_addresses='' -c fsync=off" % (self.port, self.dir),
                    "start")

    def stop(self, mode="fast"):
        self.pg_ctl("-m", mode, "stop")

    def close(self):
        try:
            self.stop("immediate")
        except subprocess.CalledProcessError:
            pass
