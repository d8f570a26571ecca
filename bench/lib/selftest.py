"""bench/run --self-test: the harness's parsers on canned outputs of its
helpers and of the kernel (bench/testdata), then a report rendered from a
canned results.json and read back. No tracing, no root."""

import json
import os

import compile as compile_
import launch
import loaded
import report
import tools
from common import BENCH, read_text

DATA = os.path.join(BENCH, "testdata")


def data(name):
    return read_text(os.path.join(DATA, name))


def check(cond, what):
    if not cond:
        raise SystemExit(f"self-test failed: {what}")


def close(a, b, digits=3):
    """Equal to the precision the report prints (3 significant digits)."""
    return abs(a - b) <= max(abs(b), 1e-9) * 0.5 * 10 ** (1 - digits) + 1e-9


def helpers():
    ok, failed = (launch.parse_launch(l) for l in data("launch.txt").splitlines())
    check(ok == {"first_ms": 5.977, "exit_ms": 59.81, "rss_kib": 6392, "status": 0, "lines": 4},
          f"launch line: {ok}")
    check(failed["first_ms"] is None and failed["status"] == 256, f"launch failure line: {failed}")
    check(loaded.parse_workload(data("workload.txt")) == (1169737895, 9641), "workload line")
    info = loaded.parse_fdinfo(data("fdinfo.txt"))
    check((info["prog_id"], info["run_time_ns"], info["run_cnt"]) == ("14046", "1234567", "1000"),
          f"fdinfo: {info}")
    check(loaded.parse_bpftool_show(data("bpftool-show.json")) == ("sys_enter_getpp", "tracepoint", 17),
          "bpftool prog show -j")
    check(loaded.prog_delta({1: (10, 1), 2: (5, 5)}, {1: (110, 11), 2: (5, 5), 3: (7, 1)})
          == {1: (100, 10), 3: (7, 1)}, "prog_delta")
    marks = compile_.parse_timing(data("scry-timing.txt"))
    check(marks.get("load: begin") == 29.587 and marks.get("load: programs verified") == 30.336,
          f"SCRY_TIMING marks: {marks}")
    names = tools.parse_tool_list(data("tool-list.txt"))
    check(names == ["opensnoop", "execsnoop", "exitsnoop", "funccount"], f"scry tool list: {names}")
    ex = tools.parse_examples(data("tool-help.txt"), "funccount")
    check(ex[0] == ["vfs_*"] and ex[1] == ["-r", "^vfs.*"] and ex[4] == ["t:sched:sched_fork"]
          and len(ex) == 7, f"tool --help examples: {ex}")


def round_trip():
    with open(os.path.join(DATA, "results.json")) as f:
        results = json.load(f)
    text = report.render(results)
    tables, targets = report.parse(text)
    summ = report.summarize(results)
    n = 0
    shown = {m for m, _ in report.METRICS + report.TOOL_METRICS}
    for metric, by_sc in summ.items():
        if metric not in shown:
            continue
        for sc, by_tr in by_sc.items():
            for tr, want in by_tr.items():
                got = tables.get(metric, {}).get(sc, {}).get(tr)
                check(got is not None, f"{metric}/{sc}/{tr} missing from the rendered tables")
                digits = 9 if metric in ("insns", "lost") else 3
                for g, w in zip(got, want):
                    check(close(g, w, digits) or (metric in ("insns", "lost") and g == round(w)),
                          f"{metric}/{sc}/{tr}: rendered {got}, measured {want}")
                n += 1
    want_targets = [(t, sc, met) for t, sc, _, _, met in report.targets(results, summ)]
    check(targets == want_targets, f"targets read back {targets}, computed {want_targets}")
    check(n > 20 and targets, "too few values in the canned results")
    check("tool_compile_ms" in tables and "| trace |" in text and "a\\|b" in text,
          "the tools' compile table and notes")
    return n, len(targets)


def main():
    helpers()
    n, t = round_trip()
    print(f"self-test ok: helper outputs parsed; {n} cells and {t} targets read back")
