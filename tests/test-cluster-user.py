#!/usr/bin/env python3
"""The private cluster of root runs belongs to a system user of its own
(pgcluster.c, invariant 1a): bounced-pg, not bounced, the user the worker
units run as, so that a compromised worker cannot read the data files.
Run as root (CI is); skipped otherwise.  It runs in a mount namespace of
its own with an empty /var/lib/bounced, so that the machine's cluster, if
any, is left alone:
 1. `bounced db start` as root creates the cluster (and names the socket): its data directory is
    bounced-pg's, mode 0700, and the server runs as bounced-pg;
 2. the worker's user cannot list the data directory nor read a file of it;
 3. the socket's directory is bounced-pg's, group bounced, mode 0750;
 4. as bounced, `bounced ingest` through the socket stores a bounce, and
    its session is bounced_ingest, no superuser; bounced may not log in as
    the cluster's superuser;
 5. a cluster of an older bounced, owned by bounced, is given to
    bounced-pg at the next start, with its data.
"""
import grp
import os
import pwd
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ingest_helpers as h  # noqa: E402

STATE = "/var/lib/bounced"
DATA = STATE + "/pg"
SOCKET = STATE + "/pg-socket"
WORKER_DB = "host=%s port=5432 dbname=bounced user=bounced_ingest" % SOCKET


def env():
    e = {k: v for k, v in os.environ.items()
         if not k.startswith("PG") and k not in ("DATABASE_URL", "BOUNCED_DB")}
    e["BOUNCED_CONFIG"] = ""
    return e


def as_user(name):
    pw = pwd.getpwnam(name)
    return {"user": pw.pw_uid, "group": pw.pw_gid,
            "extra_groups": os.getgrouplist(name, pw.pw_gid)}


def run(args, user=None, **kw):
    return subprocess.run(args, capture_output=True, text=True, env=env(), cwd="/",
                          **(as_user(user) if user else {}), **kw)


def server_uid():
    with open(os.path.join(DATA, "postmaster.pid")) as f:
        pid = int(f.readline())
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                return int(line.split()[1])
    return None


def inside(t, tmp):
    """In the namespace: /var/lib/bounced is @tmp/state."""
    worker = pwd.getpwnam("bounced")
    server = pwd.getpwnam("bounced-pg")
    state = os.path.join(tmp, "state")
    os.makedirs(state)
    os.chown(state, worker.pw_uid, worker.pw_gid)
    os.chmod(state, 0o750)
    os.makedirs(STATE, exist_ok=True)
    subprocess.run(["mount", "--bind", state, STATE], check=True)
    try:
        r = run([h.BOUNCED, "db", "start"])
        t.ok(r.returncode == 0 and SOCKET in r.stdout,
             "bounced db start as root creates the cluster, ready for workers",
             r.stdout + r.stderr)
        st = os.stat(DATA)
        t.ok(st.st_uid == server.pw_uid and st.st_uid != worker.pw_uid
             and (st.st_mode & 0o777) == 0o700,
             "the data directory is bounced-pg's (uid %d), not the worker's (uid %d), mode 0700"
             % (server.pw_uid, worker.pw_uid), "uid %d mode %o" % (st.st_uid, st.st_mode))
        t.ok(server_uid() == server.pw_uid, "the server runs as bounced-pg", str(server_uid()))
        for what, args in (("list the data directory", ["ls", DATA]),
                           ("read a data file", ["cat", DATA + "/PG_VERSION"]),
                           ("read the configuration", ["cat", DATA + "/postgresql.conf"])):
            r = run(args, user="bounced")
            t.ok(r.returncode != 0 and "Permission denied" in r.stderr,
                 "the worker's user cannot %s" % what, r.stdout + r.stderr)
        st = os.stat(SOCKET)
        t.ok(st.st_uid == server.pw_uid and st.st_gid == worker.pw_gid
             and (st.st_mode & 0o777) == 0o750,
             "the socket's directory is bounced-pg's, group bounced, mode 0750",
             "uid %d gid %d mode %o" % (st.st_uid, st.st_gid, st.st_mode))

        maildir = h.make_maildir(os.path.join(tmp, "mail"))
        h.deliver(maildir, h.copy_of(open([p for p, _ in h.fixtures() if "/dsn/" in p][0],
                                          "rb").read(), 1))
        for d, _, files in os.walk(os.path.join(tmp, "mail")):
            os.chown(d, worker.pw_uid, worker.pw_gid)
            for fn in files:
                os.chown(os.path.join(d, fn), worker.pw_uid, worker.pw_gid)
        os.chmod(tmp, 0o755)
        r = run([h.BOUNCED, "ingest", "-q", "--db", WORKER_DB, maildir], user="bounced")
        t.ok(r.returncode == 0, "as bounced, ingest through the socket", r.stdout + r.stderr)
        query = ("SELECT concat_ws('|', current_user, rolsuper, (SELECT count(*) FROM"
                 " bounce.messages)) FROM pg_roles WHERE rolname = current_user")
        r = run(["psql", "-X", "-A", "-t", "-d", WORKER_DB, "-c", query], user="bounced")
        t.ok(r.stdout.strip() == "bounced_ingest|f|1",
             "its session is bounced_ingest, no superuser, and the bounce is stored",
             r.stdout + r.stderr)
        r = run(["psql", "-X", "-A", "-t", "-d",
                 "host=%s port=5432 dbname=bounced user=bounced" % SOCKET, "-c", "SELECT 1"],
                user="bounced")
        t.ok(r.returncode != 0 and "authentication failed" in r.stderr,
             "bounced may not log in as the cluster's superuser", r.stdout + r.stderr)

        # 5. an older bounced's cluster: owned by the workers' user
        r = run([h.BOUNCED, "db", "stop"])
        t.ok(r.returncode == 0 and "stopped" in r.stdout, "bounced db stop", r.stdout + r.stderr)
        subprocess.run(["chown", "-R", "bounced:bounced", DATA], check=True)
        r = run([h.BOUNCED, "migrate"])
        t.ok(r.returncode == 0 and 'to the system user "bounced-pg"' in r.stderr,
             "a cluster owned by bounced is given to bounced-pg at the next start, and says so",
             r.stdout + r.stderr)
        bad = [os.path.join(d, fn) for d, ds, fs in os.walk(DATA) for fn in fs + ds
               if os.lstat(os.path.join(d, fn)).st_uid != server.pw_uid]
        t.ok(os.stat(DATA).st_uid == server.pw_uid and not bad
             and server_uid() == server.pw_uid,
             "every file of it is bounced-pg's, and the server runs as bounced-pg", str(bad[:5]))
        r = run(["psql", "-X", "-A", "-t", "-d", WORKER_DB, "-c", query], user="bounced")
        t.ok(r.stdout.strip() == "bounced_ingest|f|1", "with its data", r.stdout + r.stderr)
    finally:
        run([h.BOUNCED, "db", "stop"])
        subprocess.run(["umount", STATE])


def main():
    t = h.Tap()
    if os.geteuid() != 0 or not shutil.which("unshare"):
        t.ok(True, "# SKIP needs root and unshare(1)")
        t.done()
        return
    for name in ("bounced", "bounced-pg"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            t.ok(True, "# SKIP no system user %s (tools/setup creates it)" % name)
            t.done()
            return
    if len(sys.argv) > 1 and sys.argv[1] == "--inside":
        inside(t, sys.argv[2])
        t.done()
        return
    tmp = tempfile.mkdtemp(prefix="test-cluster-user-")
    try:
        # Everything in a mount namespace of its own; its TAP lines are ours.
        r = subprocess.run(["unshare", "-m", "--propagation", "private", sys.executable,
                            os.path.abspath(__file__), "--inside", tmp])
        sys.exit(r.returncode)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
