"""IMAP through mbsync, end to end (TAP): a local Dovecot on the loopback
serving a mailbox of bounces, mbsync (isync) pulling it into a Maildir with
the configuration of dist/mbsyncrc.example (host, port and password
changed), bounced storing it.  The test starts and stops Dovecot itself.

 1. Dovecot serves the mailbox on 127.0.0.1 (a port of its own);
 2. mbsync pulls every message into the local Maildir;
 3. bounced ingest stores them all: the database holds the hash of each
    message the server has;
 4. a second mbsync and ingest bring and store nothing new, and the server's
    mailbox is untouched (Sync Pull, Expunge None);
 5. a message delivered to the server later arrives and is stored.

Skipped (ok # SKIP) when dovecot or mbsync is not installed; CI installs
both (dovecot-imapd, isync).
"""
import getpass
import hashlib
import os
import pwd
import re
import select
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(__file__))
from ingest_helpers import (Tap, BOUNCED, SRCDIR, Database, fixtures, copy_of,  # noqa: E402
                            make_maildir, pg_env, sha256)

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
MBSYNC = shutil.which("mbsync")
USER = "bounces"
PASSWORD = "not-a-secret"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def server_messages(maildir):
    """{sha256: name} of the messages in the server's Maildir."""
    found = {}
    for sub in ("new", "cur"):
        d = os.path.join(maildir, sub)
        for fn in os.listdir(d):
            with open(os.path.join(d, fn), "rb") as f:
                found[sha256(f.read())] = fn
    return found


def without_tuid(data):
    """The message without the X-TUID header that mbsync adds to what it
    writes into a Maildir (its own bookkeeping)."""
    head, sep, body = data.partition(b"\n\n")
    head = re.sub(rb"(?m)^X-TUID: [^\n]*\n", b"", head + b"\n")[:-1]
    return head + sep + body


def local_hashes(maildir, strip=True):
    """Hashes of the message files anywhere in the local Maildir (without
    mbsync's X-TUID header, unless not @strip)."""
    found = []
    for d, _, files in os.walk(maildir):
        if "bounced-claims" in d:
            continue
        for fn in files:
            if fn.startswith(".") or fn == "maildirfolder":
                continue
            with open(os.path.join(d, fn), "rb") as f:
                data = f.read()
            found.append(sha256(without_tuid(data) if strip else data))
    return found


def dovecot_conf(tmp, port, as_root, mail_uid, mail_gid):
    me = getpass.getuser()
    lines = [
        "protocols = imap",
        "listen = 127.0.0.1",
        "base_dir = %s/run" % tmp,
        "state_dir = %s/state" % tmp,
        # The log on standard error, which the test reads to know when the
        # server listens.
        "log_path = /dev/stderr",
        "info_log_path = /dev/stderr",
        "ssl = no",
        "disable_plaintext_auth = no",
        "auth_mechanisms = plain login",
        "mail_location = maildir:%s/server/%%u" % tmp,
        "first_valid_uid = 1",
        "first_valid_gid = 1",
        "passdb {\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%%u %s/passwd\n}" % tmp,
        "userdb {\n  driver = static\n  args = uid=%d gid=%d home=%s/server/%%u\n}"
        % (mail_uid, mail_gid, tmp),
        "service imap-login {\n  inet_listener imap {\n    address = 127.0.0.1\n    port = %d\n  }\n"
        "  inet_listener imaps {\n    port = 0\n  }\n}" % port,
        "service pop3-login {\n  inet_listener pop3 {\n    port = 0\n  }\n}",
        "service submission-login {\n  inet_listener submission {\n    port = 0\n  }\n}",
        "service lmtp {\n  unix_listener lmtp {\n    mode = 0600\n  }\n}",
    ]
    if not as_root:
        # Dovecot run by an ordinary user: every process as that user.
        lines += [
            "default_login_user = %s" % me,
            "default_internal_user = %s" % me,
            "default_internal_group = %s" % pwd.getpwnam(me).pw_name,
            "service imap-login {\n  chroot =\n}",
            "service anvil {\n  chroot =\n}",
        ]
    return "\n".join(lines) + "\n"


def main():
    tap = Tap()
    if not os.path.exists(DOVECOT) or MBSYNC is None:
        tap.ok(True, "# SKIP dovecot or mbsync not installed (apt-get install dovecot-imapd isync)")
        tap.done()
    as_root = os.geteuid() == 0
    if as_root:
        try:
            pwd.getpwnam("dovecot")
            pwd.getpwnam("dovenull")
        except KeyError:
            tap.ok(True, "# SKIP the dovecot package's users are missing")
            tap.done()
    tmp = tempfile.mkdtemp(prefix="bounced-imap-")
    os.chmod(tmp, 0o755)
    db = Database("imap")
    dovecot = None
    try:
        # The server's mailbox: bounces written straight into its Maildir.
        owner = pwd.getpwnam("nobody") if as_root else pwd.getpwuid(os.getuid())
        server = os.path.join(tmp, "server", USER)
        for sub in ("cur", "new", "tmp"):
            os.makedirs(os.path.join(server, sub))
        sources = [p for p, _ in fixtures() if not p.endswith((".cr.eml", ".crlf.eml"))]
        for i in range(12):
            with open(sources[i * 5 % len(sources)], "rb") as f:
                data = copy_of(f.read(), 500 + i)
            with open(os.path.join(server, "new", "1795%06d.M%dP1.imap.test" % (i, i)), "wb") as f:
                f.write(data)
        # Mail that is not a bounce: bounced moves it to .NotBounce, out of
        # the synced folder, and mbsync must not pull it again.
        with open(os.path.join(server, "new", "1795100000.M1P1.imap.test"), "wb") as f:
            f.write(b"From: colleague@example.org\nTo: bounces@example.com\n"
                    b"Subject: lunch?\nMessage-ID: <lunch@example.org>\n\nAt noon?\n")
        for d, dirs, files in os.walk(os.path.join(tmp, "server")):
            os.chown(d, owner.pw_uid, owner.pw_gid)
            for fn in files:
                os.chown(os.path.join(d, fn), owner.pw_uid, owner.pw_gid)
        with open(os.path.join(tmp, "passwd"), "w") as f:
            f.write("%s:{PLAIN}%s\n" % (USER, PASSWORD))
        port = free_port()
        conf = os.path.join(tmp, "dovecot.conf")
        with open(conf, "w") as f:
            f.write(dovecot_conf(tmp, port, as_root, owner.pw_uid, owner.pw_gid))
        dovecot = subprocess.Popen([DOVECOT, "-F", "-c", conf], stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT)
        # 1. up: Dovecot says "starting up" once it listens (read as it
        # comes, with a deadline), then answers with its greeting.
        log = []
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any("starting up" in l for l in log):
            ready, _, _ = select.select([dovecot.stdout], [], [], deadline - time.monotonic())
            if not ready:
                break
            line = dovecot.stdout.readline()
            if not line:
                break
            log.append(line.decode(errors="replace"))
        greeting = b""
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
                greeting = s.recv(200)
        except OSError as e:
            log.append(str(e))
        if not tap.ok(greeting.startswith(b"* OK"), "Dovecot serves IMAP on 127.0.0.1:%d" % port,
                      "%r\n%s" % (greeting, "".join(log))):
            tap.done()

        # 2. mbsync with the shipped example, pointed at the test server.
        local = make_maildir(os.path.join(tmp, "local"))
        example = open(os.path.join(SRCDIR, "dist", "mbsyncrc.example")).read()
        rc = example.replace("Host imap.example.net", "Host 127.0.0.1")
        rc = rc.replace("Port 993", "Port %d" % port)
        rc = rc.replace("User bounces@example.net", "User %s" % USER)
        rc = re.sub(r'(?m)^PassCmd .*$', 'Pass %s' % PASSWORD, rc)
        rc = rc.replace("SSLType IMAPS", "SSLType None")
        rc = rc.replace("/var/mail/bounces/", local + "/")
        tap.ok(rc != example and "127.0.0.1" in rc and local in rc,
               "the example mbsyncrc, pointed at the test server")
        mbsyncrc = os.path.join(tmp, "mbsyncrc")
        with open(mbsyncrc, "w") as f:
            f.write(rc)
        os.chmod(mbsyncrc, 0o600)

        def mbsync():
            return subprocess.run([MBSYNC, "--config", mbsyncrc, "bounces"], capture_output=True,
                                  text=True, timeout=120, env=dict(os.environ, HOME=tmp))

        on_server = server_messages(server)
        r = mbsync()
        pulled = local_hashes(local)
        tap.ok(r.returncode == 0 and sorted(pulled) == sorted(on_server),
               "mbsync pulls every message of the server (%d)" % len(on_server),
               "status %d\n%s%s\npulled %d" % (r.returncode, r.stdout, r.stderr, len(pulled)))

        # 3. bounced stores them.
        r = subprocess.run([BOUNCED, "ingest", "--db", db.conninfo(), local], capture_output=True,
                           text=True, env=pg_env())
        stored = set(db.query("SELECT sha256 FROM bounce.messages").split())
        tap.ok(r.returncode == 0 and stored == set(local_hashes(local, strip=False))
               and len(stored) == len(on_server),
               "bounced ingest stores every message pulled, each once",
               "status %d\n%s%s" % (r.returncode, r.stdout, r.stderr))

        # 4. again: nothing new, nothing duplicated, the server untouched.
        r = mbsync()
        files_before = sorted(local_hashes(local))
        r2 = subprocess.run([BOUNCED, "ingest", "--db", db.conninfo(), local], capture_output=True,
                            text=True, env=pg_env())
        tap.ok(r.returncode == 0 and sorted(local_hashes(local)) == files_before
               and sorted(files_before) == sorted(on_server)
               and "0 new, 0 already stored, 0 failed" in r2.stdout and db.count() == len(on_server),
               "a second sync and ingest bring and store nothing", "%s%s\n%s" % (r.stdout, r.stderr, r2.stdout))
        tap.ok(set(server_messages(server)) == set(on_server) and
               sum(len(os.listdir(os.path.join(local, ".NotBounce", sub)))
                   for sub in ("new", "cur")) == 1,
               "the server's mailbox is left as it was (Sync Pull, Expunge None); "
               "the mail for humans is in .NotBounce once")

        # 5. a bounce that arrives later.
        with open(sources[1], "rb") as f:
            late = copy_of(f.read(), 999)
        late_name = os.path.join(server, "new", "1795999999.M1P1.imap.test")
        with open(late_name, "wb") as f:
            f.write(late)
        os.chown(late_name, owner.pw_uid, owner.pw_gid)
        r = mbsync()
        r2 = subprocess.run([BOUNCED, "ingest", "--db", db.conninfo(), local], capture_output=True,
                            text=True, env=pg_env())
        tap.ok(r.returncode == 0 and "1 new, 0 already stored, 0 failed" in r2.stdout and
               db.count() == len(on_server) + 1 and sha256(late) in set(local_hashes(local)),
               "a bounce delivered later is pulled and stored", r.stderr + r2.stdout + r2.stderr)
    finally:
        if dovecot is not None:
            subprocess.run([DOVECOT, "-c", os.path.join(tmp, "dovecot.conf"), "stop"],
                           capture_output=True)
            try:
                dovecot.wait(timeout=30)
            except subprocess.TimeoutExpired:
                dovecot.kill()
                dovecot.wait()
        db.close()
        if os.environ.get("BOUNCED_KEEP_TMP"):
            print("# kept " + tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
