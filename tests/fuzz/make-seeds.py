#!/usr/bin/env python3
"""Grows the seed corpora of the three fuzz targets from mail on disk.

    tests/fuzz/make-seeds.py OUTDIR [--bounced BIN] DIR...

For every message file under each DIR (fixtures/, and any corpus of real
bounces kept outside the repository), writes into OUTDIR:
  parse/       the message itself (at most 64 KiB, the target's size limit);
  dsn-fields/  the body of each message/delivery-status part it has;
  classify/    one record per recipient `bounced parse` finds in it: status,
               reply code, diagnostic, action, command, notice and
               diagnostic type, separated by NUL bytes (fuzz-classify.c).
Names are the SHA-256 of the content, so that a seed is written once.
Seeds are generated into a build directory at run time: a corpus that is not
the project's own is never copied into the repository.  Then, e.g.:

    tests/fuzz/make-seeds.py build-fuzz/seeds --bounced build/worker/bounced \\
        fixtures /path/to/corpus
    build-fuzz/tests/fuzz/fuzz-dsn-fields -dict=tests/fuzz/fuzz-parse.dict \\
        -max_total_time=300 build-fuzz/corpus-dsn-fields build-fuzz/seeds/dsn-fields \\
        tests/fuzz/corpus-dsn-fields
"""
import email
import email.policy
import hashlib
import json
import os
import subprocess
import sys

MAX_MESSAGE = 64 * 1024


def write(outdir, kind, data, suffix):
    d = os.path.join(outdir, kind)
    os.makedirs(d, exist_ok=True)
    path = os.path.join(d, hashlib.sha256(data).hexdigest()[:32] + suffix)
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
        return 1
    return 0


def messages(dirs):
    for top in dirs:
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames[:] = [d for d in dirnames if d not in ("tmp",)]
            for fn in sorted(filenames):
                if fn.endswith((".json", ".settings", ".md", ".rules")) or fn.startswith("."):
                    continue
                path = os.path.join(dirpath, fn)
                if os.path.isfile(path) and not os.path.islink(path):
                    yield path


def status_parts(data):
    msg = email.message_from_bytes(data, policy=email.policy.compat32)
    for part in msg.walk():
        if part.get_content_type() in ("message/delivery-status",
                                       "message/global-delivery-status"):
            payload = part.get_payload()
            if isinstance(payload, list):
                # The email package reads the fields as header blocks.
                yield b"\n".join(bytes(p) for p in payload)
            elif isinstance(payload, str):
                yield payload.encode("utf-8", "surrogateescape")


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    outdir = args.pop(0)
    bounced = None
    if len(args) >= 2 and args[0] == "--bounced":
        bounced = args[1]
        args = args[2:]
    counts = {"parse": 0, "dsn-fields": 0, "classify": 0}
    paths = list(messages(args))
    for path in paths:
        with open(path, "rb") as f:
            data = f.read()
        counts["parse"] += write(outdir, "parse", data[:MAX_MESSAGE], ".eml")
        try:
            for body in status_parts(data):
                counts["dsn-fields"] += write(outdir, "dsn-fields", body, ".txt")
        except Exception:   # a seed less, not a failed run: the input is hostile
            pass
    if bounced is not None:
        for i in range(0, len(paths), 500):
            out = subprocess.run([bounced, "parse", "-j", "2"] + paths[i:i + 500],
                                 capture_output=True)
            for line in out.stdout.splitlines():
                try:
                    report = json.loads(line)
                except ValueError:
                    continue
                for r in report.get("recipients", []):
                    fields = [r.get(k) or "" for k in ("status", "reply_code", "diagnostic",
                                                       "action", "command")]
                    fields += ["", r.get("diagnostic_type") or ""]
                    record = b"\0".join(f.encode("utf-8") for f in fields)
                    counts["classify"] += write(outdir, "classify", record, ".bin")
    print("seeds written: " + ", ".join("%s %d" % kv for kv in counts.items()))


if __name__ == "__main__":
    main()
