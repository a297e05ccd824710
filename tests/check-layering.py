#!/usr/bin/env python3
"""tests/check-layering.py - the parser's pipeline runs one way (TAP)

Usage: tests/check-layering.py LIBBOUNCEPARSE.a

Reads, with nm(1), which functions and data each object of the parser
library defines and which it uses, and checks that every use goes to a
module of the same layer or of a layer below:

  4  bounce-parse            the entry point, the decision of what a message is
  3  kinds, legacy*          the recognisers (legacy.c's table recurses into
                             them, and legacy-util.c reads quoted messages)
  2  notice                  what the notice's words add to a report
  1  bounce-view             the view of a message (MIME walk, texts)
  0  bounce-report, bounce-text, phrase-set, dsn-*, original, classify*  the ground

So no recogniser calls bounce_report_parse() (the circle bounce-parse ->
legacy -> legacy-util -> bounce-parse is gone), and the view knows nothing
of who reads it.  Uses, not #includes, are checked: every file includes
bounce-private.h, but what an object calls is what binds it.  A parser file
that is in no layer fails the test: a new module is placed deliberately.

The second test point feeds the check a made-up library in which a
recogniser calls bounce_report_parse(), and passes only if that is refused:
the check can fail.
"""
import fnmatch
import os
import re
import subprocess
import sys

LAYERS = [
    (4, ["bounce-parse"]),
    (3, ["kinds", "legacy", "legacy-*"]),
    (2, ["notice"]),
    (1, ["bounce-view"]),
    (0, ["bounce-report", "bounce-text", "phrase-set", "dsn-*", "original", "classify", "classify-*"]),
]


def layer_of(module):
    for layer, patterns in LAYERS:
        if any(fnmatch.fnmatchcase(module, p) for p in patterns):
            return layer
    return None


def module_of(member):
    """'build/parser/libbounceparse.a.p/legacy-util.c.o' -> 'legacy-util';
    generated sources ('meson-generated_.._classify-builtin-rules.c.o')
    keep their own name."""
    name = os.path.basename(member)
    name = re.sub(r"^meson-generated_(\.\._)*", "", name)
    return re.sub(r"\.c\.o(bj)?$", "", name)


def read_symbols(archive):
    """{module: (defined set, used set)} from nm -A -P."""
    out = subprocess.run(["nm", "-A", "-P", archive], check=True,
                         capture_output=True, text=True).stdout
    modules = {}
    for line in out.splitlines():
        m = re.match(r"^[^\[]*\[([^\]]+)\]: (\S+) (\S)", line)
        if not m:
            continue
        member, symbol, kind = m.groups()
        defined, used = modules.setdefault(module_of(member), (set(), set()))
        if kind == "U":
            used.add(symbol)
        elif kind.isupper():
            defined.add(symbol)
    return modules


def violations(modules):
    """Lines naming each use that goes up a layer, and each unplaced module."""
    where = {}
    for module, (defined, _) in modules.items():
        for symbol in defined:
            where[symbol] = module
    found = []
    for module in sorted(modules):
        layer = layer_of(module)
        if layer is None:
            found.append(f"parser/{module}.c is in no layer of tests/check-layering.py")
            continue
        for symbol in sorted(modules[module][1]):
            target = where.get(symbol)
            if target is None:
                continue            # GLib, GMime, libc
            target_layer = layer_of(target)
            if target_layer is not None and target_layer > layer:
                found.append(f"parser/{module}.c (layer {layer}) uses {symbol}() of "
                             f"parser/{target}.c (layer {target_layer})")
    return found


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: check-layering.py LIBBOUNCEPARSE.a")
    print("1..2")
    modules = read_symbols(sys.argv[1])
    problems = violations(modules)
    # The library must have been read: an empty nm output passes nothing.
    if "bounce-parse" not in modules or "legacy-util" not in modules:
        problems.append(f"no parser objects found in {sys.argv[1]}")
    for p in problems:
        print(f"# {p}")
    print(("ok" if not problems else "not ok") + " 1 - /layering/parser-one-way")

    made_up = {
        "bounce-parse": ({"bounce_report_parse"}, {"legacy_recognise"}),
        "legacy": ({"legacy_recognise"}, {"legacy_embedded_parse"}),
        "legacy-util": ({"legacy_embedded_parse"}, {"bounce_report_parse"}),
    }
    refused = violations(made_up)
    print(("ok" if refused and "bounce_report_parse" in refused[0] else "not ok")
          + " 2 - /layering/recogniser-calling-parse-refused")
    sys.exit(0 if not problems and refused else 1)


if __name__ == "__main__":
    main()
