"""Shared pieces: paths, logging, statistics, the C helpers, the machine."""

import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time

BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(BENCH)
SCRIPTS = os.path.join(BENCH, "scripts")
OUT = os.path.join(BENCH, "out")

# The tracers, in the order the tables show them. "none" is the workload
# without a tracer (the slowdown baseline).
TRACERS = ["scry", "bpftrace", "libbpf-tools"]

# bpftrace 0.17 prints this on every run here; it is harmless.
NOISE = ("couldn't set RLIMIT_MEMLOCK",)


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def summary(values):
    """(median, min, max) of a non-empty list, else None."""
    values = [v for v in values if v is not None]
    if not values:
        return None
    return statistics.median(values), min(values), max(values)


def rotated(items, k):
    """items rotated left by k: run orders that interleave A B, B A, ..."""
    if not items:
        return []
    k %= len(items)
    return items[k:] + items[:k]


def last_error_line(text):
    """The last meaningful stderr line (bpftrace's MEMLOCK noise dropped)."""
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    lines = [l for l in lines if not any(n in l for n in NOISE)]
    return lines[-1] if lines else ""


def read_text(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def run(argv, **kw):
    """subprocess.run with text output captured."""
    return subprocess.run(argv, capture_output=True, text=True, **kw)


class Helpers:
    """The C helpers (bench/c/*.c), compiled with cc into bench/out/bin."""

    def __init__(self, outdir=OUT):
        self.bindir = os.path.join(outdir, "bin")
        os.makedirs(self.bindir, exist_ok=True)
        cc = shutil.which("cc") or shutil.which("gcc")
        if not cc:
            raise SystemExit("bench: no C compiler (cc)")
        for name in ("launch", "workload"):
            src = os.path.join(BENCH, "c", name + ".c")
            exe = os.path.join(self.bindir, name)
            if not os.path.exists(exe) or os.path.getmtime(exe) < os.path.getmtime(src):
                subprocess.run([cc, "-O2", "-Wall", "-o", exe, src], check=True)
        self.launch = os.path.join(self.bindir, "launch")
        self.workload = os.path.join(self.bindir, "workload")


def cpu_model():
    for line in read_text("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def first_line(argv):
    try:
        r = run(argv)
    except OSError:
        return None
    text = (r.stdout or r.stderr).strip()
    return text.splitlines()[0] if text else None


def dpkg_version(pkg):
    try:
        r = run(["dpkg-query", "-W", "-f=${Version}", pkg])
    except OSError:
        return None
    return r.stdout.strip() if r.returncode == 0 and r.stdout.strip() else None


def git_revision():
    try:
        head = run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"]).stdout.strip()
        dirty = run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"]).stdout.strip()
    except OSError:
        return "unknown"
    return head + (" (with uncommitted changes)" if dirty else "")


def machine(scry_bin):
    """What the report's header says about the machine and the tools."""
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "kernel": platform.release(),
        "cpu": cpu_model(),
        "ncpus": os.cpu_count(),
        "scry": (first_line([scry_bin, "--version"]) or "scry ?") + ", git " + git_revision(),
        "bpftrace": first_line(["bpftrace", "--version"]),
        "libbpf-tools": dpkg_version("libbpf-tools"),
        "bpftool": first_line(["bpftool", "--version"]),
    }


class BpfStats:
    """kernel.bpf_stats_enabled: on/off, restored to its old value on exit."""

    PATH = "/proc/sys/kernel/bpf_stats_enabled"

    def __init__(self):
        self.old = read_text(self.PATH).strip() or "0"

    def set(self, on):
        with open(self.PATH, "w") as f:
            f.write("1" if on else "0")

    def restore(self):
        try:
            with open(self.PATH, "w") as f:
                f.write(self.old)
        except OSError:
            pass
