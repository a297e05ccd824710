#!/usr/bin/env python3
"""Sender-side incident detection (issue 10, "incident detection"):
bounce.incident_days and bounce.incidents against the rule of
sql/173_incidents.sql computed here by hand (at least 20 refusals of a reason
group at a provider in a day, and at least 5 times the median of the 14 days
before, days without counting 0), the report's incidents with their
diagnostics, `bounced report` exiting with status 4 while one is open, and
the addresses of an incident never suppressed.
"""
import datetime
import json
import os
import random
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ingest_helpers as h  # noqa: E402
import figures_helpers as f  # noqa: E402

t = h.Tap()
today = datetime.datetime.now(datetime.timezone.utc).date()
GROUP = {"blocked": "sender", "badreputation": "sender", "authfailure": "sender",
         "spamdetected": "content", "policyviolation": "recipient-policy"}


def at(day, hour=12):
    return datetime.datetime.combine(day, datetime.time(hour), datetime.timezone.utc)


def expected(outs):
    counts = {}
    for o in outs:
        if o.reason in GROUP and o.action != "delayed":
            k = (f.PROVIDER_OF_DOMAIN.get(o.domain, "other"), GROUP[o.reason], o.day)
            counts[k] = counts.get(k, 0) + 1
    days = set()
    for (p, g, d), n in counts.items():
        base = statistics.median(counts.get((p, g, d - datetime.timedelta(days=i)), 0)
                                 for i in range(1, 15))
        if n >= 20 and n >= 5 * base:
            days.add((p, g, str(d), n, base))
    return days


e = f.Env("incidents")
try:
    e.migrate()
    rng = random.Random(4)
    outs = []
    start = today - datetime.timedelta(days=30)
    for i in range(31):
        day = start + datetime.timedelta(days=i)
        # Google: a few blocks a day, then a blocklisting: 60 today and yesterday
        n = 60 if i >= 29 else rng.randrange(0, 4)
        for k in range(n):
            outs.append(f.Outcome("g%d.%d@gmail.com" % (i, k), "blocked", at(day, k % 24),
                                  diagnostic="550 5.7.1 [192.0.2.1] blocked using zen.spamhaus.org"
                                  if k % 3 else "550 5.7.1 IP listed at b.barracudacentral.org"))
        # Microsoft: 10 a day of authentication failures, 25 on day 20
        # (below 5 x 10: no incident)
        for k in range(25 if i == 20 else 10):
            outs.append(f.Outcome("m%d.%d@outlook.com" % (i, k), "authfailure", at(day),
                                  diagnostic="550 5.7.509 Access denied, DMARC"))
        # Yahoo: from nothing to 19 spam verdicts on day 10 (below 20)
        # and to 30 on day 5 (an incident, closed long ago)
        for k in range({10: 19, 5: 30}.get(i, 0)):
            outs.append(f.Outcome("y%d.%d@yahoo.com" % (i, k), "spamdetected", at(day),
                                  diagnostic="554 5.7.9 Message not accepted for policy reasons"))
        # hard bounces beside them, which do suppress
        outs.append(f.Outcome("dead%d@gmail.com" % i, "userunknown", at(day)))
    f.insert_outcomes(e.db, outs)

    want = expected(outs)
    got = set()
    for line in e.q("SELECT provider, reason_group, day, outcomes, baseline"
                    " FROM bounce.incident_days").splitlines():
        p, g, d, n, b = line.split("|")
        got.add((p, g, d, int(n), float(b)))
    t.ok(got == {(p, g, d, n, float(b)) for p, g, d, n, b in want},
         "incident_days: exactly the days the rule gives", "got %s\nwant %s" % (sorted(got), sorted(want)))
    inc = e.q("SELECT provider, reason_group, first_day, last_day, outcomes, peak, open"
              " FROM bounce.incidents ORDER BY first_day").splitlines()
    y5 = str(start + datetime.timedelta(days=5))
    t.ok(inc == ["Yahoo|content|%s|%s|30|30|f" % (y5, y5),
                 "Google|sender|%s|%s|120|60|t" % (today - datetime.timedelta(days=1), today)],
         "incidents: consecutive days joined, open while the last is today or yesterday",
         "\n".join(inc))

    r, rep = e.report()
    t.ok(r.returncode == 4, "report exits with status 4 while an incident is open",
         "status %d %s" % (r.returncode, r.stderr))
    g = [x for x in rep.get("incidents", []) if x["provider"] == "Google"]
    t.ok(rep.get("open_incidents") == 1 and len(g) == 1 and g[0]["open"]
         and g[0]["diagnostics"][0] == "550 5.7.1 [192.0.2.1] blocked using zen.spamhaus.org"
         and len(g[0]["diagnostics"]) == 2,
         "the report names the incident, its days and its commonest diagnostics",
         json.dumps(rep.get("incidents"), indent=1))
    r, rep = e.report("--since", str(today - datetime.timedelta(days=10)))
    t.ok([x["provider"] for x in rep.get("incidents", [])] == ["Google"],
         "--since leaves out the incidents that ended before", json.dumps(rep.get("incidents")))
    r = e.run("report")
    t.ok(r.returncode == 4 and "OPEN Google, sender refusals" in r.stdout,
         "the table shows it", r.stdout[-1500:])
    html = os.path.join(e.tmp, "r.html")
    r = e.run("report", "--format=html", "-o", html)
    t.ok(r.returncode == 4 and "Sender-side incidents (1 open)" in open(html).read(),
         "the HTML report shows it", r.stderr)

    # the refused addresses are not suppressed; the dead ones are
    sup = e.q("SELECT count(*) FILTER (WHERE address LIKE 'g%' OR address LIKE 'm%'"
              " OR address LIKE 'y%'), count(*) FILTER (WHERE address LIKE 'dead%')"
              " FROM bounce.suppression_list")
    t.ok(sup == "0|31", "outcomes inside an incident never suppress (the hard bounces beside do)",
         sup)

    # the incident over: status 0
    e.q("DELETE FROM bounce.recipient_outcomes WHERE event_time >= '%s'"
        % (today - datetime.timedelta(days=1)))
    r, rep = e.report()
    t.ok(r.returncode == 0 and rep.get("open_incidents") == 0, "no open incident: status 0",
         "status %d" % r.returncode)
finally:
    e.close()
t.done()
