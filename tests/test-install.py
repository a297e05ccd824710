"""What `meson install` puts where (TAP).

Installs the build into a fresh DESTDIR and checks:
 1. the list of files: binary, man pages, SQL and examples, systemd units,
    sysusers.d and tmpfiles.d entries, the example configuration;
 2. the units run the installed binary (their paths follow --prefix) and
    use StateDirectory=; systemd-analyze finds no error in them, and their
    exposure stays low;
 3. the man page's FILES names the configuration file the binary reads;
 4. the sysusers.d entry creates the user "bounced" (systemd-sysusers, dry run).
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from ingest_helpers import Tap, BOUNCED  # noqa: E402

BUILDDIR = os.environ.get("BOUNCED_BUILDDIR")
PREFIX = os.environ.get("BOUNCED_PREFIX", "/usr/local")
BINDIR = os.environ.get("BOUNCED_BINDIR", PREFIX + "/bin")
SYSCONFDIR = os.environ.get("BOUNCED_SYSCONFDIR", PREFIX + "/etc")
DATADIR = os.environ.get("BOUNCED_DATADIR", PREFIX + "/share")
MANDIR = os.environ.get("BOUNCED_MANDIR", PREFIX + "/share/man")
UNITDIR = os.environ.get("BOUNCED_UNITDIR", PREFIX + "/lib/systemd/system")
SYSUSERSDIR = os.environ.get("BOUNCED_SYSUSERSDIR", PREFIX + "/lib/sysusers.d")
TMPFILESDIR = os.environ.get("BOUNCED_TMPFILESDIR", PREFIX + "/lib/tmpfiles.d")


def main():
    tap = Tap()
    if not BUILDDIR:
        tap.bail("BOUNCED_BUILDDIR is not set (run through meson test)")
    dest = tempfile.mkdtemp(prefix="bounced-install-")
    try:
        run = subprocess.run(["meson", "install", "-C", BUILDDIR, "--no-rebuild", "--quiet",
                              "--destdir", dest], capture_output=True, text=True)
        if run.returncode != 0:
            tap.bail("meson install failed: %s%s" % (run.stdout, run.stderr))
        found = sorted("/" + os.path.relpath(os.path.join(d, f), dest)
                       for d, _, files in os.walk(dest) for f in files)
        tap.diag("\n".join(found))

        # 1. the list
        expected = [
            BINDIR + "/bounced",
            MANDIR + "/man1/bounced.1",
            MANDIR + "/man7/bounced-reasons.7",
            DATADIR + "/bounced/sql/001_schema.sql",
            DATADIR + "/bounced/sql/examples.sql",
            DATADIR + "/doc/bounced/bounced.conf.example",
            DATADIR + "/doc/bounced/mbsyncrc.example",
            UNITDIR + "/bounced-watch@.service",
            UNITDIR + "/bounced-reprocess@.service",
            UNITDIR + "/bounced-reprocess@.timer",
            UNITDIR + "/bounced-mbsync@.service",
            UNITDIR + "/bounced-mbsync@.timer",
            SYSUSERSDIR + "/bounced.conf",
            TMPFILESDIR + "/bounced.conf",
        ]
        missing = [p for p in expected if p not in found]
        tap.ok(not missing, "meson install puts every file in place", "missing: %s" % missing)
        sql_dir = os.path.join(os.environ.get("BOUNCED_SRCDIR", "."), "sql")
        migrations = sorted(f for f in os.listdir(sql_dir) if re.match(r"^\d{3}_.*\.sql$", f))
        installed_sql = sorted(os.path.basename(p) for p in found
                               if p.startswith(DATADIR + "/bounced/sql/") and p[-4:] == ".sql"
                               and re.match(r"^\d{3}_", os.path.basename(p)))
        tap.ok(installed_sql == migrations, "every migration of sql/ is installed",
               "%s != %s" % (installed_sql, migrations))
        mode = os.stat(dest + BINDIR + "/bounced").st_mode & 0o777
        tap.ok(mode & 0o111 == 0o111, "the binary is executable", oct(mode))

        # 2. the units
        units = {}
        for name in ("bounced-watch@.service", "bounced-reprocess@.service",
                     "bounced-mbsync@.service"):
            with open(dest + UNITDIR + "/" + name) as f:
                units[name] = f.read()
        for name in ("bounced-watch@.service", "bounced-reprocess@.service"):
            text = units[name]
            execs = re.findall(r"^ExecStart=(\S+)", text, re.M)
            tap.ok(execs == [BINDIR + "/bounced"], "%s runs %s/bounced" % (name, BINDIR), execs)
            tap.ok("StateDirectory=bounced" in text and not re.search(r"@[A-Z_]+@", text),
                   "%s has StateDirectory= and no unsubstituted @VAR@" % name)
            env_files = re.findall(r"^EnvironmentFile=-(\S+)", text, re.M)
            tap.ok(env_files == [SYSCONFDIR + "/bounced/bounced.env"],
                   "%s reads its environment file from %s" % (name, SYSCONFDIR), env_files)
        watch = units["bounced-watch@.service"]
        tap.ok(re.search(r"^Type=notify$", watch, re.M) and re.search(r"^WatchdogSec=\d+", watch, re.M),
               "bounced-watch@.service is Type=notify with a watchdog")
        if SYSCONFDIR == "/etc":
            tap.ok("ConfigurationDirectory=bounced" in watch, "ConfigurationDirectory=bounced")
        else:
            tap.ok(not re.search(r"^ConfigurationDirectory=", watch, re.M),
                   "no ConfigurationDirectory= for a configuration outside /etc (%s)" % SYSCONFDIR)

        analyze = shutil.which("systemd-analyze")
        if analyze is None:
            tap.ok(True, "# SKIP systemd-analyze not installed")
        else:
            # verify wants the binary at its installed path: point the copies
            # at the one under test.
            vdir = os.path.join(dest, "verify")
            os.makedirs(vdir)
            for name in ("bounced-watch@.service", "bounced-reprocess@.service",
                         "bounced-mbsync@.service"):
                with open(os.path.join(vdir, name), "w") as f:
                    f.write(units[name].replace(BINDIR + "/bounced", os.path.abspath(BOUNCED)))
            shutil.copy(dest + UNITDIR + "/bounced-reprocess@.timer", vdir)
            shutil.copy(dest + UNITDIR + "/bounced-mbsync@.timer", vdir)
            mbsync = shutil.which("mbsync")
            for name in ("bounced-watch@x.service", "bounced-reprocess@x.service",
                         "bounced-mbsync@x.service"):
                if name.startswith("bounced-mbsync") and mbsync is None:
                    tap.ok(True, "# SKIP mbsync not installed")
                    continue
                v = subprocess.run([analyze, "verify", "--man=no", os.path.join(vdir, name)],
                                   capture_output=True, text=True)
                tap.ok(v.returncode == 0 and v.stderr.strip() == "",
                       "systemd-analyze verify finds nothing in %s" % name, v.stderr)
            sec = subprocess.run([analyze, "security", "--offline=yes",
                                  os.path.join(vdir, "bounced-watch@x.service")],
                                 capture_output=True, text=True)
            m = re.search(r"Overall exposure level for \S+: ([\d.]+)", sec.stdout)
            tap.ok(m is not None and float(m.group(1)) <= 2.0,
                   "bounced-watch@.service exposure stays at 2.0 or below",
                   m.group(0) if m else sec.stdout[-500:] + sec.stderr)

        # 3. the man page names the file the binary reads
        conf = SYSCONFDIR + "/bounced/bounced.conf"
        with open(dest + MANDIR + "/man1/bounced.1") as f:
            man = f.read()
        files = man[man.index(".SH FILES"):]
        files = files[:files.index("\n.SH ", 1)]
        tap.ok(conf in files, "the man page's FILES names %s" % conf, files[:400])
        tap.ok(UNITDIR + "/bounced\\-watch@.service" in files
               and DATADIR + "/doc/bounced/bounced.conf.example" in files
               and (PREFIX == "/usr" or "/usr/lib/systemd" not in files),
               "and the installed units and examples where they are", files[:2000])
        help_text = subprocess.run([BOUNCED, "ingest", "--help"], capture_output=True,
                                   text=True).stdout
        tap.ok(conf in help_text, "the binary's help names the same file", help_text[:2000])

        # 4. the system user
        sysusers = shutil.which("systemd-sysusers")
        if sysusers is None:
            tap.ok(True, "# SKIP systemd-sysusers not installed")
        else:
            os.makedirs(os.path.join(dest, "etc"), exist_ok=True)
            s = subprocess.run([sysusers, "--dry-run", "--root", dest,
                                dest + SYSUSERSDIR + "/bounced.conf"],
                               capture_output=True, text=True)
            tap.ok(s.returncode == 0 and "Creating user 'bounced'" in s.stdout + s.stderr,
                   "the sysusers.d entry creates the user bounced", s.stdout + s.stderr)
        with open(dest + TMPFILESDIR + "/bounced.conf") as f:
            tmpfiles = f.read()
        tap.ok(re.search(r"^d /var/lib/bounced 0750 bounced bounced", tmpfiles, re.M) and
               re.search(r"^d %s/bounced " % re.escape(SYSCONFDIR), tmpfiles, re.M),
               "the tmpfiles.d entry makes the state and configuration directories", tmpfiles)
    finally:
        shutil.rmtree(dest, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
