#!/usr/bin/env python3
"""Suppression figures and the suppression list for mailers (issue 10,
item 3 and "Suppression list for mailers"):

 - the report's suppression figures are state, not log events: the current
   count equals bounce.suppression_list, and "added" and "lifted" count the
   changes of the period by the clock of the deciding event; all three are
   computed here from the outcomes the test inserted and the operator
   commands it ran;
 - `bounced suppression export` in csv, json and postfix form (the last
   accepted by postmap(1)), and --since with added and lifted rows;
 - the role bounced_mailer reads the list and the export function and
   nothing else, and a mailer's lookup is an index scan (EXPLAIN);
 - read-only commands (report, suppression export) never create or migrate
   the schema.
"""
import csv
import datetime
import io
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ingest_helpers as h  # noqa: E402
import figures_helpers as f  # noqa: E402

t = h.Tap()


def iso(dt):
    return dt.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


e = f.Env("suppression")
try:
    e.migrate()
    rng = random.Random(10)
    outs = []
    for i in range(60):
        a = "s%d@example.org" % i
        for _ in range(rng.randrange(1, 4)):
            reason = rng.choice(["userunknown", "blocked", "delivered", "feedback", "spamdetected"])
            ft = rng.choice(["abuse", "not-spam"]) if reason == "feedback" else None
            outs.append(f.Outcome(a, reason, f.utc(2026, rng.choice((9, 10, 11)),
                                                   rng.randrange(1, 29), rng.randrange(24)),
                                  feedback_type=ft))
    outs.sort(key=lambda o: o.when)
    # one statement: the policy sees each address's whole history in order
    f.insert_outcomes(e.db, outs, chunk=len(outs))

    # By hand: an address is suppressed at its first hard bounce or abuse
    # complaint (sender and content refusals never suppress).
    first = {}
    for o in outs:
        if o.hard or (o.reason == "feedback" and o.feedback_type == "abuse"):
            first.setdefault(o.address, o.when)
    got = e.q("SELECT string_agg(address || '=' || to_char(suppressed_at AT TIME ZONE 'UTC',"
              " 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), ',' ORDER BY address) FROM bounce.suppression_list")
    want = ",".join("%s=%s" % (a, iso(w)) for a, w in sorted(first.items()))
    t.ok(got == want, "the policy suppressed what the test computes", got + "\n" + want)

    before_ops = e.q("SELECT now()")
    lifted = sorted(first)[0]
    r1 = e.run("suppress", "--reason", "asked by phone", "new@example.org")
    r2 = e.run("unsuppress", "--reason", "mailbox recreated", lifted)
    # the case of the issue: suppress then unsuppress one address
    r3 = e.run("suppress", "temp@example.org")
    r4 = e.run("unsuppress", "--reason", "by mistake", "temp@example.org")
    t.ok(all(r.returncode == 0 for r in (r1, r2, r3, r4)), "operator commands",
         "".join(r.stderr for r in (r1, r2, r3, r4)))
    current = dict(first)
    del current[lifted]
    current["new@example.org"] = None        # suppressed now, by the command
    now_day = datetime.datetime.now(datetime.timezone.utc).date()

    def expect(since):
        lo = None if since is None else datetime.datetime.combine(
            since, datetime.time(), datetime.timezone.utc)
        added = {a for a, w in first.items() if lo is None or w >= lo}
        added |= {"new@example.org", "temp@example.org"}    # commands ran today
        return {"suppressed_now": len(current), "suppressed_added": len(added),
                "suppressed_lifted": 2,
                "listed": sorted(a for a, w in current.items()
                                 if w is None or lo is None or w >= lo)}

    for since in (None, datetime.date(2026, 10, 15)):
        args = [] if since is None else ["--since", since.isoformat()]
        r, rep = e.report(*args)
        exp = expect(since)
        got = {k: rep.get(k) for k in ("suppressed_now", "suppressed_added", "suppressed_lifted")}
        t.ok(got == {k: exp[k] for k in got},
             "since %s: suppressed now, added and lifted in the period" % since,
             "%s\nwant %s\n%s" % (got, exp, r.stderr))
        t.ok(rep.get("suppressed_listed") == len(exp["listed"]),
             "since %s: addresses of the current list suppressed in the period" % since,
             "%s vs %d" % (rep.get("suppressed_listed"), len(exp["listed"])))
        ex = rep.get("suppression_examples", [])
        listed = [x["address"] for x in ex]
        # the latest ten of the current list, each dated by its deciding
        # event; new@ (suppressed by the command, today) comes first
        dated = sorted((a for a in exp["listed"] if current[a] is not None),
                       key=lambda a: (-current[a].timestamp(), a))
        want_ex = (["new@example.org"] + dated)[:10]
        t.ok(listed == want_ex and "temp@example.org" not in listed and lifted not in listed
             and all(x["when"] == iso(current[x["address"]]) for x in ex
                     if current[x["address"]] is not None),
             "since %s: the latest suppressions still in force, dated by the deciding event"
             % since, json.dumps(ex, indent=1) + "\nwant " + str(want_ex))
    n = e.q("SELECT count(*) FROM bounce.suppression_list")
    t.ok(int(n) == len(current), "suppression_list agrees", n)
    r = e.run("report")
    t.ok("Addresses suppressed: %d now; in the period %d added, 2 lifted"
         % (len(current), len(first) + 2) in r.stdout, "the table says now, added and lifted",
         r.stdout[-800:])

    # ---- export ---------------------------------------------------------
    r = e.run("suppression", "export")
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    t.ok(r.returncode == 0 and sorted(x["address"] for x in rows) == sorted(current),
         "csv export: the current list", r.stderr + r.stdout[:500])
    t.ok(all(x["suppressed_at"] == iso(current[x["address"]]) for x in rows
             if current[x["address"]] is not None)
         and [x["source"] for x in rows if x["address"] == "new@example.org"] == ["operator"]
         and r.stdout.startswith("address,domain,suppressed_at,reason,source,changed_at\n"),
         "csv export: when (deciding event), source, header", r.stdout[:300])
    r = e.run("suppression", "export", "--format=json")
    doc = json.loads(r.stdout) if r.returncode == 0 else {}
    t.ok(sorted(x["address"] for x in doc.get("addresses", [])) == sorted(current)
         and doc.get("count") == len(current) and doc.get("as_of"),
         "json export", r.stdout[:300] + r.stderr)
    r = e.run("suppression", "export", "--format=json", "--since", before_ops)
    doc = json.loads(r.stdout) if r.returncode == 0 else {}
    ch = {x["address"]: x["change"] for x in doc.get("addresses", [])}
    t.ok(ch == {"new@example.org": "added", lifted: "lifted", "temp@example.org": "lifted"},
         "--since: what changed, added and lifted", json.dumps(doc)[:600] + r.stderr)
    r = e.run("suppression", "export", "--since", doc.get("as_of", "x"))
    t.ok(r.returncode == 0 and r.stdout == "address,change,domain,suppressed_at,reason,source,changed_at\n",
         "--since the last as_of: nothing new", r.stdout + r.stderr)
    r = e.run("suppression", "export", "--format=postfix", "--since", "2026-01-01")
    t.ok(r.returncode == 2 and "whole list" in r.stderr, "postfix with --since is refused", r.stderr)
    r = e.run("suppression", "export", "--since", "yesterday")
    t.ok(r.returncode == 2 and "invalid --since" in r.stderr, "a bad --since is refused", r.stderr)

    table = os.path.join(e.tmp, "suppressed")
    e.q("INSERT INTO bounce.recipients (address, domain, first_event_time, last_event_time,"
        " last_message_id, last_reason, last_hard_bounce, suppressed, suppressed_reason)"
        " VALUES ('odd user@example.org', 'example.org', now(), now(), 0, 'undefined', false,"
        " true, 'test: a key with a space')")
    r = e.run("suppression", "export", "--format=postfix", "-o", table)
    lines = open(table).read().splitlines() if r.returncode == 0 else []
    t.ok(len(lines) == len(current) and "1 address left out" in r.stderr,
         "postfix table: one line per address, unusable keys left out and said so",
         r.stderr + "\n".join(lines[:3]))
    postmap = shutil.which("postmap") or "/usr/sbin/postmap"
    if not os.path.exists(postmap):
        print("ok %d - # SKIP postmap is not installed (Debian package postfix)" % (t.n + 1))
        t.n += 1
    else:
        conf = os.path.join(e.tmp, "postfix")
        os.makedirs(conf)
        open(os.path.join(conf, "main.cf"), "w").close()
        pm = subprocess.run([postmap, "-c", conf, "hash:" + table], capture_output=True, text=True)
        probe = sorted(current)[1]
        q = subprocess.run([postmap, "-c", conf, "-q", probe.upper(), "hash:" + table],
                           capture_output=True, text=True)
        miss = subprocess.run([postmap, "-c", conf, "-q", lifted, "hash:" + table],
                              capture_output=True, text=True)
        t.ok(pm.returncode == 0 and pm.stderr == "" and q.returncode == 0
             and q.stdout.startswith("REJECT suppressed by bounced") and miss.returncode == 1,
             "postmap accepts the table; a suppressed address is found, a lifted one is not",
             pm.stderr + q.stdout + q.stderr + miss.stdout)

    # ---- the mailer's role ------------------------------------------------
    role = "mailer_%d" % os.getpid()
    h.psql("postgres", "CREATE ROLE %s LOGIN IN ROLE bounced_mailer" % role)
    try:
        as_mailer = "dbname=%s user=%s" % (e.db.name, role)
        r = subprocess.run([h.BOUNCED, "suppression", "export", "--db", as_mailer, "-q"],
                           capture_output=True, text=True)
        t.ok(r.returncode == 0 and len(r.stdout.splitlines()) == len(current) + 2,
             "bounced_mailer exports the list", r.stderr)
        r = subprocess.run([h.BOUNCED, "suppression", "export", "--db", as_mailer, "-q",
                            "--since", "2000-01-01"], capture_output=True, text=True)
        t.ok(r.returncode == 0 and ",lifted," in r.stdout, "and the changes", r.stderr)

        def as_role(sql):
            return subprocess.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", e.db.name,
                                   "-U", role, "-c", sql], capture_output=True, text=True)
        denied = [tbl for tbl in ("bounce.recipients", "bounce.recipient_outcomes",
                                  "bounce.messages", "bounce.suppression_log",
                                  "bounce.daily_domain_rates", "bounce.schema_migrations")
                  if "permission denied" not in as_role("SELECT 1 FROM %s LIMIT 1" % tbl).stderr]
        t.ok(denied == [], "bounced_mailer reads nothing else", str(denied))
        r = as_role("SELECT bounce.operator_set('x@example.org', 'unsuppress', 'mailer')")
        t.ok(r.returncode != 0, "and changes nothing", r.stdout)
        # a table of some size, so that the planner's choice means something
        e.q("INSERT INTO bounce.recipients (address, domain, first_event_time, last_event_time,"
            " last_message_id, last_reason, last_hard_bounce, suppressed)"
            " SELECT 'bulk' || g || '@example.com', 'example.com', now(), now(), 0, 'undefined',"
            " false, g % 10 = 0 FROM generate_series(1, 20000) g; ANALYZE bounce.recipients")
        plan = as_role("EXPLAIN SELECT 1 FROM bounce.suppression_list WHERE address = 'bulk70@example.com'")
        t.ok(plan.returncode == 0 and "Index" in plan.stdout and "Seq Scan" not in plan.stdout,
             "a mailer's lookup is an index scan", plan.stdout + plan.stderr)
        plan = as_role("EXPLAIN SELECT * FROM bounce.suppression_changes(now() - interval '1 hour')")
        inner = e.q("EXPLAIN SELECT * FROM bounce.recipients WHERE changed_at >= now() - interval '1 hour'")
        t.ok(plan.returncode == 0 and "Index" in inner and "Seq Scan" not in inner,
             "the changes since a time are read by index", inner + plan.stderr)
    finally:
        h.psql("postgres", "DROP ROLE IF EXISTS %s" % role)
finally:
    e.close()

# ---- read-only commands never create or migrate --------------------------
db = h.Database("readonly")
tmp = tempfile.mkdtemp(prefix="bounced-readonly-")
try:
    for args in (["report"], ["suppression", "export"]):
        r = h.run_bounced(args + ["--db", db.conninfo()])
        schema = db.query("SELECT to_regnamespace('bounce') IS NULL").strip()
        t.ok(r.returncode == 1 and "has no bounce schema" in r.stderr and schema == "t",
             "%s on an empty database says so and creates nothing" % " ".join(args),
             r.stderr + schema)
    h.run_bounced(["migrate", "--db", db.conninfo()])
    last = db.query("SELECT max(version) FROM bounce.schema_migrations").strip()
    db.query("DELETE FROM bounce.schema_migrations WHERE version = %s" % last)
    for args in (["report"], ["suppression", "export"]):
        r = h.run_bounced(args + ["--db", db.conninfo()])
        still = db.query("SELECT count(*) FROM bounce.schema_migrations WHERE version = %s"
                         % last).strip()
        t.ok(r.returncode == 1 and "lacks 1 migration" in r.stderr and "bounced migrate" in r.stderr
             and still == "0", "%s on an older schema says so and migrates nothing" % " ".join(args),
             r.stderr)
    # no database configured, no private cluster: nothing is created
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PG") and k not in ("DATABASE_URL", "BOUNCED_DB")}
    env["XDG_DATA_HOME"] = os.path.join(tmp, "data")
    env["HOME"] = tmp
    env["BOUNCED_CONFIG"] = os.path.join(tmp, "none.conf")
    open(env["BOUNCED_CONFIG"], "w").write("[bounced]\n")
    # (as root the private cluster is the system's, /var/lib/bounced/pg)
    cluster = "/var/lib/bounced/pg" if os.geteuid() == 0 else os.path.join(tmp, "data", "bounced")
    if os.path.exists(cluster):
        print("ok %d - # SKIP a private cluster exists already in %s" % (t.n + 1, cluster))
        t.n += 1
    else:
        r = subprocess.run([h.BOUNCED, "report"], capture_output=True, text=True, env=env)
        t.ok(r.returncode == 1 and "no private cluster" in r.stderr and not os.path.exists(cluster),
             "report with no database creates no private cluster", r.stderr)
finally:
    db.close()
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
