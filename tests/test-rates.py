#!/usr/bin/env python3
"""Rates an operator can trust (issue 10, items 1 and 2): every rate of the
daily views and of `bounced report` is computed here, by hand, from the rows
the test inserted, and compared.

 1. Numerator and denominator cover the same days and domains: a rate
    counts only the bounces of the (day, domain) cells whose sends are
    known, over those sends; the report shows beside it how many bounces
    that is and on how many days sends are known.
 2. A day with known sends and no bounces has rate 0, not NULL; NULL only
    where sends are unknown.
 3. The verdicts compare the rate computed here with the thresholds of the
    configuration file (bounce-threshold, complaint-threshold), which the
    command line overrides.
"""
import datetime
import decimal
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ingest_helpers as h  # noqa: E402
import figures_helpers as f  # noqa: E402

t = h.Tap()
D = datetime.date


def view_rows(env, view, key_cols):
    """{key tuple: {column: value}} of a daily view; keys as text."""
    cols = "sends, hard, soft, complaints, bounces, hard_rate, soft_rate, complaint_rate"
    out = {}
    text = env.q("SELECT %s, %s FROM bounce.%s" % (", ".join(key_cols), cols, view))
    for line in text.splitlines() if text else []:
        v = line.split("|")
        k = tuple(x if x != "" else None for x in v[:len(key_cols)])
        rest = v[len(key_cols):]
        out[k] = {"sends": int(rest[0]) if rest[0] else None, "hard": int(rest[1]),
                  "soft": int(rest[2]), "complaints": int(rest[3]), "bounces": int(rest[4]),
                  "hard_rate": f.dec(rest[5]), "soft_rate": f.dec(rest[6]),
                  "complaint_rate": f.dec(rest[7])}
    return out


def expect_daily(cells):
    out = {}
    for k, c in cells.items():
        out[tuple(None if x is None else str(x) for x in k)] = {
            "sends": c["sends"], "hard": c["hard"], "soft": c["soft"],
            "complaints": c["complaints"], "bounces": c["bounces"],
            "hard_rate": f.rate(c["hard"], c["sends"]), "soft_rate": f.rate(c["soft"], c["sends"]),
            "complaint_rate": f.rate(c["complaints"], c["sends"])}
    return out


def diff(got, want):
    lines = []
    for k in sorted(set(got) | set(want), key=str):
        if got.get(k) != want.get(k):
            lines.append("%s: got %s, want %s" % (k, got.get(k), want.get(k)))
    return "\n".join(lines[:20])


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) < 1e-12


def expect_report(outcomes, sends, since=None, until=None, domain=None, campaign=None):
    """The totals and top lists of `bounced report --format=json`."""
    outcomes = [o for o in outcomes if (domain is None or o.domain == domain)
                and (campaign is None or o.campaign == campaign)]
    sends = {k: n for k, n in sends.items() if (domain is None or k[2] == domain)
             and (campaign is None or k[1] == campaign)}
    by_dd = f.cells(outcomes, sends, lambda d, c, dom: (d, dom) if dom else None)
    rows = [dict(v, day=k[0], domain=k[1]) for k, v in by_dd.items()
            if (since is None or k[0] >= since) and (until is None or k[0] <= until)]
    exp = {}
    for fld in ("hard", "soft", "complaints"):
        exp[fld] = sum(r[fld] for r in rows)
        n, s = f.covered(rows, fld)
        exp[fld + "_covered"] = n
    known = [r for r in rows if r["sends"] is not None]
    exp["sends"] = sum(r["sends"] for r in known) if known else None
    exp["hard_rate"] = f.rate(exp["hard_covered"], exp["sends"])
    exp["soft_rate"] = f.rate(exp["soft_covered"], exp["sends"])
    exp["complaint_rate"] = f.rate(exp["complaints_covered"], exp["sends"])
    exp["days_with_sends"] = len({r["day"] for r in known}) if known else None
    if rows:
        lo = since or min(r["day"] for r in rows)
        hi = until or max(r["day"] for r in rows)
        exp["period_days"] = max(0, (hi - lo).days + 1)
    else:
        exp["period_days"] = 0

    def group(keyf):
        g = {}
        for r in rows:
            g.setdefault(keyf(r), []).append(r)
        res = {}
        for name, rs in g.items():
            b = sum(r["bounces"] for r in rs)
            if b == 0:
                continue
            kn = [r for r in rs if r["sends"] is not None]
            s = sum(r["sends"] for r in kn) if kn else None
            res[name] = {"sends": s, "bounces": b,
                         "hard": sum(r["hard"] for r in rs), "soft": sum(r["soft"] for r in rs),
                         "complaints": sum(r["complaints"] for r in rs),
                         "covered_bounces": sum(r["bounces"] for r in kn),
                         "days_with_sends": len({r["day"] for r in kn}),
                         "hard_rate": f.rate(sum(r["hard"] for r in kn), s),
                         "soft_rate": f.rate(sum(r["soft"] for r in kn), s),
                         "complaint_rate": f.rate(sum(r["complaints"] for r in kn), s)}
        return res
    exp["top_domains"] = group(lambda r: r["domain"])
    exp["daily"] = {}
    for r in rows:
        x = exp["daily"].setdefault(str(r["day"]), {"sends": None, "hard": 0, "soft": 0,
                                                    "complaints": 0, "bounces": 0, "covered": 0,
                                                    "csends": 0, "chard": 0, "csoft": 0, "ccompl": 0})
        for k in ("hard", "soft", "complaints", "bounces"):
            x[k] += r[k]
        if r["sends"] is not None:
            x["sends"] = (x["sends"] or 0) + r["sends"]
            x["covered"] += r["bounces"]
            x["chard"] += r["hard"]
            x["csoft"] += r["soft"]
            x["ccompl"] += r["complaints"]
    exp["top_providers"] = group(lambda r: f.PROVIDER_OF_DOMAIN.get(r["domain"], "other"))
    return exp


def check_report(env, exp, label, *args):
    r, rep = env.report(*args)
    if not t.ok(r.returncode == 0 and rep, "%s: report runs" % label, r.stderr):
        return
    bad = []
    for k in ("sends", "hard", "soft", "complaints", "hard_covered", "soft_covered",
              "complaints_covered", "days_with_sends", "period_days"):
        if rep.get(k) != exp[k]:
            bad.append("%s: got %s, want %s" % (k, rep.get(k), exp[k]))
    for k in ("hard_rate", "soft_rate", "complaint_rate"):
        if not close(rep.get(k), exp[k]):
            bad.append("%s: got %s, want %s" % (k, rep.get(k), exp[k]))
    t.ok(not bad, "%s: totals, covered counts, coverage and rates" % label, "\n".join(bad))
    for lst in ("top_domains", "top_providers"):
        got = {x["name"]: x for x in rep.get(lst, [])}
        want = exp[lst]
        # the report keeps the top 10 by bounces
        top = sorted(want, key=lambda n: (-want[n]["bounces"], n))[:10]
        bad = []
        if sorted(got) != sorted(top):
            bad.append("names: got %s, want %s" % (sorted(got), sorted(top)))
        for n in top:
            g, w = got.get(n, {}), want[n]
            for k in ("sends", "bounces", "hard", "soft", "complaints", "covered_bounces",
                      "days_with_sends"):
                if g.get(k) != w[k]:
                    bad.append("%s %s: got %s, want %s" % (n, k, g.get(k), w[k]))
            for k in ("hard_rate", "soft_rate", "complaint_rate"):
                if not close(g.get(k), w[k]):
                    bad.append("%s %s: got %s, want %s" % (n, k, g.get(k), w[k]))
        t.ok(not bad, "%s: %s with their coverage" % (label, lst), "\n".join(bad[:20]))


# ---- the cases of the issue, written out --------------------------------
e = f.Env("rates")
try:
    e.migrate()
    # Sends known for 1 Oct only (300 to example.org), nothing bounced then;
    # one soft bounce on 2 Oct, whose sends are unknown.
    outs = [f.Outcome("a@example.org", "mailboxfull", f.utc(2026, 10, 2))]
    sends = {(D(2026, 10, 1), None, "example.org"): 300}
    f.insert_outcomes(e.db, outs)
    f.insert_sends(e.db, sends)
    row = e.q("SELECT sends, soft, soft_rate, hard_rate FROM bounce.daily_domain_rates"
              " WHERE day = '2026-10-01'")
    t.ok(row == "300|0|0.000000|0.000000", "a day with 300 sends and no bounces has rate 0", row)
    row = e.q("SELECT sends, soft, soft_rate FROM bounce.daily_domain_rates"
              " WHERE day = '2026-10-02'")
    t.ok(row == "|1|", "a day with unknown sends has counts and no rate", row)
    row = e.q("SELECT sends, soft, soft_rate FROM bounce.daily_campaign_rates"
              " WHERE day = '2026-10-01'")
    t.ok(row == "300|0|0.000000", "the same in daily_campaign_rates", row)
    row = e.q("SELECT sends, soft, soft_rate, domains_with_sends, covered_bounces"
              " FROM bounce.daily_provider_rates WHERE day = '2026-10-01'")
    t.ok(row == "300|0|0.000000|1|0", "the same in daily_provider_rates", row)
    r, rep = e.report()
    t.ok(rep.get("sends") == 300 and rep.get("soft") == 1 and rep.get("soft_covered") == 0
         and rep.get("soft_rate") == 0 and rep.get("days_with_sends") == 1
         and rep.get("period_days") == 2,
         "sends 300, soft 1: the rate counts 0 of the 1 soft bounce, sends known on 1 of 2 days",
         r.stdout[:1500] + r.stderr)
    r = e.run("report")
    t.ok("on 1 of 2 days" in r.stdout and "known sends: 0 of 1 (0.00 %)" in r.stdout,
         "the table says what the rate covers", r.stdout)

    # 306 complaints, 140 sends on a day that drew none of them.
    outs = [f.Outcome("c%d@example.net" % i, "feedback", f.utc(2026, 10, 5), campaign="fall")
            for i in range(306)]
    f.insert_outcomes(e.db, outs)
    f.insert_sends(e.db, {(D(2026, 10, 4), "fall", "example.net"): 140})
    row = e.q("SELECT sum(complaints), bounce.covered_sum(complaints, sends), sum(sends),"
              " bounce.covered_rate(complaints, sends) FROM bounce.daily_campaign_rates"
              " WHERE campaign = 'fall'")
    t.ok(row == "306|0|140|0.000000",
         "306 complaints over 140 sends: the rate counts none of them, and says so", row)
    ex = [l for l in open(os.path.join(h.SRCDIR, "sql", "examples.sql")).read().split("-- name: ")
          if l.startswith("campaign-complaints")][0]
    sql = ex[ex.index("SELECT"):ex.index(";") + 1]
    row = e.q(sql)
    t.ok("fall|140|306|0|0.000" in row.splitlines(),
         "the example query shows the complaints it counts beside the rate", row)
finally:
    e.close()

# ---- a random month, three seeds -------------------------------------------
for seed in (1, 2, 3):
    e = f.Env("rates%d" % seed)
    try:
        e.migrate()
        outs = f.random_month(seed, n=500)
        import random
        rng = random.Random(seed * 7)
        sends = {}
        for day in range(1, 32):
            for dom in ("gmail.com", "outlook.com", "yahoo.com", "example.org", "acme.example"):
                for camp in ("spring", "autumn", None):
                    # about a third of the cells have sends, some with no bounce
                    if rng.random() < 0.33:
                        sends[(D(2026, 10, day), camp, dom)] = rng.choice((0, 5, 40, 300, 2500))
        f.insert_outcomes(e.db, outs, per_message=2)
        f.insert_sends(e.db, sends)

        want = expect_daily(f.cells(outs, sends, lambda d, c, dom: (d, dom) if dom else None))
        got = view_rows(e, "daily_domain_rates", ["day", "recipient_domain"])
        t.ok(got == want, "seed %d: every row of daily_domain_rates" % seed, diff(got, want))
        want = expect_daily(f.cells(outs, sends, lambda d, c, dom: (d, c)))
        got = view_rows(e, "daily_campaign_rates", ["day", "campaign"])
        t.ok(got == want, "seed %d: every row of daily_campaign_rates" % seed, diff(got, want))

        # providers: the domains' cells added up, rates over the covered ones
        dd = f.cells(outs, sends, lambda d, c, dom: (d, dom) if dom else None)
        prov = {}
        for (d, dom), c in dd.items():
            prov.setdefault((str(d), f.PROVIDER_OF_DOMAIN.get(dom, "other")), []).append(c)
        want = {}
        for k, rows in prov.items():
            kn = [r for r in rows if r["sends"] is not None]
            s = sum(r["sends"] for r in kn) if kn else None
            want[k] = {"sends": s, "hard": sum(r["hard"] for r in rows),
                       "soft": sum(r["soft"] for r in rows),
                       "complaints": sum(r["complaints"] for r in rows),
                       "bounces": sum(r["bounces"] for r in rows),
                       "hard_rate": f.rate(sum(r["hard"] for r in kn), s),
                       "soft_rate": f.rate(sum(r["soft"] for r in kn), s),
                       "complaint_rate": f.rate(sum(r["complaints"] for r in kn), s)}
        got = view_rows(e, "daily_provider_rates", ["day", "provider"])
        t.ok(got == want, "seed %d: every row of daily_provider_rates" % seed, diff(got, want))

        check_report(e, expect_report(outs, sends), "seed %d" % seed)
        check_report(e, expect_report(outs, sends, since=D(2026, 10, 15)),
                     "seed %d --since" % seed, "--since", "2026-10-15")
        check_report(e, expect_report(outs, sends, since=D(2026, 10, 5), until=D(2026, 10, 20)),
                     "seed %d --since --until" % seed, "--since", "2026-10-05", "--until",
                     "2026-10-20")
        check_report(e, expect_report(outs, sends, domain="gmail.com"),
                     "seed %d --domain" % seed, "--domain", "gmail.com")
        check_report(e, expect_report(outs, sends, campaign="spring"),
                     "seed %d --campaign" % seed, "--campaign", "spring")
        if seed == 1:
            exp = expect_report(outs, sends)
            hard_pct = float(exp["hard_rate"]) * 100
            compl_pct = float(exp["complaint_rate"]) * 100

            def verdicts(*args):
                r, rep = e.report(*args)
                levels = [v["level"] for v in rep.get("verdicts", [])]
                return r, rep, levels[:2]
            with open(e.config, "w") as cf:
                cf.write("[bounced]\nbounce-threshold = %r\ncomplaint-threshold = %r\n"
                         % (hard_pct * 1.5, compl_pct * 2))
            r, rep, lv = verdicts()
            t.ok(lv == ["ok", "ok"] and close(rep.get("bounce_threshold"), hard_pct * 1.5 / 100)
                 and close(rep.get("complaint_threshold"), compl_pct * 2 / 100),
                 "thresholds above the rates (%.4f %%, %.4f %%) in bounced.conf: both verdicts ok"
                 % (hard_pct, compl_pct), "%s %s" % (lv, r.stderr))
            with open(e.config, "w") as cf:
                cf.write("[bounced]\nbounce-threshold = %r\ncomplaint-threshold = %r\n"
                         % (hard_pct * 0.5, compl_pct * 0.5))
            r, rep, lv = verdicts()
            t.ok(lv == ["over", "over"], "thresholds below the rates in bounced.conf: both over",
                 "%s %s" % (lv, r.stderr))
            r, rep, lv = verdicts("--bounce-threshold", repr(hard_pct * 2))
            t.ok(lv == ["ok", "over"] and close(rep.get("bounce_threshold"), hard_pct * 2 / 100),
                 "--bounce-threshold overrides the file's", "%s %s" % (lv, r.stderr))
            with open(e.config, "w") as cf:
                cf.write("[bounced]\nbounce-threshold = 0\n")
            r = e.run("report")
            t.ok(r.returncode == 2 and 'invalid value of "bounce-threshold"' in r.stderr,
                 "a threshold of 0 in the file is refused", r.stderr)
            with open(e.config, "w") as cf:
                cf.write("[bounced]\n")
        # --format=csv: the daily figures
        exp = expect_report(outs, sends, until=D(2026, 10, 31))
        r = e.run("report", "--format=csv", "--until", "2026-10-31")
        import csv as csvmod
        import io
        got = {row["day"]: row for row in csvmod.DictReader(io.StringIO(r.stdout))}
        bad = []
        for day, x in exp["daily"].items():
            g = got.get(day, {})
            want = {"sends": "" if x["sends"] is None else str(x["sends"]), "hard": str(x["hard"]),
                    "soft": str(x["soft"]), "complaints": str(x["complaints"]),
                    "bounces": str(x["bounces"]), "covered_bounces": str(x["covered"]),
                    "hard_rate": "" if f.rate(x["chard"], x["sends"]) is None
                    else str(f.rate(x["chard"], x["sends"])),
                    "complaint_rate": "" if f.rate(x["ccompl"], x["sends"]) is None
                    else str(f.rate(x["ccompl"], x["sends"]))}
            for k, v in want.items():
                if g.get(k) != v:
                    bad.append("%s %s: got %s, want %s" % (day, k, g.get(k), v))
        t.ok(r.returncode == 0 and sorted(got) == sorted(exp["daily"]) and not bad,
             "seed %d: --format=csv, every day's figures" % seed, "\n".join(bad[:10]) + r.stderr)
    finally:
        e.close()
t.done()
