#!/usr/bin/env python3
"""Sender-side incident detection (issue 10, "incident detection"):
bounce.incident_days and bounce.incidents against the rule of
sql/173_incidents.sql computed here by hand (at least 20 refusals of a reason
group at a provider in a day, and at least 5 times the median of the 14 days
before, days without counting 0), and within the day the same rule per hour
against the same hour of the 14 days before (sql/176_incident_hours.sql),
an hour incident only on a day that is no incident day, the report's
incidents with their diagnostics and their unit and times, `bounced report` exiting with status 4 while one is open, and
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


def expected_hours(outs, day_incidents):
    """The hourly rule: at least 20 in the hour and 5 times the median of
    the same hour of the 14 days before.  Returns the hours of
    bounce.incident_hours, and those an hour incident is made of (on days
    that are no incident day of the provider and group)."""
    counts = {}
    for o in outs:
        if o.reason in GROUP and o.action != "delayed":
            hour = o.when.astimezone(datetime.timezone.utc).replace(minute=0, second=0,
                                                                     microsecond=0)
            k = (f.PROVIDER_OF_DOMAIN.get(o.domain, "other"), GROUP[o.reason], hour)
            counts[k] = counts.get(k, 0) + 1
    hours = set()
    for (p, g, hr), n in counts.items():
        base = statistics.median(counts.get((p, g, hr - datetime.timedelta(days=i)), 0)
                                 for i in range(1, 15))
        if n >= 20 and n >= 5 * base:
            hours.add((p, g, hr, n, base))
    days = {(p, g, d) for p, g, d, _, _ in day_incidents}
    return hours, {x for x in hours if (x[0], x[1], str(x[2].date())) not in days}


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
        # AOL (Yahoo's): 8 blocks a day, one in each of the hours 0 to 7,
        # and on day 25 a burst of 25 in the hour 09:00-10:00: 33 that day,
        # under 5 x 8 (no day incident), but 25 in an hour whose same hour
        # of the days before had none (an hour incident)
        for k in range(8):
            outs.append(f.Outcome("a%d.%d@aol.com" % (i, k), "blocked", at(day, k),
                                  diagnostic="554 5.7.1 [TSS04] Messages from 192.0.2.1 temporarily deferred"))
        for k in range(25 if i == 25 else 0):
            outs.append(f.Outcome("ab%d.%d@aol.com" % (i, k), "blocked",
                                  at(day, 9) + datetime.timedelta(minutes=2 * k),
                                  diagnostic="553 5.7.1 [BL21] Connections will not be accepted"))
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
    all_hours, hour_incidents = expected_hours(outs, want)
    got = set()
    for line in e.q("SELECT provider, reason_group, to_char(hour AT TIME ZONE 'UTC',"
                    " 'YYYY-MM-DD HH24'), outcomes, baseline FROM bounce.incident_hours").splitlines():
        p, g, hr, n, b = line.split("|")
        got.add((p, g, hr, int(n), float(b)))
    t.ok(got == {(p, g, hr.strftime("%Y-%m-%d %H"), n, float(b)) for p, g, hr, n, b in all_hours},
         "incident_hours: exactly the hours the rule gives",
         "got %s\nwant %s" % (sorted(got), sorted(all_hours)))
    a25 = start + datetime.timedelta(days=25)
    t.ok([(p, g, hr.strftime("%Y-%m-%d %H"), n) for p, g, hr, n, _ in hour_incidents]
         == [("Yahoo", "sender", "%s 09" % a25, 25)],
         "the hours of a day incident make no hour incident; AOL's burst does",
         str(sorted(hour_incidents)))
    inc = e.q("SELECT provider, reason_group, first_day, last_day, outcomes, peak, open, unit,"
              " to_char(first_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),"
              " to_char(last_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')"
              " FROM bounce.incidents ORDER BY first_day").splitlines()
    y5 = str(start + datetime.timedelta(days=5))
    g1 = today - datetime.timedelta(days=1)
    t.ok(inc == ["Yahoo|content|%s|%s|30|30|f|day|%s 00:00|%s 00:00"
                 % (y5, y5, y5, start + datetime.timedelta(days=6)),
                 "Yahoo|sender|%s|%s|25|25|f|hour|%s 09:00|%s 10:00" % (a25, a25, a25, a25),
                 "Google|sender|%s|%s|120|60|t|day|%s 00:00|%s 00:00"
                 % (g1, today, g1, today + datetime.timedelta(days=1))],
         "incidents: consecutive days joined, an hour incident with its hours, open while the"
         " last day is today or yesterday", "\n".join(inc))

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
    t.ok([(x["provider"], x["unit"]) for x in rep.get("incidents", [])]
         == [("Google", "day"), ("Yahoo", "hour")],
         "--since leaves out the incidents that ended before", json.dumps(rep.get("incidents")))
    y = [x for x in rep.get("incidents", []) if x["unit"] == "hour"]
    t.ok(len(y) == 1 and y[0]["first_at"] == "%sT09:00:00Z" % a25
         and y[0]["last_at"] == "%sT10:00:00Z" % a25 and y[0]["peak"] == 25
         and y[0]["diagnostics"] == ["553 5.7.1 [BL21] Connections will not be accepted"],
         "the report gives the hour incident's times and only the diagnostics of its hour",
         json.dumps(y))
    r = e.run("report")
    t.ok(r.returncode == 4 and "OPEN Google, sender refusals" in r.stdout
         and "Yahoo, sender refusals: %s 09:00 UTC to %s 10:00 UTC, 25 outcomes (peak 25 an hour"
         % (a25, a25) in r.stdout, "the table shows them", r.stdout[-1500:])
    html = os.path.join(e.tmp, "r.html")
    r = e.run("report", "--format=html", "-o", html)
    t.ok(r.returncode == 4 and "Sender-side incidents (1 open)" in open(html).read(),
         "the HTML report shows it", r.stderr)

    # the refused addresses are not suppressed; the dead ones are
    sup = e.q("SELECT count(*) FILTER (WHERE address LIKE 'g%' OR address LIKE 'm%'"
              " OR address LIKE 'y%' OR address LIKE 'a%'), count(*) FILTER (WHERE address LIKE 'dead%')"
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
