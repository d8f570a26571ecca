"""Launch -> first event, and peak RSS, with bench/c/launch.c.

The trigger runs before the tracer starts (getppid() or an open() of a
marker file every 100 us); the time is from fork to the first line of
the tracer's output that the trigger caused. runqlat's first line is its
"Tracing ..." banner, which all three print once attached."""

import os
import subprocess

from common import last_error_line, log, read_text, rotated
from scenarios import describe

TIMEOUT_MS = 30000


def parse_launch(line):
    """One line of launch.c: first_ms exit_ms maxrss_kib status lines."""
    f = line.split()
    if len(f) != 5:
        raise ValueError(f"launch: unexpected output {line!r}")
    first = float(f[0])
    return {
        "first_ms": None if first < 0 else first,
        "exit_ms": float(f[1]),
        "rss_kib": int(f[2]),
        "status": int(f[3]),
        "lines": int(f[4]),
    }


class Trigger:
    """The background event source of one scenario, and the line it makes
    the tracer print."""

    def __init__(self, helpers, scenario, marker):
        self.h, self.sc, self.marker = helpers, scenario, marker
        self.proc = None

    def __enter__(self):
        ev = self.sc.event
        if ev == "getppid":
            self.proc = subprocess.Popen([self.h.workload, "loop-getppid"])
        elif ev == "open":
            self.proc = subprocess.Popen([self.h.workload, "loop-open", self.marker])
        return self

    def pattern(self):
        if self.sc.event == "getppid":
            # The loop's pid, or its parent's (this process).
            return "=" + str(self.proc.pid if self.sc.prints == "caller" else os.getpid())
        if self.sc.event == "open":
            return self.marker
        return "Tracing"

    def __exit__(self, *exc):
        if self.proc:
            self.proc.kill()
            self.proc.wait()


def launch_once(h, argv, pattern, errfile):
    r = subprocess.run([h.launch, str(TIMEOUT_MS), pattern, errfile, "--"] + argv,
                       capture_output=True, text=True)
    res = parse_launch(r.stdout.strip().splitlines()[-1]) if r.stdout.strip() else None
    if res is None or res["first_ms"] is None:
        why = last_error_line(read_text(errfile)) or f"no matching output ({r.stderr.strip()})"
        return None, why
    return res, None


def choose_commands(h, scenarios, marker, workdir):
    """Runs each candidate command once (this is also the warm-up run that
    fills the page cache) and keeps the first that works."""
    for sc in scenarios:
        for tracer, candidates in sc.commands.items():
            failures = []
            for argv in candidates:
                err = os.path.join(workdir, f"probe.{sc.key}.{tracer}.err")
                with Trigger(h, sc, marker) as t:
                    res, why = launch_once(h, argv, t.pattern(), err)
                if res:
                    sc.chosen[tracer] = argv
                    break
                failures.append((argv, why))
                log(f"{sc.key}/{tracer}: {' '.join(argv)}: {why}")
            if tracer in sc.chosen and failures:
                first, why = failures[0]
                sc.notes[tracer] = (f"{first[-1]} is not runnable here ({why}); "
                                    f"ran {describe(sc.chosen[tracer])}")
            elif tracer not in sc.chosen:
                why = failures[-1][1] if failures else "not installed"
                sc.notes[tracer] = f"not runnable here: {why}"


def measure(h, scenarios, runs, samples, marker, workdir):
    for rep in range(runs):
        for sc in scenarios:
            for tracer in rotated(sorted(sc.chosen), rep):
                err = os.path.join(workdir, f"launch.{sc.key}.{tracer}.err")
                with Trigger(h, sc, marker) as t:
                    res, why = launch_once(h, sc.chosen[tracer], t.pattern(), err)
                if not res:
                    log(f"launch {sc.key}/{tracer} run {rep + 1}: failed: {why}")
                    samples.add("launch_failures", sc.key, tracer, 1)
                    continue
                log(f"launch {sc.key}/{tracer}: first event {res['first_ms']:.1f} ms, "
                    f"exit {res['exit_ms'] / 1000:.1f} s")
                samples.add("launch_ms", sc.key, tracer, res["first_ms"])
                samples.add("rss_launch_mib", sc.key, tracer, res["rss_kib"] / 1024)
                samples.add("exit_ms", sc.key, tracer, res["exit_ms"] - res["first_ms"])
        log(f"launch: run {rep + 1}/{runs} done")
