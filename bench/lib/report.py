"""BENCHMARKS.md from the measured samples (never by hand), and the parser
that reads its tables back (bench/run --self-test checks the round trip)."""

import re

from common import TRACERS, summary

# (key, heading): the result tables, in order.
METRICS = [
    ("launch_ms", "Launch → first event (ms)"),
    ("exit_ms", "Exit: SIGINT at the first event → reaped (ms)"),
    ("rss_launch_mib", "Peak RSS, launch runs (MiB)"),
    ("rss_load_mib", "Peak RSS under the workload (MiB)"),
    ("ns_per_run", "In-kernel ns per program run (bpf_stats run_time_ns / run_cnt)"),
    ("ns_per_op", "In-kernel ns per workload operation (all programs)"),
    ("insns", "BPF instructions (xlated) of the programs that ran"),
    ("lost", "Events lost under the workload (of {n_events})"),
    ("workload_ms", "Workload time (ms; `none` = without a tracer)"),
    ("slowdown", "Workload slowdown (× the time without a tracer)"),
    ("cpu_us_per_event", "Tracer CPU per delivered event (µs, user + system)"),
    ("cpu_ms", "Tracer CPU during the workload (ms, user + system)"),
    ("wakeups_per_event", "Tracer wake-ups per delivered event (voluntary context switches)"),
    ("compile_ms", "Compile time (ms; scry: to the end of compilation, "
                   "bpftrace: `--emit-elf`)"),
    ("dryrun_ms", "scry --dry-run wall time (ms; compile + load + verify)"),
]

# The tables with a row per bundled tool (results["tools"]) instead of
# per scenario.
TOOL_METRICS = [
    ("tool_compile_ms", "Compile time of every bundled tool (ms; scry: the script `scry tool "
                        "--show NAME` prints, fork to the end of compilation; bpftrace: "
                        "`--emit-elf` of its /usr/sbin/NAME.bt)"),
    ("tool_compiler_ms", "scry's compiler alone, per bundled tool (ms; parse, types, "
                         "codegen, ELF)"),
]

COLUMNS = TRACERS + ["none"]
PEERS = ["bpftrace", "libbpf-tools"]


def fmt(v, metric=""):
    if v is None:
        return "—"
    if metric in ("insns", "lost"):
        return str(int(round(v)))
    a = abs(v)
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3f}"


def cell(s, metric=""):
    if s is None:
        return "—"
    med, lo, hi = s
    if lo == hi:
        return fmt(med, metric)
    return f"{fmt(med, metric)} ({fmt(lo, metric)}–{fmt(hi, metric)})"


def ratio(a, b):
    if a is None or b is None or b[0] == 0:
        return None
    return a[0] / b[0]


def summarize(results):
    """{metric: {scenario: {tracer: (median, min, max)}}}, slowdown derived."""
    out = {}
    for metric, by_sc in results["samples"].items():
        for sc, by_tr in by_sc.items():
            for tr, values in by_tr.items():
                s = summary(values)
                if s:
                    out.setdefault(metric, {}).setdefault(sc, {})[tr] = s
    for sc, by_tr in out.get("workload_ms", {}).items():
        base = by_tr.get("none")
        if not base:
            continue
        for tr, (med, lo, hi) in by_tr.items():
            if tr != "none":
                out.setdefault("slowdown", {}).setdefault(sc, {})[tr] = (
                    med / base[0], lo / base[0], hi / base[0])
    return out


# --- targets ---------------------------------------------------------------------

def targets(results, summ):
    """[(target, scenario, scry, reference, met)] — met is True/False/None."""
    rows = []
    get = lambda m, sc, tr: summ.get(m, {}).get(sc, {}).get(tr)
    order = [s["key"] for s in results["scenarios"]]
    for sc in order:
        scry, lbt, bt = (get("launch_ms", sc, t) for t in ("scry", "libbpf-tools", "bpftrace"))
        if scry and lbt:
            rows.append(("launch → first event ≤ libbpf-tools'", sc,
                         f"{fmt(scry[0])} ms", f"{fmt(lbt[0])} ms", scry[0] <= lbt[0]))
        if scry and bt:
            rows.append(("launch → first event ≤ 0.2× bpftrace's", sc, f"{fmt(scry[0])} ms",
                         f"0.2 × {fmt(bt[0])} = {fmt(0.2 * bt[0])} ms", scry[0] <= 0.2 * bt[0]))
    for sc in order:
        peaks = [s[0] for s in (get("rss_launch_mib", sc, "scry"), get("rss_load_mib", sc, "scry")) if s]
        if peaks:
            rows.append(("peak RSS ≤ 12 MiB", sc, f"{fmt(max(peaks))} MiB", "12 MiB",
                         max(peaks) <= 12))
    for sc in order:
        scry, bt, lbt = (get("ns_per_run", sc, t) for t in ("scry", "bpftrace", "libbpf-tools"))
        if scry and bt:
            rows.append(("in-kernel ns/event ≤ 0.8× bpftrace's", sc, f"{fmt(scry[0])} ns",
                         f"0.8 × {fmt(bt[0])} = {fmt(0.8 * bt[0])} ns", scry[0] <= 0.8 * bt[0]))
        if scry and lbt:
            rows.append(("in-kernel ns/event ≤ 1.0× libbpf-tools'", sc, f"{fmt(scry[0])} ns",
                         f"{fmt(lbt[0])} ns", scry[0] <= lbt[0]))
    scry = get("lost", "opensnoop", "scry")
    if scry:
        lbt = get("lost", "opensnoop", "libbpf-tools")
        ref = f"libbpf-tools: {fmt(lbt[0], 'lost')}" if lbt else "0"
        rows.append(("0 events lost (opensnoop)", "opensnoop",
                     f"{fmt(scry[0], 'lost')} (max {fmt(scry[2], 'lost')})", ref, scry[2] == 0))
    b = results.get("binaries", {}).get("scry")
    if b:
        rows.append(("one static binary ≤ 10 MiB", "—", f"{fmt(b['size_mib'])} MiB, {b['kind']}",
                     "10 MiB, static", b["kind"] == "static" and b["size_mib"] <= 10))
    return rows


# --- rendering -----------------------------------------------------------------

def metric_table(metric, heading, summ, results, rows=None, label="scenario"):
    by_sc = summ.get(metric)
    if not by_sc:
        return []
    if rows is None:
        rows = [s["key"] for s in results["scenarios"]]
    cols = [c for c in COLUMNS if any(c in v for v in by_sc.values())]
    peers = [p for p in PEERS if p in cols and "scry" in cols]
    n_events = results.get("sizes", {}).get("open", "?")
    lines = [f"### {heading.format(n_events=n_events)} <!-- {metric} -->", ""]
    head = [label] + cols + [f"scry/{p}" for p in peers]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "|".join(["---"] + ["---:"] * (len(head) - 1)) + "|")
    for sc in rows:
        if sc not in by_sc:
            continue
        row = by_sc[sc]
        cells = [sc] + [cell(row.get(c), metric) for c in cols]
        for p in peers:
            r = ratio(row.get("scry"), row.get(p))
            cells.append("—" if r is None else f"{r:.2f}")
        lines.append("| " + " | ".join(cells) + " |")
    return lines + [""]


def programs_section(results):
    """Each program that ran under the workload: size and cost."""
    progs = results.get("programs", {})
    if not progs:
        return []
    L = ["### The programs that ran, one by one", "",
         "| scenario | tracer | program | type | instructions | ns per run |",
         "|---|---|---|---|---:|---:|"]
    for sc in [s["key"] for s in results["scenarios"]]:
        for tr in TRACERS:
            for name, p in sorted(progs.get(sc, {}).get(tr, {}).items()):
                L.append(f"| {sc} | {tr} | `{name}` | {p['type']} | {p['insns']} | "
                         f"{cell(summary(p['ns_per_run']))} |")
    return L + ["", "Dumps: `bench/out/dumps/` (bpftool `dump xlated` of every program above, "
                "scry's `-d asm` of each script).", ""]


def tools_section(summ, results):
    """Compile times of every bundled tool, and how each was compiled."""
    tools = results.get("tools") or []
    if not tools:
        return []
    names = [t["name"] for t in tools]
    L = []
    for key, heading in TOOL_METRICS:
        L += metric_table(key, heading, summ, results, rows=names, label="tool")
    scry = sorted(by_tr["scry"][0] for by_tr in summ.get("tool_compile_ms", {}).values()
                  if "scry" in by_tr)
    if scry:
        L += [f"scry compiled {len(scry)} of {len(tools)} tools: median {fmt(scry[len(scry) // 2])} "
              f"ms, slowest {fmt(scry[-1])} ms, from fork to compiled.", ""]
    notes = [t for t in tools if t.get("args") or t.get("note")]
    if notes:
        L += ["### How the tools were compiled", "", "| tool | arguments | note |", "|---|---|---|"]
        esc = lambda text: text.replace("|", "\\|")
        for t in notes:
            args = esc(" ".join(t.get("args") or []))
            L.append(f"| {t['name']} | {('`' + args + '`') if args else ''} | "
                     f"{esc(t.get('note', ''))} |")
        L.append("")
    return L


def render(results):
    summ = summarize(results)
    m = results["meta"]
    L = []
    L += ["# Benchmarks", "",
          f"Generated by `bench/run` on {m['date']}: every number below was measured by "
          "the harness; do not edit this file by hand (rerun `bench/run` as root, "
          "or `bench/run --from-json bench/out/results.json` to re-render).", "",
          f"- kernel {m['kernel']}, {m['cpu']} ({m['ncpus']} CPUs, shared: expect noise)",
          f"- {m['scry']}" + (f" ({m['build']})" if m.get("build") else ""),
          f"- {m['bpftrace'] or 'bpftrace: not installed'}; libbpf-tools "
          f"{m['libbpf-tools'] or 'not installed'}; {m['bpftool'] or 'bpftool: not installed'}",
          f"- runs: {results['runs']['launch']} launch runs and {results['runs']['loaded']} "
          "loaded runs per tracer and scenario, interleaved (A B C, B C A, ...)"
          + (" — **quick mode: small workloads, too few runs to trust**" if results.get("quick") else ""),
          f"- workloads: {results['sizes']['getppid']} getppid(); {results['sizes']['open']} "
          f"open+close of a marker file; {results['sizes']['sched']} pipe ping-pongs (runqlat)",
          "- each cell: median (min–max); ratios are of medians", ""]
    L += ["## Targets", "",
          "| target | scenario | scry | reference | met? |", "|---|---|---:|---:|---|"]
    for t, sc, a, b, met in targets(results, summ):
        L.append(f"| {t} | {sc} | {a} | {b} | {'met' if met else 'missed'} |")
    L.append("")
    L += ["## Results", ""]
    for key, heading in METRICS:
        L += metric_table(key, heading, summ, results)
    L += programs_section(results)
    L += tools_section(summ, results)
    L += ["## Binaries", "", "| tool | file | size (MiB) | linking | with shared libraries (MiB) |",
          "|---|---|---:|---|---:|"]
    for name, b in results.get("binaries", {}).items():
        L.append(f"| {name} | `{b['path']}` | {fmt(b['size_mib'])} | {b['kind']} | "
                 f"{fmt(b['with_libs_mib'])} ({len(b['libs'])} libraries) |")
    L += ["", "## What ran", "", "| scenario | tracer | command | note |", "|---|---|---|---|"]
    for s in results["scenarios"]:
        for tr in TRACERS:
            cmd, note = s["commands"].get(tr), s["notes"].get(tr, "")
            if cmd or note:
                name = s["key"] if s["title"] == s["key"] else f"{s['key']} ({s['title']})"
                L.append(f"| {name} | {tr} | {('`' + cmd + '`') if cmd else '—'} | {note} |")
    failures = [(m_, sc, tr, len(v)) for m_ in ("launch_failures", "loaded_failures")
                for sc, by_tr in results["samples"].get(m_, {}).items() for tr, v in by_tr.items()]
    if failures:
        L += ["", "Failed runs (left out of the medians): " +
              ", ".join(f"{sc}/{tr} {m_.split('_')[0]} ×{n}" for m_, sc, tr, n in failures) + "."]
    L += ["", "## Method", "", METHOD.strip(), ""]
    return "\n".join(L)


METHOD = """
- **Launch → first event**: `bench/c/launch.c` forks the tracer with its
  stdout on a pseudo-terminal (line-buffered, as at a terminal) while a
  trigger calls getppid() or opens a marker file every 100 µs; the time is
  from fork to the first output line the trigger caused (for runqlat: its
  "Tracing ..." banner, which each tracer prints once attached). The
  tracer then gets SIGINT (repeated each second until it exits: bpftrace
  can miss the first); peak RSS is wait4's ru_maxrss (the helper forks a
  small C process, so the pre-exec image does not count).
- **Peak RSS under the workload**: VmHWM of the tracer just before its
  SIGINT (since exec; wait4 would count the forked Python harness).
- **In-kernel cost**: with `kernel.bpf_stats_enabled=1`, the run_time_ns
  and run_cnt of every program the tracer holds open (/proc/PID/fdinfo)
  before and after the workload, summed over the programs that ran at
  least once per 100 workload operations (so not sys_enter_open when the
  workload calls openat, nor sched_wakeup_new); instructions are
  bpftool's bytes_xlated / 8 of those programs. bpf_stats do not count
  the tracepoint's own cost (for classic tracepoints: copying the record)
  but do count the helpers, including a ring/perf buffer wake-up.
- **Losses, slowdown, CPU**: a second pass with bpf_stats off during the
  workload, the tracer's stdout to a file on tmpfs; delivered = output
  lines caused by the workload (its pid, or the marker path); CPU = the
  tracer's threads' on-CPU time (/proc/PID/task/*/schedstat) from before
  the workload until its output and CPU time are stable; the slowdown
  baseline (`none`) runs interleaved with the tracers.
- **Attached?** A loaded run starts the workload only after warm-up
  events have run the tracer's programs, plus 300 ms.
- **Compile time**: scry: `SCRY_TIMING=1 scry --dry-run -q`, time from
  fork to scry's "load: begin" mark (exec + parse + BTF + codegen + ELF);
  the dry-run row adds load and verification. bpftrace 0.17 has no
  --dry-run: `bpftrace --emit-elf FILE`, which stops before loading.
- **Every bundled tool**: the script `scry tool --show NAME` prints (for
  tools that need arguments, with those of the first example in `scry
  tool NAME --help` that shows), timed as above (fork to "load: begin",
  and the compiler alone: "compile: begin" to "compile: done");
  bpftrace: `--emit-elf` of its /usr/sbin/NAME.bt where there is one.
- **Binary**: scry is built as one static binary (`RUSTFLAGS='-C
  target-feature=+crt-static' cargo build --release --target HOST`), and
  that binary is the one measured everywhere; size is the file's, not
  stripped; linking is from its program headers (PT_INTERP).
- **Commands** (see "What ran"): the one-liners are bench/scripts/*.bt,
  the same text for scry and bpftrace. For opensnoop and runqlat scry
  runs `scry tool NAME` when `scry tool --help` lists it (its compile time
  is that of the script `scry tool --show NAME` prints), else
  bench/scripts/NAME.bt; bpftrace runs its bundled tool where that runs
  here, else the bench script. In-kernel ns across attach types are not
  like for like: a classic tracepoint builds its record before the
  program runs (outside bpf_stats), raw and BTF tracepoints do not.
"""


# --- reading it back -------------------------------------------------------------

NUM = r"-?\d+(?:\.\d+)?"


def parse_cell(text):
    """'12.3 (10.1–15.2)' -> (12.3, 10.1, 15.2); '7' -> (7, 7, 7); '—' -> None."""
    text = text.strip()
    m = re.fullmatch(rf"({NUM})(?: \(({NUM})–({NUM})\))?", text)
    if not m:
        return None
    med = float(m.group(1))
    return (med, float(m.group(2) or med), float(m.group(3) or med))


def parse(markdown):
    """The results tables and targets of a rendered BENCHMARKS.md:
    ({metric: {scenario: {tracer: (median, min, max)}}}, [(target, scenario, met)])."""
    tables, targets_, metric, cols = {}, [], None, None
    section = None
    for line in markdown.splitlines():
        if line.startswith("## "):
            section, metric = line[3:].strip(), None
            continue
        if line.startswith("### "):
            m = re.match(r"### .* <!-- (\w+) -->$", line)
            metric, cols = (m.group(1) if m else None), None
            continue
        if not line.startswith("|") or line.startswith("|---"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if section == "Targets" and cells[0] != "target":
            targets_.append((cells[0], cells[1], {"met": True, "missed": False}[cells[4]]))
        elif metric and cells[0] in ("scenario", "tool"):
            cols = cells[1:]
        elif metric and cols:
            for col, c in zip(cols, cells[1:]):
                v = parse_cell(c)
                if v and not col.startswith("scry/"):
                    tables.setdefault(metric, {}).setdefault(cells[0], {})[col] = v
    return tables, targets_
