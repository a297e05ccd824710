"""A strict reader of the OpenMetrics 1.0 text format, for the tests.

parse(text) returns {family: {"type": t, "unit": u, "help": h,
"samples": [(name, {label: value}, float)]}} or raises ValueError naming the
line and the rule it breaks: metadata before samples, a sample's name must be
its family's (with the suffixes its type allows), labels well formed and
escaped, values numbers, no series twice, histograms cumulative with an
le="+Inf" bucket equal to _count, counters not negative, "# EOF" last.
"""
import math
import re

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL_NAME = r"[a-zA-Z_][a-zA-Z0-9_]*"
SUFFIXES = {
    "counter": ("_total", "_created"),
    "gauge": ("",),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
    "info": ("_info",),
    "stateset": ("",),
    "gaugehistogram": ("_bucket", "_gsum", "_gcount"),
    "unknown": ("",),
}


def _labels(text, where):
    labels = {}
    i = 0
    while i < len(text):
        m = re.match(LABEL_NAME, text[i:])
        if not m:
            raise ValueError("%s: bad label name in {%s}" % (where, text))
        name = m.group(0)
        i += len(name)
        if text[i:i + 2] != '="':
            raise ValueError("%s: label %s without =\"value\"" % (where, name))
        i += 2
        value = []
        while True:
            if i >= len(text):
                raise ValueError("%s: unterminated label value" % where)
            c = text[i]
            if c == "\\":
                nxt = text[i + 1:i + 2]
                if nxt not in ("\\", '"', "n"):
                    raise ValueError("%s: bad escape \\%s" % (where, nxt))
                value.append("\n" if nxt == "n" else nxt)
                i += 2
                continue
            if c == '"':
                i += 1
                break
            if c == "\n":
                raise ValueError("%s: newline in a label value" % where)
            value.append(c)
            i += 1
        if name in labels:
            raise ValueError("%s: label %s twice" % (where, name))
        labels[name] = "".join(value)
        if i < len(text):
            if text[i] != ",":
                raise ValueError("%s: expected , between labels" % where)
            i += 1
    return labels


def _number(text, where):
    if text in ("+Inf", "-Inf", "NaN"):
        return float(text.replace("Inf", "inf").replace("NaN", "nan"))
    if not re.match(r"^[-+]?(\d+\.?\d*([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?)$", text):
        raise ValueError("%s: %r is not a number" % (where, text))
    return float(text)


def parse(text):
    if not text.endswith("# EOF\n"):
        raise ValueError("the exposition does not end with '# EOF' and a newline")
    lines = text[:-len("# EOF\n")].split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    families = {}
    current = None
    seen_series = set()
    for n, line in enumerate(lines, 1):
        where = "line %d" % n
        if line == "":
            raise ValueError("%s: empty line" % where)
        if line.startswith("#"):
            m = re.match(r"^# (TYPE|UNIT|HELP) (%s)(?: (.*))?$" % NAME, line)
            if not m:
                raise ValueError("%s: bad comment %r" % (where, line))
            kind, name, rest = m.group(1), m.group(2), m.group(3) or ""
            fam = families.get(name)
            if fam is None:
                if current is not None and current in families and name in families:
                    raise ValueError("%s: family %s interleaved" % (where, name))
                fam = families[name] = {"type": "unknown", "unit": None, "help": None,
                                        "samples": [], "meta": set()}
            elif fam["samples"]:
                raise ValueError("%s: metadata of %s after its samples" % (where, name))
            if kind in fam["meta"]:
                raise ValueError("%s: second %s line for %s" % (where, kind, name))
            fam["meta"].add(kind)
            if kind == "TYPE":
                if rest not in SUFFIXES:
                    raise ValueError("%s: unknown type %r" % (where, rest))
                fam["type"] = rest
            elif kind == "UNIT":
                if not name.endswith("_" + rest):
                    raise ValueError("%s: %s does not end with its unit %s" % (where, name, rest))
                fam["unit"] = rest
            else:
                fam["help"] = rest
            current = name
            continue
        m = re.match(r"^(%s)(?:\{(.*)\})? (\S+)(?: (\S+))?$" % NAME, line)
        if not m:
            raise ValueError("%s: bad sample %r" % (where, line))
        sname, labels_text, value_text = m.group(1), m.group(2), m.group(3)
        if current is None:
            raise ValueError("%s: sample %s before any TYPE" % (where, sname))
        fam = families[current]
        if not any(sname == current + suffix for suffix in SUFFIXES[fam["type"]]):
            raise ValueError("%s: sample %s does not belong to %s family %s"
                             % (where, sname, fam["type"], current))
        labels = _labels(labels_text, where) if labels_text else {}
        value = _number(value_text, where)
        key = (sname, tuple(sorted(labels.items())))
        if key in seen_series:
            raise ValueError("%s: series %s%s twice" % (where, sname, labels))
        seen_series.add(key)
        if fam["type"] == "counter" and sname.endswith("_total") and (value < 0 or math.isnan(value)):
            raise ValueError("%s: counter %s is %s" % (where, sname, value))
        fam["samples"].append((sname, labels, value))
    for name, fam in families.items():
        if fam["type"] == "histogram":
            _check_histogram(name, fam)
    return families


def _check_histogram(name, fam):
    groups = {}
    for sname, labels, value in fam["samples"]:
        rest = tuple(sorted((k, v) for k, v in labels.items() if k != "le"))
        groups.setdefault(rest, {"buckets": [], "count": None, "sum": None})
        g = groups[rest]
        if sname == name + "_bucket":
            if "le" not in labels:
                raise ValueError("%s: bucket without le" % name)
            g["buckets"].append((_number(labels["le"], name), value))
        elif sname == name + "_count":
            g["count"] = value
        elif sname == name + "_sum":
            g["sum"] = value
    for rest, g in groups.items():
        bounds = [b for b, _ in g["buckets"]]
        if bounds != sorted(bounds) or not bounds or bounds[-1] != float("inf"):
            raise ValueError("%s: buckets not in order or no +Inf: %s" % (name, bounds))
        counts = [c for _, c in g["buckets"]]
        if counts != sorted(counts):
            raise ValueError("%s: buckets not cumulative: %s" % (name, counts))
        if g["count"] is None or g["count"] != counts[-1]:
            raise ValueError("%s: _count %s is not the +Inf bucket %s" % (name, g["count"], counts[-1]))


def value(families, family, sample=None, **labels):
    """The value of one series, or None."""
    sample = sample or family
    for sname, l, v in families.get(family, {"samples": []})["samples"]:
        if sname == sample and l == labels:
            return v
    return None
