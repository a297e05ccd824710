#!/usr/bin/env python3
"""The peak memory `bounced ingest` prints at exit (BOUNCED_DEBUG_COUNTERS)
is its own, not its parent's.

wait4()'s ru_maxrss of a child started through vfork() and exec() (what
Python's subprocess does) is at least the parent's high-water mark: a
bench script of 55 MiB made every ingest look like 55 MiB.  The worker
prints the VmHWM of its own process image instead; tools/bench-ingest
reads that.

The parent here first raises its own VmHWM well past anything the worker
needs (256 MiB, touched, then freed), then runs an ingest of a few hundred
messages while sampling the worker's VmRSS from /proc:

  - wait4's ru_maxrss is at least the parent's VmHWM (the trap is real);
  - the line "peak resident memory: N KiB (VmHWM)" is there, once;
  - N is below the parent's VmHWM, and at least every VmRSS sampled
    during the run, to 1 MiB (the kernel's per-CPU counts; a peak well
    below a value seen would be wrong).
"""
import os
import re
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ingest_helpers as h  # noqa: E402

t = h.Tap()


def vm(pid, field):
    """@field (VmRSS, VmHWM) of process @pid in KiB, or None."""
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


db = h.Database("ingestmemory")
with tempfile.TemporaryDirectory() as tmp:
    md = h.make_maildir(tmp)
    h.generate(md, 400)

    ballast = bytearray(256 * 1024 * 1024)
    for i in range(0, len(ballast), 4096):
        ballast[i] = 1
    del ballast
    parent_hwm = vm(os.getpid(), "VmHWM")

    env = h.pg_env({"BOUNCED_DEBUG_COUNTERS": "1"})
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen([h.BOUNCED, "ingest", "--quiet", "--batch-size", "50",
                                 "--db", db.conninfo(), md],
                                stdout=subprocess.DEVNULL, stderr=log, env=env)
        samples = []
        done = threading.Event()

        def sample():
            while not done.is_set():
                rss = vm(proc.pid, "VmRSS")
                if rss is not None:
                    samples.append(rss)
                done.wait(0.005)

        sampler = threading.Thread(target=sample)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        done.set()
        sampler.join()
        log.seek(0)
        err = log.read().decode(errors="replace")

    # (Some fixtures are unparseable by design: the status may be 1.)
    t.ok(os.waitstatus_to_exitcode(status) in (0, 1) and db.count() == 400,
         "ingest stores the 400 messages", err)
    t.ok(usage.ru_maxrss >= parent_hwm,
         "wait4's ru_maxrss holds the parent's high-water mark (%d KiB >= %d KiB)"
         % (usage.ru_maxrss, parent_hwm))
    peaks = [int(m) for m in re.findall(r"^bounced ingest: peak resident memory: (\d+) KiB "
                                        r"\(VmHWM\)$", err, re.M)]
    t.ok(len(peaks) == 1, "one peak line", err)
    peak = peaks[0] if peaks else 0
    t.ok(0 < peak < parent_hwm,
         "the peak printed is the worker's own (%d KiB, parent %d KiB)" % (peak, parent_hwm))
    # The kernel's resident counts are per CPU, read without summing them
    # (a few pages per CPU either way), and VmHWM is brought up to date
    # only at some points: a sample may pass the peak by that much.
    t.ok(samples and peak >= max(samples) - 1024,
         "the peak printed is at least every VmRSS sampled, to 1 MiB (%d samples, largest"
         " %d KiB)" % (len(samples), max(samples) if samples else 0))
    t.ok(re.search(r"^bounced ingest: counters: 400 messages parsed, 8 transactions tried, "
                   r"8 batches committed$", err, re.M) is not None,
         "the counters line is unchanged beside it", err)
db.close()
t.done()
