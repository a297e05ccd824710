#!/usr/bin/env python3
"""Month partitions of recipient_outcomes and `bounced retention` (issue
10, "Partitions"), with rows spread over 14 months: migrate creates the
current and next months' partitions and moves every row out of the default
partition into its month; retention lists, then drops, the months older
than N; every count is the test's own.
"""
import datetime
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ingest_helpers as h  # noqa: E402
import figures_helpers as f  # noqa: E402

t = h.Tap()
now = datetime.datetime.now(datetime.timezone.utc)


def month_add(d, n):
    y, m = divmod(d.year * 12 + d.month - 1 + n, 12)
    return datetime.date(y, m + 1, 1)


this = datetime.date(now.year, now.month, 1)
e = f.Env("partitions")
try:
    r = e.run("migrate")
    parts = e.q("SELECT string_agg(to_char(month, 'YYYY-MM'), ',' ORDER BY month)"
                " FROM bounce.outcome_months")
    t.ok(r.returncode == 0 and parts == "%s,%s" % (this.strftime("%Y-%m"),
                                                   month_add(this, 1).strftime("%Y-%m")),
         "migrate creates this month's and next month's partitions", parts + r.stderr)
    # Until now rows of other months land in the default partition, as they
    # did before migration 174.
    rng = random.Random(14)
    outs, per_month = [], {}
    for i in range(700):
        m = month_add(this, -rng.randrange(0, 14))
        day = m + datetime.timedelta(days=rng.randrange(0, 28))
        outs.append(f.Outcome("p%d@example.org" % i, rng.choice(["userunknown", "mailboxfull"]),
                              f.utc(day.year, day.month, day.day, rng.randrange(24))))
        per_month[m] = per_month.get(m, 0) + 1
    f.insert_outcomes(e.db, outs)
    in_default = int(e.q("SELECT count(*) FROM bounce.recipient_outcomes_default"))
    t.ok(in_default == sum(n for m, n in per_month.items() if m != this),
         "rows of months without a partition are in the default partition", str(in_default))

    r = e.run("migrate")
    got = dict(l.split("|") for l in e.q(
        "SELECT to_char(m.month, 'YYYY-MM'), (SELECT count(*) FROM bounce.recipient_outcomes o"
        "  WHERE o.tableoid = ('bounce.' || m.partition)::regclass)"
        " FROM bounce.outcome_months m").splitlines())
    want = {m.strftime("%Y-%m"): str(n) for m, n in per_month.items()}
    want[month_add(this, 1).strftime("%Y-%m")] = "0"
    t.ok(r.returncode == 0 and "created 13 month partitions" in r.stdout and got == want,
         "migrate moves every row into the partition of its month", "%s\n%s\n%s" % (r.stdout, got, want))
    t.ok(e.q("SELECT count(*) FROM bounce.recipient_outcomes_default") == "0",
         "the default partition is empty", "")

    total = len(outs)
    keep = 6
    cutoff = month_add(this, -keep)
    old = {m: n for m, n in per_month.items() if m < cutoff}
    r = e.run("retention", "--older-than", str(keep))
    lines = [l for l in r.stdout.splitlines() if l.startswith("would drop")]
    t.ok(r.returncode == 0 and len(lines) == len(old)
         and all("would drop %s (recipient_outcomes_%s, %d outcomes)"
                 % (m.strftime("%Y-%m"), m.strftime("%Y_%m"), n) in r.stdout for m, n in old.items())
         and "dry run: %d months before %s, %d outcomes" % (len(old), cutoff, sum(old.values()))
         in r.stdout, "retention without --drop says what it would drop", r.stdout + r.stderr)
    t.ok(int(e.q("SELECT count(*) FROM bounce.recipient_outcomes")) == total,
         "and drops nothing", "")
    r = e.run("retention", "--older-than", str(keep), "--drop")
    left = int(e.q("SELECT count(*) FROM bounce.recipient_outcomes"))
    months = e.q("SELECT min(month) FROM bounce.outcome_months")
    t.ok(r.returncode == 0 and left == total - sum(old.values()) and months == str(cutoff),
         "retention --drop detaches and drops the old months, nothing else",
         "%s\nleft %d, first month %s" % (r.stdout + r.stderr, left, months))
    t.ok(e.q("SELECT count(*) FROM bounce.recipients") == str(len(outs)),
         "the addresses and their state are kept", "")
    r = e.run("retention", "--older-than", "-1")
    t.ok(r.returncode == 2, "a bad --older-than is refused", r.stderr)
finally:
    e.close()
t.done()
