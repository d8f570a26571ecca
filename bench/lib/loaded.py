"""Tracers under a fixed workload: in-kernel ns per event and instruction
counts (kernel.bpf_stats_enabled), events delivered vs generated, workload
slowdown, the tracer's CPU per delivered event, and its peak RSS.

One run: start the tracer with stdout to a file (on tmpfs); with
bpf_stats on, fire warm-up events until its programs have run (it is then
attached); let it settle; run the workload; wait until the tracer has
drained (output and CPU time stable); read the counters; SIGINT; reap
with wait4. Two passes: "load" with bpf_stats off during the workload
(slowdown, CPU, losses, RSS, the baseline without tracer interleaved) and
"kernel" with bpf_stats on (ns/event, instructions)."""

import json
import os
import re
import signal
import subprocess
import time

from common import last_error_line, log, read_text, rotated, run


# --- what the kernel says about the tracer's programs ----------------------

def parse_fdinfo(text):
    """The key: value lines of /proc/PID/fdinfo/FD."""
    out = {}
    for line in text.splitlines():
        k, _, v = line.partition(":")
        out[k.strip()] = v.strip()
    return out


def bpf_progs(pid):
    """{prog_id: (run_time_ns, run_cnt)} of the programs pid holds open."""
    progs = {}
    fddir = f"/proc/{pid}/fd"
    try:
        fds = os.listdir(fddir)
    except OSError:
        return progs
    for fd in fds:
        try:
            if os.readlink(os.path.join(fddir, fd)) != "anon_inode:bpf-prog":
                continue
        except OSError:
            continue
        info = parse_fdinfo(read_text(f"/proc/{pid}/fdinfo/{fd}"))
        if "prog_id" in info:
            progs[int(info["prog_id"])] = (int(info.get("run_time_ns", 0)), int(info.get("run_cnt", 0)))
    return progs


def prog_delta(before, after):
    """{prog_id: (dtime_ns, dcnt)} for the programs that ran in between."""
    out = {}
    for pid_, (t1, c1) in after.items():
        t0, c0 = before.get(pid_, (0, 0))
        if c1 > c0:
            out[pid_] = (t1 - t0, c1 - c0)
    return out


def parse_bpftool_show(text):
    """bpftool prog show id N -j: (name, type, instructions)."""
    j = json.loads(text)
    return j.get("name", "?"), j.get("type", "?"), j.get("bytes_xlated", 0) // 8


def prog_info(prog_id):
    r = run(["bpftool", "prog", "show", "id", str(prog_id), "-j"])
    if r.returncode != 0:
        return "?", "?", 0
    return parse_bpftool_show(r.stdout)


def vm_hwm_kib(pid):
    """Peak RSS since exec (VmHWM). wait4's ru_maxrss would also count the
    forked Python process before it exec'd the tracer."""
    for line in read_text(f"/proc/{pid}/status").splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def task_wakeups(pid):
    """Voluntary context switches of every thread of pid: how often it
    slept (in poll) and was woken."""
    total = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0
    for tid in tids:
        for line in read_text(f"/proc/{pid}/task/{tid}/status").splitlines():
            if line.startswith("voluntary_ctxt_switches:"):
                total += int(line.split()[1])
    return total


def task_cpu_ns(pid):
    """On-CPU time (user + system, ns) of every thread of pid."""
    total = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0
    for tid in tids:
        f = read_text(f"/proc/{pid}/task/{tid}/schedstat").split()
        if f:
            total += int(f[0])
    return total


# --- the workload and the tracer's output ----------------------------------

def parse_workload(line):
    """workload.c's line: elapsed_ns pid."""
    ns, pid = line.split()
    return int(ns), int(pid)


def workload_argv(h, sc, n, marker):
    if sc.event == "getppid":
        return [h.workload, "getppid", str(n)]
    if sc.event == "open":
        return [h.workload, "open", str(n), marker]
    return [h.workload, "pingpong", str(n)]


def count_delivered(path, sc, marker, wl_pid):
    """Lines of the tracer's output the workload caused."""
    if sc.event == "getppid":
        want = str(wl_pid if sc.prints == "caller" else os.getpid())
        match = lambda l: l.strip() == want
    elif sc.event == "open":
        match = lambda l: marker in l
    else:
        return None
    n = 0
    with open(path, errors="replace") as f:
        for line in f:
            n += match(line)
    return n


# --- one run ----------------------------------------------------------------

class RunFailed(Exception):
    pass


def warm_up(sc, warm_path):
    if sc.event == "getppid":
        for _ in range(10):
            os.getppid()
    elif sc.event == "open":
        for _ in range(10):
            os.close(os.open(warm_path, os.O_RDONLY))


def wait_attached(proc, sc, warm_path, errfile, timeout=60):
    """Fires warm-up events until sc.warm_progs of the tracer's programs
    have run (bpf_stats must be on)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RunFailed(last_error_line(read_text(errfile)) or f"exited {proc.returncode}")
        progs = bpf_progs(proc.pid)
        if sum(1 for _, c in progs.values() if c > 0) >= sc.warm_progs:
            return
        warm_up(sc, warm_path)
        time.sleep(0.01)
    raise RunFailed("not attached after 60 s")


def wait_drained(proc, timeout=30):
    """Waits until the tracer has worked off the workload's backlog: three
    50 ms windows in a row in which it used under 5 ms of CPU. (Its output
    may not stop growing: other processes' events keep coming.)"""
    deadline = time.monotonic() + timeout
    last, quiet = task_cpu_ns(proc.pid), 0
    while time.monotonic() < deadline and quiet < 3:
        time.sleep(0.05)
        cpu = task_cpu_ns(proc.pid)
        quiet = quiet + 1 if cpu - last < 5_000_000 else 0
        last = cpu


def stop(proc, timeout=15):
    """SIGINT (repeated each second: a tracer may miss an early one), then
    SIGKILL; returns the rusage from wait4."""
    deadline = time.monotonic() + timeout
    next_int = 0
    while True:
        now = time.monotonic()
        if now >= next_int:
            proc.send_signal(signal.SIGINT)
            next_int = now + 1
        pid, status, ru = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            return ru
        if now > deadline:
            proc.kill()
            pid, status, ru = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            return ru
        time.sleep(0.02)


def loaded_once(h, stats, sc, argv, n, marker, warm_path, workdir, kernel_pass, tag,
                dump_prefix=None):
    """One run of argv under the workload; argv None: the workload alone."""
    wl = workload_argv(h, sc, n, marker)
    if argv is None:
        ns, _ = parse_workload(run(wl, check=True).stdout)
        return {"workload_ms": ns / 1e6}
    outfile = os.path.join(workdir, f"{tag}.out")
    errfile = os.path.join(workdir, f"{tag}.err")
    with open(outfile, "w") as out, open(errfile, "w") as err:
        proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
    try:
        stats.set(True)
        wait_attached(proc, sc, warm_path, errfile)
        time.sleep(0.3)
        stats.set(kernel_pass)
        progs0, cpu0, wake0 = bpf_progs(proc.pid), task_cpu_ns(proc.pid), task_wakeups(proc.pid)
        r = run(wl, check=True)
        wait_drained(proc)
        progs1, cpu1, wake1 = bpf_progs(proc.pid), task_cpu_ns(proc.pid), task_wakeups(proc.pid)
        stats.set(False)
        hwm_kib = vm_hwm_kib(proc.pid)
        # Names and sizes while the programs are still loaded.
        delta = prog_delta(progs0, progs1)
        progs = []
        for i, (t, c) in sorted(delta.items()):
            name, typ, insns = prog_info(i) if kernel_pass else ("?", "?", 0)
            progs.append({"id": i, "ns": t, "cnt": c, "name": name, "type": typ, "insns": insns})
            if kernel_pass and dump_prefix:
                safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
                with open(f"{dump_prefix}.{safe}.xlated", "w") as f:
                    f.write(run(["bpftool", "prog", "dump", "xlated", "id", str(i)]).stdout)
    except BaseException:
        stats.set(False)
        stop(proc)
        raise
    stop(proc)
    ns, wl_pid = parse_workload(r.stdout)
    res = {"rss_mib": hwm_kib / 1024, "status": proc.returncode, "wakeups": wake1 - wake0,
           "workload_ms": ns / 1e6, "stderr": last_error_line(read_text(errfile))}
    if kernel_pass:
        # The programs the workload drives (others ran for other processes:
        # open() next to openat(), sched_wakeup_new).
        progs = [p for p in progs if p["cnt"] >= n // 100]
        if not progs:
            raise RunFailed("no program ran during the workload")
        total_t = sum(p["ns"] for p in progs)
        res["progs"] = progs
        res["ns_per_run"] = total_t / sum(p["cnt"] for p in progs)
        res["ns_per_op"] = total_t / n
        res["insns"] = sum(p["insns"] for p in progs)
        return res
    res["cpu_ms"] = (cpu1 - cpu0) / 1e6
    delivered = count_delivered(outfile, sc, marker, wl_pid)
    if delivered is not None:
        res["delivered"] = delivered
        res["lost"] = max(0, n - delivered)
        res["cpu_us_per_event"] = (cpu1 - cpu0) / 1e3 / delivered if delivered else None
        res["wakeups_per_event"] = (wake1 - wake0) / delivered if delivered else None
    elif "usecs" not in read_text(outfile):
        raise RunFailed("no histogram in the output")
    return res


# --- the passes ---------------------------------------------------------------

def measure(h, stats, scenarios, runs, sizes, samples, programs, details, marker, warm_path,
            workdir, dumpdir):
    """Both passes, interleaved: for each run, every scenario, every tracer
    (and the baseline) in a rotating order."""
    for rep in range(runs):
        for kernel_pass in (False, True):
            for sc in scenarios:
                tracers = sorted(sc.chosen) + ([] if kernel_pass else ["none"])
                for tracer in rotated(tracers, rep):
                    argv = sc.chosen.get(tracer)
                    tag = f"{'kernel' if kernel_pass else 'load'}.{sc.key}.{tracer}"
                    dump = os.path.join(dumpdir, f"{sc.key}.{tracer}") if rep == 0 and dumpdir else None
                    t0 = time.monotonic()
                    try:
                        res = loaded_once(h, stats, sc, argv, sizes[sc.event], marker,
                                          warm_path, workdir, kernel_pass, tag, dump)
                    except (RunFailed, subprocess.CalledProcessError) as e:
                        log(f"{tag} run {rep + 1}: failed: {e}")
                        samples.add("loaded_failures", sc.key, tracer, 1)
                        continue
                    record(samples, programs, sc, tracer, res, kernel_pass)
                    details.append(dict({k: v for k, v in res.items() if k != "progs"},
                                        tag=tag, run=rep + 1))
                    log(f"{tag}: {time.monotonic() - t0:.1f} s")
            log(f"{'kernel' if kernel_pass else 'load'} pass: run {rep + 1}/{runs} done")


def record(samples, programs, sc, tracer, res, kernel_pass):
    if kernel_pass:
        samples.add("ns_per_run", sc.key, tracer, res["ns_per_run"])
        samples.add("ns_per_op", sc.key, tracer, res["ns_per_op"])
        samples.add("insns", sc.key, tracer, res["insns"])
        progs = programs.setdefault(sc.key, {}).setdefault(tracer, {})
        seen = {}
        for p in res["progs"]:
            # Programs of one tracer may share a name: number the repeats.
            seen[p["name"]] = seen.get(p["name"], 0) + 1
            name = p["name"] + (f"#{seen[p['name']]}" if seen[p["name"]] > 1 else "")
            entry = progs.setdefault(name, {"type": p["type"], "insns": p["insns"],
                                            "ns_per_run": []})
            entry["ns_per_run"].append(p["ns"] / p["cnt"])
        return
    samples.add("workload_ms", sc.key, tracer, res["workload_ms"])
    if tracer == "none":
        return
    samples.add("rss_load_mib", sc.key, tracer, res["rss_mib"])
    samples.add("cpu_ms", sc.key, tracer, res["cpu_ms"])
    if "delivered" in res:
        samples.add("lost", sc.key, tracer, res["lost"])
        samples.add("cpu_us_per_event", sc.key, tracer, res["cpu_us_per_event"])
        samples.add("wakeups_per_event", sc.key, tracer, res["wakeups_per_event"])
